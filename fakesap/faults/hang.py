"""``hang``: the request is accepted and never answered.

Imitates an SL worker stuck on a lock or a dead HANA connection behind a gateway with no
timeout: the client's own timeout is the only way out. Nothing commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from aiohttp import web

from fakesap.faults.base import FaultBase, FaultContext, Handler, Params, Phase
from fakesap.faults.wire import abort_connection, wait_for_disconnect

#: a hang ends at the latest after this long even if the client never gives up
MAX_HANG_S = 3600.0


class Hang(FaultBase):
    """Hold the request until the client disconnects, or ``duration_s`` (then drop the connection)."""

    kind: ClassVar[str] = "hang"
    phase: ClassVar[Phase] = "outcome"

    def __init__(self, raw: Mapping[str, Any]) -> None:
        p = Params(self.kind, raw, {"duration_s"})
        self.duration_s = p.required_number("duration_s", MAX_HANG_S, maximum=MAX_HANG_S)

    async def apply(self, ctx: FaultContext, call_next: Handler) -> web.StreamResponse:
        gave_up = await wait_for_disconnect(ctx.request, self.duration_s)
        ctx.info["client_gave_up"] = gave_up
        if not gave_up:
            abort_connection(ctx.request)
        ctx.info["connection"] = "closed"
        return web.Response(status=504)
