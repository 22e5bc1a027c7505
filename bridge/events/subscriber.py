"""Magento mode: consume fakeshop's (or a real Magento module's) order events from MQTT.

It imitates a durable bus consumer: an MQTT 3.1.1 persistent session (fixed client id,
``clean_session=False``) so the broker queues QoS 1 events while the bridge is down, and
a consumer inbox (``store.accept_event``, dedup by ``event_id``) so redelivered or duplicated
events change nothing. The PUBACK is sent only after the store committed (paho's manual
ack; aiomqtt 2.x does not expose it, see ``_enable_manual_ack``), so a crash before the
commit makes the broker redeliver the event when the session resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiomqtt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bridge.events.magento import MagentoOrderError, magento_to_woo
from bridge.events.metrics import SubscriberMetrics
from bridge.events.mqtt import make_client, reconnect_delay
from bridge.events.settings import MqttSettings
from bridge.events.topics import magento_subscription, type_from_topic
from bridge.keys import correlation_id
from bridge.store.base import AcceptOutcome, QuarantineEntry, Store
from sapchaos.catalog import Catalog, load_catalog
from sapchaos.logs import correlated, get_logger

__all__ = [
    "SOURCE",
    "MagentoEvent",
    "MagentoSubscriber",
    "parse_event",
    "run_subscriber",
]

log = get_logger("bridge.events.subscriber")

#: the inbox ``source`` of Magento bus events (dedup key: source + event_id)
SOURCE = "magento"


class InvalidShopEvent(ValueError):
    """An authentic-looking but unusable shop event (quarantined, then acknowledged)."""


def _epoch(text: str) -> float:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


class MagentoEvent(BaseModel):
    """fakeshop's Magento event: ``{event_id, event_type, occurred_at, correlation_id, order}``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: str = Field(min_length=1, max_length=200)
    event_type: str = Field(min_length=1)
    occurred_at: str
    correlation_id: str = ""
    order: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _iso(cls, v: str) -> str:
        _epoch(v)
        return v

    @property
    def occurred_epoch(self) -> float:
        return _epoch(self.occurred_at)


def parse_event(body: bytes) -> MagentoEvent:
    """Parse a message body (money kept exact: JSON numbers become ``Decimal``)."""
    try:
        data = json.loads(body.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidShopEvent(f"body is not UTF-8 JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidShopEvent("body must be a JSON object")
    try:
        return MagentoEvent.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first.get("loc", ()))
        raise InvalidShopEvent(f"{loc}: {first.get('msg', '')}") from exc


def _enable_manual_ack(client: aiomqtt.Client) -> Callable[[aiomqtt.Message], None] | None:
    """Turn on paho's manual PUBACK under aiomqtt (its issue #345 / PR #346 are not merged);
    returns the ack function, or None if this aiomqtt has no paho client to switch."""
    paho = getattr(client, "_client", None)
    if paho is None or not hasattr(paho, "manual_ack_set") or not hasattr(paho, "ack"):
        return None
    paho.manual_ack_set(True)

    def ack(message: aiomqtt.Message) -> None:
        if message.qos > 0:
            paho.ack(message.mid, message.qos)

    return ack


@dataclass
class MagentoSubscriber:
    """``await sub.run(stop)``; ``handle(topic, body)`` is the broker-free core."""

    store: Store
    catalog: Catalog
    settings: MqttSettings = field(default_factory=MqttSettings)
    clock: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    metrics: SubscriberMetrics = field(default_factory=SubscriberMetrics)
    connected: bool = False
    manual_ack: bool = False
    #: set while subscribed (tests and readiness checks wait on it)
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)
    _ack: Callable[[aiomqtt.Message], None] | None = None

    async def handle(self, topic: str, body: bytes) -> AcceptOutcome | None:
        """Inbox one event (dedup by event_id, snapshot LWW by occurred_at, job coalesced).
        Invalid events are quarantined and return None. Store failures propagate (the
        message must not be acknowledged)."""
        self.metrics.received += 1
        try:
            event = parse_event(body)
            payload = magento_to_woo(event.order, self.catalog)
        except (InvalidShopEvent, MagentoOrderError) as exc:
            await self._quarantine(topic, body, str(exc))
            return None
        topic_type = type_from_topic(self.settings.magento_prefix, topic)
        if topic_type is not None and topic_type != event.event_type:
            log.warning("event_type_topic_mismatch", topic=topic, event_type=event.event_type)
        with correlated(
            event.correlation_id or correlation_id("mg", payload["id"], payload["number"])
        ):
            try:
                outcome = await self.store.accept_event(
                    SOURCE, event.event_id, int(payload["id"]), payload, event.occurred_epoch
                )
            except Exception:
                self.metrics.count("store_failures")
                raise
            self.metrics.count("duplicates" if outcome.duplicate else "accepted")
            log.info(
                "shop_event_accepted",
                event_type=event.event_type,
                duplicate=outcome.duplicate,
                job_id=outcome.job_id,
            )
        return outcome

    async def _quarantine(self, topic: str, body: bytes, reason: str) -> None:
        await self.store.quarantine(
            QuarantineEntry(
                source=SOURCE,
                topic=topic,
                headers={},
                body=body,
                reason=reason[:500],
                received_at=self.clock(),
                kind="invalid",
            )
        )
        self.metrics.count("quarantined")
        log.warning("shop_event_quarantined", topic=topic, reason=reason[:200])

    async def _consume(self, client: aiomqtt.Client, stop: asyncio.Event) -> None:
        s = self.settings
        await client.subscribe(magento_subscription(s.magento_prefix, s.shared_group), qos=1)
        self.subscribed.set()
        messages = client.messages.__aiter__()
        ack = self._ack
        while not stop.is_set():
            nxt = asyncio.ensure_future(messages.__anext__())
            stopper = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({nxt, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if nxt not in done:
                nxt.cancel()
                with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                    await nxt
                return
            message: aiomqtt.Message = nxt.result()
            body = message.payload if isinstance(message.payload, bytes | bytearray) else b""
            await self.handle(str(message.topic), bytes(body))  # store error → no PUBACK
            if ack is not None:
                ack(message)

    async def run(self, stop: asyncio.Event) -> None:
        """Connect (persistent session), consume, and reconnect with backoff on failure.
        A store failure disconnects without acknowledging: the broker redelivers."""
        attempt = 0
        s = self.settings
        while not stop.is_set():
            client = make_client(s, s.subscriber_client_id, clean_session=s.clean_session)
            self._ack = _enable_manual_ack(client) if s.manual_ack else None
            self.manual_ack = self._ack is not None
            try:
                async with client:
                    self.connected = True
                    attempt = 0
                    log.info("magento_subscribed", client_id=s.subscriber_client_id)
                    await self._consume(client, stop)
            except aiomqtt.MqttError as exc:
                attempt += 1
                self.metrics.disconnects += 1
                log.warning("mqtt_unavailable", error=str(exc)[:200], attempt=attempt)
            except Exception as exc:  # store down: drop the connection unacked, retry later
                attempt += 1
                log.warning("subscriber_store_error", error=f"{type(exc).__name__}: {exc}"[:200])
            finally:
                self.connected = False
                self.subscribed.clear()
            if attempt and not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), reconnect_delay(s, attempt, self.rng))

    def stats(self) -> dict[str, Any]:
        m = self.metrics
        return {
            "connected": self.connected,
            "manual_ack": self.manual_ack,
            "received": m.received,
            "accepted": m.accepted,
            "duplicates": m.duplicates,
            "quarantined": m.quarantined,
            "store_failures": m.store_failures,
        }


async def run_subscriber(
    store: Store,
    settings: MqttSettings,
    stop: asyncio.Event,
    catalog: Catalog | None = None,
    *,
    clock: Callable[[], float] = time.time,
    metrics: SubscriberMetrics | None = None,
) -> MagentoSubscriber:
    """The ``subscriber`` role: run until ``stop`` is set; returns the subscriber."""
    sub = MagentoSubscriber(
        store,
        catalog or load_catalog(),
        settings,
        clock,
        random.Random(0),
        metrics or SubscriberMetrics(),
    )
    await sub.run(stop)
    return sub
