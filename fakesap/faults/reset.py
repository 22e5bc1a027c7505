"""``reset``: the TCP connection is closed mid-request (RST), with no reply.

Imitates a load balancer or firewall killing the flow, or an SL process crashing while
it reads the request. With ``when = "before"`` nothing commits; with ``"after"`` the
handler ran first (the same loss as ``commit_then_fail`` with ``outcome = "reset"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from aiohttp import web

from fakesap.faults.base import FaultBase, FaultContext, Handler, Params, Phase
from fakesap.faults.documents import call_handler
from fakesap.faults.wire import abort_connection


class Reset(FaultBase):
    """Abort the connection ``before`` or ``after`` the handler runs."""

    kind: ClassVar[str] = "reset"
    phase: ClassVar[Phase] = "outcome"

    def __init__(self, raw: Mapping[str, Any]) -> None:
        p = Params(self.kind, raw, {"when"})
        self.when = p.choice("when", "before", ("before", "after"))

    async def apply(self, ctx: FaultContext, call_next: Handler) -> web.StreamResponse:
        response: web.StreamResponse = web.Response(status=502)
        if self.when == "after":
            response = await call_handler(call_next, ctx.request)
            ctx.info["handler_status"] = response.status
        ctx.info["connection"] = "reset"
        abort_connection(ctx.request)
        return response
