"""``commit_then_fail``: the document is committed, then the reply is lost.

Imitates the gateway timing out or a connection dropping after the SL committed: the
client sees a 5xx or a reset and cannot tell that the document exists. A blind retry
duplicates it unless the client looks its key up first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from aiohttp import web

from fakesap.faults.base import CallbackEffect, FaultBase, FaultContext, Handler, Params, Phase
from fakesap.faults.documents import call_handler
from fakesap.faults.http_error import STATUSES, render
from fakesap.faults.wire import abort_connection


class CommitThenFail(FaultBase):
    """Run the handler; if it succeeded, answer ``status`` (``outcome=error``) or reset."""

    kind: ClassVar[str] = "commit_then_fail"
    phase: ClassVar[Phase] = "outcome"
    callback_effect: ClassVar[CallbackEffect] = "duplicate"

    def __init__(self, raw: Mapping[str, Any]) -> None:
        p = Params(self.kind, raw, {"outcome", "status", "style"})
        self.outcome = p.choice("outcome", "error", ("error", "reset"))
        self.statuses = p.statuses("status", 502, STATUSES)
        self.style = p.choice("style", "nginx", ("sl", "nginx", "webdispatcher", "gateway"))

    async def apply(self, ctx: FaultContext, call_next: Handler) -> web.StreamResponse:
        response = await call_handler(call_next, ctx.request)
        committed = 200 <= response.status < 300
        ctx.info["committed"] = committed
        ctx.info["handler_status"] = response.status
        if not committed:
            return response  # nothing committed: the real error goes through
        if self.outcome == "reset":
            ctx.info["connection"] = "reset"
            abort_connection(ctx.request)
            return response
        status = self.statuses[0] if len(self.statuses) == 1 else ctx.rng.choice(self.statuses)
        ctx.info["status"] = status
        return render(status, self.style, ctx.view.version)
