"""``malformed``: a 200/201 whose body a client cannot use.

Imitates a proxy cutting a reply short (truncated JSON), a misconfigured gateway labelling
JSON as HTML, an SSO/captive portal answering 200 with its HTML login page, and a reply
that lost its body (200, empty). Except ``html_page``, the real handler runs first, so a
document may well be committed behind the unusable reply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from aiohttp import web

from fakesap.faults.base import CallbackEffect, FaultBase, FaultContext, Handler, Params, Phase
from fakesap.faults.documents import call_handler

VARIANTS = ("truncated_json", "wrong_content_type", "html_page", "empty_200")
PORTAL_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>\n"
    '<form method="post" action="/login"><input name="user"><input name="password" '
    'type="password"></form>\n</body></html>\n'
)


class Malformed(FaultBase):
    """Answer with a broken body (``variant``; ``keep_fraction`` of a truncated body is kept)."""

    kind: ClassVar[str] = "malformed"
    phase: ClassVar[Phase] = "outcome"
    callback_effect: ClassVar[CallbackEffect] = "corrupt"

    def __init__(self, raw: Mapping[str, Any]) -> None:
        p = Params(self.kind, raw, {"variant", "keep_fraction"})
        self.variant = p.choice("variant", "truncated_json", VARIANTS)
        self.keep_fraction = p.required_number("keep_fraction", 0.5, maximum=0.99)

    async def apply(self, ctx: FaultContext, call_next: Handler) -> web.StreamResponse:
        ctx.info["variant"] = self.variant
        if self.variant == "html_page":
            return web.Response(status=200, text=PORTAL_PAGE, content_type="text/html")
        response = await call_handler(call_next, ctx.request)
        ctx.info["handler_status"] = response.status
        body = response.body if isinstance(response, web.Response) else None
        payload = body if isinstance(body, bytes) else b""
        if self.variant == "empty_200":
            return web.Response(status=200, body=b"", content_type="application/json")
        if self.variant == "wrong_content_type":
            return web.Response(status=200, body=payload, content_type="text/html")
        if not payload:
            payload = b'{"odata.metadata": "$metadata#Empty", "value": []}'
        cut = max(1, int(len(payload) * self.keep_fraction))
        out = web.Response(
            status=response.status, body=payload[:cut], content_type="application/json"
        )
        for name in ("Location",):
            if name in response.headers:
                out.headers[name] = response.headers[name]
        return out
