"""``late_commit``: the request hangs past the client's timeout and commits afterwards.

Imitates an SL that is slow but not dead: the server does not roll back when the client
gives up, so the document appears after the client already counted the call as failed —
the root of "ghost duplicates".
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, ClassVar

from aiohttp import web

from fakesap.faults.base import CallbackEffect, FaultBase, FaultContext, Handler, Params, Phase
from fakesap.faults.documents import call_handler
from fakesap.faults.wire import client_gone, wait_for_disconnect

#: with ``after_disconnect``, a client that never gives up still gets its commit after this
MAX_WAIT_S = 600.0


class LateCommit(FaultBase):
    """Hold ``delay_s`` (from arrival, or from the client's disconnect with
    ``after_disconnect``), then commit through the real handler in an engine-owned task."""

    kind: ClassVar[str] = "late_commit"
    phase: ClassVar[Phase] = "outcome"
    callback_effect: ClassVar[CallbackEffect] = "duplicate"

    def __init__(self, raw: Mapping[str, Any]) -> None:
        p = Params(self.kind, raw, {"delay_s", "after_disconnect"})
        self.delay_s = p.required_number("delay_s", 30.0, maximum=MAX_WAIT_S)
        self.after_disconnect = p.boolean("after_disconnect", False)

    async def apply(self, ctx: FaultContext, call_next: Handler) -> web.StreamResponse:
        request = ctx.request
        await request.read()  # keep the body: the handler runs after the client is gone
        ctx.info["delay_s"] = self.delay_s

        async def commit_later() -> web.StreamResponse:
            if self.after_disconnect:
                await wait_for_disconnect(request, MAX_WAIT_S)
            await asyncio.sleep(self.delay_s)
            return await call_handler(call_next, request)

        task: asyncio.Task[web.StreamResponse] = ctx.spawn(commit_later())
        response = await asyncio.shield(task)  # a disconnect must not cancel the commit
        ctx.info["committed"] = 200 <= response.status < 300
        ctx.info["client_gave_up"] = client_gone(request)
        return response
