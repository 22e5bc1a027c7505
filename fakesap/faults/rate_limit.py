"""``rate_limit``: 429 Too Many Requests with ``Retry-After``.

Imitates a gateway or API management layer in front of the SL throttling a client that
sends too much; well-behaved clients wait ``Retry-After`` seconds. Nothing commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import formatdate
from typing import Any, ClassVar

from aiohttp import web

from fakesap.errors import SLError
from fakesap.faults.base import FaultBase, FaultContext, Handler, Params, Phase
from fakesap.faults.wire import sl_error


class RateLimit(FaultBase):
    """Answer 429 with ``Retry-After`` as delta-seconds or (``http_date``) an HTTP date."""

    kind: ClassVar[str] = "rate_limit"
    phase: ClassVar[Phase] = "outcome"

    def __init__(self, raw: Mapping[str, Any]) -> None:
        p = Params(self.kind, raw, {"retry_after_s", "format"})
        self.retry_after_s = int(p.required_number("retry_after_s", 1, maximum=86400))
        self.format = p.choice("format", "seconds", ("seconds", "http_date"))

    async def apply(self, ctx: FaultContext, call_next: Handler) -> web.StreamResponse:
        if self.format == "http_date":
            now = ctx.state.clock() if hasattr(ctx.state, "clock") else 0.0
            value = formatdate(now + self.retry_after_s, usegmt=True)
        else:
            value = str(self.retry_after_s)
        ctx.info["retry_after"] = value
        err = SLError.of("too_many_requests")
        return sl_error(err.status, err.code, err.message, ctx.view.version, {"Retry-After": value})
