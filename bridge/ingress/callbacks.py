"""``POST /callbacks/sap``: fakesap back-office events (signed), an alternative to polling.

B1 has no native webhooks; sites add a notification service. fakesap's sends
``X-SAPChaos-Signature: base64(HMAC-SHA256(secret, body))`` and JSON events
``order.shipped`` / ``order.invoiced`` naming the base order's ``U_IdemKey``. Callbacks are
retried and may be duplicated, so handling is idempotent through the ledger.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bridge.ingress.webhooks import error
from bridge.keys import Prefix, correlation_id, parse_order_key
from bridge.signature import verify
from sapchaos.logs import correlated, get_logger

log = get_logger("bridge.callbacks")

#: (order_id, kind, doc_entry, doc_num, tracking, key prefix) -> recorded?
Observer = Callable[[int, str, int, int, Any, Prefix], Awaitable[bool]]
#: (order_id, key prefix) -> None: what follows a recorded document (tell the shop)
FollowUp = Callable[[int, Prefix], Awaitable[None]]
KINDS = {"order.shipped": "delivery", "order.invoiced": "invoice"}


def add_callback_route(
    app: web.Application, secret: str, observe: Observer, after: FollowUp
) -> None:
    async def callback(request: web.Request) -> web.Response:
        body = await request.read()
        if not verify((secret,), body, request.headers.get("X-SAPChaos-Signature")):
            return error(401, "invalid_signature", "Missing or invalid X-SAPChaos-Signature.")
        try:
            event = json.loads(body)
            kind = KINDS.get(str(event.get("type")))
            ours = parse_order_key(event.get("U_IdemKey"))
            doc_entry, doc_num = int(event["doc_entry"]), int(event["doc_num"])
        except (ValueError, KeyError, TypeError, AttributeError):
            return error(400, "invalid_event", "Callback body is not a valid event.")
        if kind is None or ours is None:
            return web.json_response({"status": "ignored"})
        prefix, order_id = ours
        with correlated(correlation_id(prefix, order_id)):
            recorded = await observe(
                order_id, kind, doc_entry, doc_num, event.get("tracking_no"), prefix
            )
            try:
                await after(order_id, prefix)
            except Exception as exc:  # the shop is unreachable: let fakesap retry the callback
                log.warning("callback_followup_failed", error=f"{type(exc).__name__}: {exc}"[:200])
                return error(
                    503, "shop_unavailable", "Recorded, but the shop could not be told yet."
                )
        return web.json_response({"status": "recorded" if recorded else "duplicate"})

    app.router.add_post("/callbacks/sap", callback)
