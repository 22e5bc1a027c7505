"""``POST /webhooks/woocommerce``: verify, validate, and commit before answering 200.

Imitates what WooCommerce expects from a receiver: the ping (form-encoded
``webhook_id=N``, no signature) must get exactly 200; a signed delivery gets 2xx once it is
durable. An authentic but unusable payload is quarantined and still answered 200, because
WooCommerce disables a webhook after a run of failures and every later order would be lost.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import orjson
import structlog
from aiohttp import web

from bridge.ingress.batcher import GroupCommitter
from bridge.ingress.precheck import order_facts
from bridge.keys import correlation_id
from bridge.metrics import Metrics
from bridge.order import ValidationError, parse_order_json, validation_reason
from bridge.signature import Verifier
from bridge.store.base import AcceptOutcome, InboundDelivery, QuarantineEntry, Store
from sapchaos.logs import get_logger

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
    #: (order id, date_modified_gmt) of recently validated bodies by their SHA-256: a copy
    #: of a delivery (WooCommerce retries, duplicate deliveries) is not validated again
    validated: dict[str, tuple[int, str]] = field(default_factory=dict, repr=False)
    validated_max: int = 4096
    _verifier: Verifier | None = field(default=None, init=False, repr=False)
    _verifier_for: tuple[str, ...] = field(default=(), init=False, repr=False)

    def verify(self, body: bytes, header: str | None) -> bool:
        """The signature check, with the keys prepared once per set of ``secrets``."""
        if self._verifier is None or self._verifier_for is not self.secrets:
            self._verifier, self._verifier_for = Verifier(self.secrets), self.secrets
        return self._verifier(body, header)

    def remember(self, sha: str, order: tuple[int, str]) -> None:
        """Keep a validated body's facts (the oldest entry goes when full)."""
        if len(self.validated) >= self.validated_max:
            del self.validated[next(iter(self.validated))]
        self.validated[sha] = order


def error(status: int, code: str, message: str) -> web.Response:
    """Errors in WordPress REST shape (what a WooCommerce admin is used to reading)."""
    return web.json_response(
        {"code": code, "message": message, "data": {"status": status}}, status=status
    )


def _kept(request: web.Request) -> dict[str, str]:
    return {h: request.headers[h] for h in KEPT_HEADERS if h in request.headers}


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The raw body, or None when it exceeds ``limit`` (checked without buffering it all)."""
    length = request.content_length
    if length is not None:
        if length > limit:
            return None
        try:  # WooCommerce always sends Content-Length: one read of exactly that much
            return await request.content.readexactly(length)
        except asyncio.IncompleteReadError as exc:  # the sender closed early
            return exc.partial
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


class RawJsonObject(Mapping[str, Any]):
    """A JSON object kept as the bytes it arrived in, parsed only if someone reads it.

    The ingress validates a delivery straight from its bytes and the store keeps the raw
    text, so on the accept path nobody needs the payload as a dict.
    """

    __slots__ = ("_parsed", "raw")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self._parsed: dict[str, Any] | None = None

    def _data(self) -> dict[str, Any]:
        if self._parsed is None:
            data = json.loads(self.raw)
            if not isinstance(data, dict):
                raise TypeError("the JSON body is not an object")
            self._parsed = data
        return self._parsed

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())


def _debug_enabled() -> bool:
    """Whether the configured structlog level lets debug lines through (asked per request,
    because configuration can change; far cheaper than building a discarded event)."""
    enabled = getattr(structlog.get_config()["wrapper_class"], "is_enabled_for", None)
    return enabled is None or bool(enabled(None, logging.DEBUG))


async def _quarantine(
    ingress: Ingress, entry: QuarantineEntry, cid: str | None = None
) -> web.Response:
    """Keep an authentic but unusable request (with the reason) and answer 200."""
    qid = await ingress.store.quarantine(entry)
    ingress.metrics.count_webhook(entry.kind)
    log.warning(
        "webhook_quarantined",
        kind=entry.kind,
        topic=entry.topic,
        reason=entry.reason[:300],
        quarantine_id=qid,
        **({} if cid is None else {"correlation_id": cid}),
    )
    return web.json_response({"status": "quarantined", "kind": entry.kind, "id": qid})


def _answer(kind: str, order_id: int, outcome: AcceptOutcome) -> web.Response:
    body = orjson.dumps(
        {
            "status": kind,
            "order_id": order_id,
            "job_id": outcome.job_id,
            "needs_fetch": outcome.needs_fetch,
        }
    )
    return web.Response(body=body, content_type="application/json", charset="utf-8")


async def handle_webhook(ingress: Ingress, request: web.Request) -> web.Response:
    started = time.perf_counter()
    metrics = ingress.metrics
    body = await _read_limited(request, ingress.body_limit)
    if body is None:
        metrics.count_webhook("too_large")
        return error(
            413, "rest_request_entity_too_large", f"Body larger than {ingress.body_limit} bytes."
        )
    if _is_ping(request, body):
        metrics.count_webhook("ping")
        return web.json_response({"ping": "ok"})
    if request.content_type != "application/json":
        metrics.count_webhook("unsupported_media_type")
        return error(415, "unsupported_media_type", "Content-Type must be application/json.")
    headers = request.headers
    if not ingress.verify(body, headers.get("X-WC-Webhook-Signature")):
        metrics.count_webhook("bad_signature")
        return error(401, "invalid_signature", "Missing or invalid X-WC-Webhook-Signature.")
    topic = headers.get("X-WC-Webhook-Topic", "")
    source = headers.get("X-WC-Webhook-Source", "woocommerce") or "woocommerce"
    now = ingress.clock()

    def entry(reason: str, kind: str = "invalid") -> QuarantineEntry:
        return QuarantineEntry(source, topic, _kept(request), body, reason, now, kind)

    if topic not in ORDER_TOPICS:
        # unknown or unhandled topics (order.deleted, product.*) are recorded, then ignored
        reason = f"topic {topic or '(none)'} is not handled"
        return await _quarantine(ingress, entry(reason, "ignored_topic"))
    sha = hashlib.sha256(body).hexdigest()
    known = ingress.validated.get(sha)
    if known is None:
        # the common well-formed order is recognised cheaply; anything else (and every
        # quarantine reason) is decided by the full validator
        known = order_facts(body)
        if known is None:
            try:
                order = parse_order_json(body)  # parses and validates the bytes once
            except ValidationError as exc:
                return await _quarantine(ingress, entry(validation_reason(exc)))
            known = (order.id, order.date_modified_gmt)
        ingress.remember(sha, known)
    order_id, date_modified_gmt = known
    delivery = InboundDelivery(
        source=source,
        topic=topic,
        order_id=order_id,
        date_modified_gmt=date_modified_gmt,
        payload=RawJsonObject(body),
        received_at=now,
        payload_sha256=sha,
        raw=body,
        delivery_id=headers.get("X-WC-Webhook-Delivery-ID"),
        webhook_id=headers.get("X-WC-Webhook-ID"),
    )
    try:
        outcome = await ingress.committer.submit(delivery)
    except Exception as exc:  # the store is down: nothing was committed, say so honestly
        metrics.count_webhook("store_unavailable")
        log.error(
            "webhook_store_failed",
            correlation_id=correlation_id("wc", order_id),
            error=f"{type(exc).__name__}: {exc}"[:300],
        )
        resp = error(503, "store_unavailable", "The delivery could not be stored; retry later.")
        resp.headers["Retry-After"] = "5"
        return resp
    if outcome.error is not None:
        cid = correlation_id("wc", order_id)
        return await _quarantine(ingress, entry(outcome.error), cid)
    kind = "duplicate" if outcome.duplicate else ("stale" if outcome.stale else "accepted")
    metrics.count_webhook(kind)
    metrics.ingress_commit.observe(time.perf_counter() - started)
    if _debug_enabled():
        log.debug(
            "webhook_accepted",
            correlation_id=correlation_id("wc", order_id),
            topic=topic,
            outcome=kind,
            needs_fetch=outcome.needs_fetch,
        )
    wants_fetch = (outcome.needs_fetch or outcome.stale) and not outcome.duplicate
    if wants_fetch and ingress.on_needs_fetch is not None:
        ingress.on_needs_fetch(order_id)
    return _answer(kind, order_id, outcome)
