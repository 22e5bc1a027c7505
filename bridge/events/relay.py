"""The events outbox relay: outbox rows → MQTT (QoS 1) → marked published after PUBACK.

It imitates the transactional-outbox forwarder integration teams run beside their
database: the worker commits outcome events with the ledger, and this loop forwards them.
In aiomqtt 2.x ``await client.publish(..., qos=1)`` returns only when paho's
``on_publish`` fired, i.e. when the broker's PUBACK arrived; only then is a row marked.
A broker outage delays events (reconnect with full-jitter backoff), never drops them.
A crash between PUBACK and ``mark_published`` republishes the event: delivery is at least
once, consumers dedup by ``event_id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiomqtt

from bridge.events.metrics import RelayMetrics
from bridge.events.mqtt import make_client, reconnect_delay
from bridge.events.schema import encode_event, to_envelope
from bridge.events.settings import MqttSettings
from bridge.events.topics import event_topic
from bridge.store.base import OutboxEvent, Store
from sapchaos.logs import get_logger

__all__ = ["OutboxRelay", "PublishFn", "run_relay"]

log = get_logger("bridge.events.relay")


class PublishFn(Protocol):
    """Publish one message and return once the broker acknowledged it (QoS ≥ 1)."""

    def __call__(self, topic: str, payload: bytes, qos: int) -> Awaitable[None]: ...


@dataclass
class OutboxRelay:
    """``await relay.run(stop)`` until ``stop`` is set; ``publish_batch`` is the core step."""

    store: Store
    settings: MqttSettings = field(default_factory=MqttSettings)
    clock: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    metrics: RelayMetrics = field(default_factory=RelayMetrics)
    connected: bool = False
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def wake(self) -> None:
        """Look at the outbox now instead of after ``idle_poll_s`` (new events committed)."""
        self._wake.set()

    async def publish_batch(self, publish: PublishFn, events: Sequence[OutboxEvent]) -> int:
        """Publish ``events`` concurrently (pipelined on one connection), then mark exactly
        the acknowledged ones published. Returns how many were marked; re-raises the first
        publish failure after marking the others, so the caller reconnects."""
        s = self.settings

        async def one(event: OutboxEvent) -> None:
            envelope, off_schema = to_envelope(event, self.clock())
            if off_schema is not None:
                self.metrics.off_schema += 1
                log.error(
                    "event_off_schema", event_id=event.event_id, type=event.type, why=off_schema
                )
            topic = event_topic(s.events_prefix, event.type)
            await asyncio.wait_for(
                publish(topic, encode_event(envelope), s.qos), s.publish_timeout_s
            )

        results = await asyncio.gather(*(one(e) for e in events), return_exceptions=True)
        acked = [e for e, r in zip(events, results, strict=True) if r is None]
        if acked:
            await self.store.mark_published([e.event_id for e in acked])
            now = self.clock()
            for e in acked:
                created = e.created_at if e.created_at is not None else now
                self.metrics.on_published(e.type, now - created)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            self.metrics.on_failure(len(failures))
            first = failures[0]
            if isinstance(first, TimeoutError):
                raise aiomqtt.MqttError("no PUBACK within publish_timeout_s") from first
            raise first
        return len(acked)

    async def drain_once(self, publish: PublishFn) -> int:
        """One batch: fetch unpublished (oldest first), publish, mark. Returns how many."""
        events = await self.store.fetch_unpublished(self.settings.batch_size)
        if not events:
            return 0
        return await self.publish_batch(publish, events)

    async def _pump(self, client: aiomqtt.Client, stop: asyncio.Event) -> None:
        async def publish(topic: str, payload: bytes, qos: int) -> None:
            await client.publish(topic, payload, qos=qos, timeout=self.settings.publish_timeout_s)

        while not stop.is_set():
            n = await self.drain_once(publish)
            if n >= self.settings.batch_size:
                continue  # backlog: keep going without sleeping
            self._wake.clear()
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait(
                    {waiter, stopper},
                    timeout=self.settings.idle_poll_s,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                waiter.cancel()
                stopper.cancel()

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, pump, and on any broker or store failure back off and start again."""
        attempt = 0
        broker = self.settings.broker
        while not stop.is_set():
            client = make_client(
                self.settings, self.settings.relay_identifier(), clean_session=True
            )
            try:
                async with client:
                    self.connected = True
                    self.metrics.on_connect()
                    if attempt:
                        log.info(
                            "mqtt_reconnected", broker=f"{broker.host}:{broker.port}", after=attempt
                        )
                    attempt = 0
                    await self._pump(client, stop)
            except aiomqtt.MqttError as exc:
                attempt += 1
                self.metrics.on_disconnect()
                log.warning("mqtt_unavailable", error=str(exc)[:200], attempt=attempt)
            except Exception as exc:  # the store is down: keep the relay alive, retry later
                attempt += 1
                log.warning("relay_store_error", error=f"{type(exc).__name__}: {exc}"[:200])
            finally:
                self.connected = False
            if attempt and not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        stop.wait(), reconnect_delay(self.settings, attempt, self.rng)
                    )
        log.info("relay_stopped", published=self.metrics.published)

    def stats(self) -> dict[str, Any]:
        m = self.metrics
        return {
            "connected": self.connected,
            "published": m.published,
            "publish_failures": m.publish_failures,
            "disconnects": m.disconnects,
            "off_schema": m.off_schema,
            "last_lag_s": round(m.last_lag_s, 4),
            "max_lag_s": round(m.max_lag_s, 4),
        }


async def run_relay(
    store: Store,
    settings: MqttSettings,
    stop: asyncio.Event,
    *,
    clock: Callable[[], float] = time.time,
    rng: random.Random | None = None,
    metrics: RelayMetrics | None = None,
) -> OutboxRelay:
    """The ``relay`` role: run until ``stop`` is set; returns the relay (its stats)."""
    relay = OutboxRelay(store, settings, clock, rng or random.Random(0), metrics or RelayMetrics())
    await relay.run(stop)
    return relay
