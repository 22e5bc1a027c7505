"""Magento mode: consume fakeshop's (or a real Magento module's) order events from MQTT.

It imitates a durable bus consumer: an MQTT 3.1.1 persistent session (fixed client id,
``clean_session=False``) so the broker queues QoS 1 events while the bridge is down, and
a consumer inbox (``store.accept_event``, dedup by ``event_id``) so redelivered or duplicated
events change nothing. The PUBACK is sent only after the store committed (paho's manual
ack; aiomqtt 2.x does not expose it, see ``_enable_manual_ack``), so a crash before the
commit makes the broker redeliver the event when the session resumes.

A persistent session only helps while the broker still has it: Mosquitto saves sessions
on a clean shutdown or every ``autosave_interval``, so a crash (or a broker whose disk is
not writable) can forget the subscription, and the shop's buffered events are then
published to nobody (and acknowledged to the shop). Every CONNACK's *session present* flag
is therefore checked: when it is 0 the subscriber logs the gap (last event seen, last
instant the session was known alive, reconnect time) at warning level, subscribes again,
and runs a catch-up reconciliation over the shop's REST API for the whole gap before it
calls itself ready (``ready``; the readiness check ``broker`` reads it). After an
unexpected disconnect the outage window is caught up even when the session survived: a
broker restored from its last autosave has the subscription but not the messages it
acknowledged after that save.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Awaitable, Callable
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

#: reads the shop's orders changed since an epoch instant; returns how many it healed
CatchUp = Callable[[float], Awaitable[int]]


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _watch_connack(client: aiomqtt.Client) -> list[bool]:
    """Record the *session present* flag of each CONNACK (paho reports it to
    ``on_connect``; aiomqtt keeps it to itself). Returns the list it appends to."""
    seen: list[bool] = []
    paho = getattr(client, "_client", None)
    original = getattr(paho, "on_connect", None)
    if paho is None or original is None:
        return seen

    def on_connect(c: Any, userdata: Any, flags: Any, reason: Any, props: Any = None) -> None:
        present = getattr(flags, "session_present", None)
        if present is None and isinstance(flags, dict):
            present = flags.get("session present")
        seen.append(bool(present))
        original(c, userdata, flags, reason, props)

    paho.on_connect = on_connect
    return seen


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
    #: set while subscribed (tests wait on it)
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)
    #: set while subscribed with no unhealed gap (readiness reads it)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    #: heals a gap after a lost session (``ShopReconciler.catch_up``); None = cannot heal
    catch_up: CatchUp | None = None
    #: with no earlier contact in this process, a lost session's gap starts this far back
    lookback_s: float = 3600.0
    #: the catch-up starts this long before the gap (clock skew between shop and bridge)
    margin_s: float = 60.0
    #: session present flag of the last CONNACK (None before the first)
    session_present: bool | None = None
    #: the last instant the session was known to hold (connected and subscribed)
    last_alive_at: float | None = None
    last_event_at: float | None = None
    #: start of a gap not yet caught up (None = no gap)
    gap_since: float | None = None
    last_error: str | None = None
    _ack: Callable[[aiomqtt.Message], None] | None = None
    _healer: asyncio.Task[None] | None = None

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
            self.last_event_at = event.occurred_epoch
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
        self.last_alive_at = self.clock()
        if self.gap_since is None:
            self.ready.set()
        elif self.catch_up is None:
            log.warning(
                "session_gap_unhealed",
                gap_since=_iso(self.gap_since),
                hint="run the reconciler role (or poller) so lost events are healed",
            )
            self.ready.set()
        else:  # subscribed first, so nothing published from now on can fall in a new gap
            self._healer = asyncio.create_task(self._heal(stop), name="subscriber-catch-up")
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
            self.last_alive_at = self.clock()

    def _on_connack(self, present: bool) -> None:
        """Check the CONNACK: a missing session opens (or extends) a gap to catch up."""
        now = self.clock()
        self.session_present = present
        if present:
            return
        self.metrics.on_session_lost()
        if self.gap_since is None:
            self.gap_since = (
                self.last_alive_at if self.last_alive_at is not None else now - self.lookback_s
            )
        log.warning(
            "mqtt_session_lost",
            client_id=self.settings.subscriber_client_id,
            last_event_at=_iso(self.last_event_at),
            last_alive_at=_iso(self.last_alive_at),
            reconnected_at=_iso(now),
            gap_s=round(now - self.gap_since, 1),
            catch_up_from=_iso(self.gap_since - self.margin_s),
        )

    async def _heal(self, stop: asyncio.Event) -> None:
        """Catch up the gap over the shop's REST API, retrying with backoff until it
        succeeds (or the subscriber stops); then the subscriber is ready."""
        assert self.catch_up is not None
        attempt = 0
        while not stop.is_set() and self.gap_since is not None:
            since = self.gap_since - self.margin_s
            try:
                healed = await self.catch_up(since)
            except Exception as exc:
                attempt += 1
                self.metrics.catch_up_failures += 1
                self.last_error = f"catch-up: {type(exc).__name__}: {exc}"[:300]
                log.warning("catch_up_failed", attempt=attempt, error=self.last_error)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        stop.wait(), reconnect_delay(self.settings, attempt, self.rng)
                    )
                continue
            self.metrics.on_caught_up(healed)
            log.info("session_gap_healed", orders=healed, since=_iso(since))
            self.gap_since = None
            self.last_error = None
            self.ready.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Connect (persistent session), consume, and reconnect with backoff on failure.
        A store failure disconnects without acknowledging: the broker redelivers."""
        attempt = 0
        s = self.settings
        while not stop.is_set():
            client = make_client(s, s.subscriber_client_id, clean_session=s.clean_session)
            self._ack = _enable_manual_ack(client) if s.manual_ack else None
            self.manual_ack = self._ack is not None
            connacks = _watch_connack(client)
            try:
                async with client:
                    self.connected = True
                    attempt = 0
                    self._on_connack(connacks[-1] if connacks else False)
                    log.info(
                        "magento_subscribed",
                        client_id=s.subscriber_client_id,
                        session_present=self.session_present,
                    )
                    await self._consume(client, stop)
            except aiomqtt.MqttError as exc:
                attempt += 1
                self.metrics.disconnects += 1
                self.last_error = f"mqtt: {exc}"[:300]
                log.warning("mqtt_unavailable", error=str(exc)[:200], attempt=attempt)
            except Exception as exc:  # store down: drop the connection unacked, retry later
                attempt += 1
                self.last_error = f"store: {type(exc).__name__}: {exc}"[:300]
                log.warning("subscriber_store_error", error=f"{type(exc).__name__}: {exc}"[:200])
            finally:
                if self.connected and self.subscribed.is_set():
                    self.last_alive_at = self.clock()
                    if not stop.is_set() and self.gap_since is None:
                        # an unexpected disconnect: even if the session survives, a broker
                        # that crashed lost what it received after its last save, so the
                        # outage window is caught up after the reconnect as well
                        self.gap_since = self.last_alive_at
                self.connected = False
                self.subscribed.clear()
                self.ready.clear()
                if self._healer is not None:  # the gap stays open: healed after reconnect
                    self._healer.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await self._healer
                    self._healer = None
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
            "session_present": self.session_present,
            "lost_sessions": m.lost_sessions,
            "caught_up_orders": m.caught_up_orders,
            "catch_up_failures": m.catch_up_failures,
            "gap_since": _iso(self.gap_since),
            "ready": self.ready.is_set(),
            "last_error": self.last_error,
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
