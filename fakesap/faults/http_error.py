"""``http_error``: the Service Layer or the gateway in front of it answers 5xx.

Imitates an SL worker restarting or HANA hiccuping (500/503 with an SL error body) and
the reverse proxy / SAP Web Dispatcher in front of the SL reporting a dead or slow
backend (502/504 with its own HTML page). The handler is not called: nothing commits.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, ClassVar

from aiohttp import web

from fakesap.faults.base import FaultBase, FaultContext, Handler, Params, Phase
from fakesap.faults.wire import sl_error

STATUSES = (500, 502, 503, 504)
REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Time-out",
}
#: SL error code and text used for an SL-style body, by status
SL_BODIES = {
    500: (-1, "Internal error"),
    502: (-1, "Bad Gateway: the Service Layer backend did not answer"),
    503: (-1, "Service Unavailable"),
    504: (-1, "Gateway Timeout: the Service Layer backend did not answer in time"),
}


def nginx_page(status: int) -> str:
    """The page nginx (the usual SL load balancer) serves for a failed upstream."""
    title = f"{status} {REASONS[status]}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )


def web_dispatcher_page(status: int) -> str:
    """A SAP Web Dispatcher-style error page (layout approximated, not byte-exact)."""
    reason = REASONS[status]
    return (
        "<!DOCTYPE html>\n<html><head><title>SAP Web Dispatcher</title></head><body>\n"
        f"<h2>{status} {reason}</h2>\n"
        "<p>Service cannot be reached: partner not reached (ICM_HTTP_CONNECTION_FAILED).</p>\n"
        "<p>Server: SAP Web Dispatcher</p>\n</body></html>\n"
    )


class HttpError(FaultBase):
    """Answer a 5xx without calling the handler (``style`` = ``sl`` | ``nginx`` | ``webdispatcher``)."""

    kind: ClassVar[str] = "http_error"
    phase: ClassVar[Phase] = "outcome"

    def __init__(self, raw: Mapping[str, Any]) -> None:
        p = Params(self.kind, raw, {"status", "style"})
        self.statuses = p.statuses("status", 500, STATUSES)
        self.style = p.choice("style", "sl", ("sl", "nginx", "webdispatcher", "gateway"))

    def pick_status(self, rng: random.Random) -> int:
        return self.statuses[0] if len(self.statuses) == 1 else rng.choice(self.statuses)

    async def apply(self, ctx: FaultContext, call_next: Handler) -> web.StreamResponse:
        status = self.pick_status(ctx.rng)
        ctx.info["status"] = status
        return render(status, self.style, ctx.view.version)


def render(status: int, style: str, version: Any) -> web.Response:
    """A 5xx reply in the chosen style (shared with ``commit_then_fail``)."""
    if style == "sl":
        code, message = SL_BODIES[status]
        return sl_error(status, code, message, version)
    page = web_dispatcher_page(status) if style == "webdispatcher" else nginx_page(status)
    return web.Response(status=status, text=page, content_type="text/html")
