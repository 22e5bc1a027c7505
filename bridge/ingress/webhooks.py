"""``POST /webhooks/woocommerce``: verify, validate, and commit before answering 200.

Imitates what WooCommerce expects from a receiver: the ping (form-encoded
``webhook_id=N``, no signature) must get exactly 200; a signed delivery gets 2xx once it is
durable. An authentic but unusable payload is quarantined and still answered 200, because
WooCommerce disables a webhook after a run of failures and every later order would be lost.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from aiohttp import web

from bridge.ingress.batcher import GroupCommitter
from bridge.metrics import Metrics
from bridge.order import ValidationError, parse_order, validation_reason
from bridge.signature import verify
from bridge.store.base import AcceptOutcome, InboundDelivery, QuarantineEntry, Store
from sapchaos.logs import correlated, get_logger

log = get_logger("bridge.ingress")

ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.restored"})
#: headers kept with a quarantined request (never the signature itself)
KEPT_HEADERS = (
    "X-WC-Webhook-Topic",
    "X-WC-Webhook-Resource",
    "X-WC-Webhook-Event",
    "X-WC-Webhook-ID",
    "X-WC-Webhook-Delivery-ID",
    "X-WC-Webhook-Source",
    "Content-Type",
    "User-Agent",
)


@dataclass
class Ingress:
    """The webhook receiver's state: secrets, limits, the store and the group committer."""

    store: Store
    secrets: tuple[str, ...]
    body_limit: int
    metrics: Metrics
    committer: GroupCommitter[InboundDelivery, AcceptOutcome]
    clock: Callable[[], float] = time.time
    #: called after a commit whose snapshot needs an authoritative re-read (tie or stale)
    on_needs_fetch: Callable[[int], None] | None = None


def error(status: int, code: str, message: str) -> web.Response:
    """Errors in WordPress REST shape (what a WooCommerce admin is used to reading)."""
    return web.json_response(
        {"code": code, "message": message, "data": {"status": status}}, status=status
    )


def _kept(request: web.Request) -> dict[str, str]:
    return {h: request.headers[h] for h in KEPT_HEADERS if h in request.headers}


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The raw body, or None when it exceeds ``limit`` (checked without buffering it all)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _is_ping(request: web.Request, body: bytes) -> bool:
    if request.content_type != "application/x-www-form-urlencoded":
        return False
    form = parse_qs(body.decode("utf-8", "replace"))
    return set(form) == {"webhook_id"}


async def handle_webhook(ingress: Ingress, request: web.Request) -> web.Response:
    started = time.perf_counter()
    m = ingress.metrics.webhooks
    body = await _read_limited(request, ingress.body_limit)
    if body is None:
        m.labels("too_large").inc()
        return error(
            413, "rest_request_entity_too_large", f"Body larger than {ingress.body_limit} bytes."
        )
    if _is_ping(request, body):
        m.labels("ping").inc()
        return web.json_response({"ping": "ok"})
    if request.content_type != "application/json":
        m.labels("unsupported_media_type").inc()
        return error(415, "unsupported_media_type", "Content-Type must be application/json.")
    if not verify(ingress.secrets, body, request.headers.get("X-WC-Webhook-Signature")):
        m.labels("bad_signature").inc()
        return error(401, "invalid_signature", "Missing or invalid X-WC-Webhook-Signature.")
    topic = request.headers.get("X-WC-Webhook-Topic", "")
    source = request.headers.get("X-WC-Webhook-Source", "woocommerce") or "woocommerce"
    now = ingress.clock()

    async def quarantine(reason: str, kind: str = "invalid") -> web.Response:
        qid = await ingress.store.quarantine(
            QuarantineEntry(source, topic, _kept(request), body, reason, now, kind)
        )
        m.labels(kind).inc()
        log.warning(
            "webhook_quarantined", kind=kind, topic=topic, reason=reason[:300], quarantine_id=qid
        )
        return web.json_response({"status": "quarantined", "kind": kind, "id": qid})

    if topic not in ORDER_TOPICS:
        # unknown or unhandled topics (order.deleted, product.*) are recorded, then ignored
        return await quarantine(f"topic {topic or '(none)'} is not handled", "ignored_topic")
    try:
        data = json.loads(body)
    except ValueError as exc:
        return await quarantine(f"malformed JSON: {exc}")
    try:
        order = parse_order(data)
    except ValidationError as exc:
        return await quarantine(validation_reason(exc))
    delivery = InboundDelivery(
        source=source,
        topic=topic,
        order_id=order.id,
        date_modified_gmt=order.date_modified_gmt,
        payload=data,
        received_at=now,
        raw=body,
        delivery_id=request.headers.get("X-WC-Webhook-Delivery-ID"),
        webhook_id=request.headers.get("X-WC-Webhook-ID"),
    )
    with correlated(f"wc:{order.id}"):
        try:
            outcome = await ingress.committer.submit(delivery)
        except Exception as exc:  # the store is down: nothing was committed, say so honestly
            m.labels("store_unavailable").inc()
            log.error("webhook_store_failed", error=f"{type(exc).__name__}: {exc}"[:300])
            resp = error(503, "store_unavailable", "The delivery could not be stored; retry later.")
            resp.headers["Retry-After"] = "5"
            return resp
        if outcome.error is not None:
            return await quarantine(outcome.error)
        kind = "duplicate" if outcome.duplicate else ("stale" if outcome.stale else "accepted")
        m.labels(kind).inc()
        ingress.metrics.ingress_commit.observe(time.perf_counter() - started)
        log.debug("webhook_accepted", topic=topic, outcome=kind, needs_fetch=outcome.needs_fetch)
        wants_fetch = (outcome.needs_fetch or outcome.stale) and not outcome.duplicate
        if wants_fetch and ingress.on_needs_fetch is not None:
            ingress.on_needs_fetch(order.id)
    return web.json_response(
        {
            "status": kind,
            "order_id": order.id,
            "job_id": outcome.job_id,
            "needs_fetch": outcome.needs_fetch,
        }
    )
