"""``session_expiry``: sessions are dropped, so the call gets the SL 401 (code 301).

Imitates the SL's idle timeout, an SL restart that forgets every session, or a cluster
node change without the ROUTEID cookie; the client must log in again and retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from aiohttp import web

from fakesap.errors import SLError
from fakesap.faults.base import FaultBase, FaultContext, Handler, Params, Phase, RequestView
from fakesap.faults.wire import sl_error


class SessionExpiry(FaultBase):
    """Drop ``all`` sessions or only the ``caller``'s; the call gets the SL's 401 (code 301)."""

    kind: ClassVar[str] = "session_expiry"
    phase: ClassVar[Phase] = "outcome"

    def __init__(self, raw: Mapping[str, Any]) -> None:
        p = Params(self.kind, raw, {"scope"})
        self.scope = p.choice("scope", "caller", ("caller", "all"))

    def applies(self, view: RequestView) -> bool:
        return view.resource not in ("Login", "Logout")

    async def apply(self, ctx: FaultContext, call_next: Handler) -> web.StreamResponse:
        sessions = ctx.state.sessions
        if self.scope == "all":
            ctx.info["dropped"] = sessions.drop_all()
        else:
            sid = ctx.view.session_id
            ctx.info["dropped"] = int(bool(sid) and sessions.drop(sid))
        # answer the 401 here rather than rely on where the core checks sessions
        err = SLError.of("invalid_session")
        return sl_error(err.status, err.code, err.message, ctx.view.version)
