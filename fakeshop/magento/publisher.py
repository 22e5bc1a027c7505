"""Magento-mode events: order changes become ``order.created``, ``payment.captured``,
``order.canceled``, ``order.refunded`` rows in the outbox (with the same seeded duplicate
and reorder chaos as webhooks), and a relay publishes them to MQTT with QoS 1, retrying
with backoff while the broker is away."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from random import Random
from typing import Any
from urllib.parse import urlsplit

import aiomqtt

from fakeshop.chaos import EVENT_KNOBS, ChaosSettings, make_plan
from fakeshop.magento.mapping import dumps, increment_id, to_magento
from fakeshop.magento.outbox import MemoryOutbox, Outbox, OutboxRow, SqliteOutbox
from fakeshop.store import OrderEvent, ShopState
from fakeshop.timefmt import iso_ms
from sapchaos.logs import get_logger

log = get_logger("fakeshop.magento")
PAID = ("processing", "completed")


def event_types(event: OrderEvent) -> list[str]:
    """Which seed events one order change produces."""
    if event.topic == "order.created":
        types = ["order.created"]
        if event.status in PAID:
            types.append("payment.captured")
        return types
    if event.topic != "order.updated" or event.status == event.prev_status:
        return []
    if event.status in PAID and event.prev_status not in PAID:
        return ["payment.captured"]
    if event.status in ("cancelled", "failed"):
        return ["order.canceled"]
    if event.status == "refunded":
        return ["order.refunded"]
    return []


class MagentoPublisher:
    def __init__(self, state: ShopState, settings: ChaosSettings, seed: int) -> None:
        cfg = state.config
        self.state = state
        self.settings = settings
        self.rng = Random(seed ^ 0xA6E)
        self.outbox: Outbox = SqliteOutbox(cfg.outbox_path) if cfg.outbox_path else MemoryOutbox()
        self.mqtt_url = cfg.mqtt_url
        self.prefix = cfg.mqtt_topic_prefix.rstrip("/")
        self.client_id = cfg.mqtt_client_id or f"fakeshop-{uuid.uuid4().hex[:10]}"
        self._seq = 0
        self._writes: set[asyncio.Task[None]] = set()
        self.relay_task: asyncio.Task[None] | None = None
        self.connected = False
        self.published = 0
        self.wake = asyncio.Event()
        state.listeners.append(self.on_event)

    async def start(self) -> None:
        if isinstance(self.outbox, SqliteOutbox):
            self._seq = await self.outbox.max_seq()
        if self.relay_task is None:
            self.relay_task = asyncio.get_running_loop().create_task(self._relay())

    async def close(self) -> None:
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        if self.relay_task is not None:
            self.relay_task.cancel()
            await asyncio.gather(self.relay_task, return_exceptions=True)
            self.relay_task = None
        await self.outbox.close()

    def set_broker(self, url: str) -> None:
        """Point the relay at another broker (tests use it to simulate an outage)."""
        self.mqtt_url = url
        if self.relay_task is not None:
            self.relay_task.cancel()
            self.relay_task = asyncio.get_running_loop().create_task(self._relay())

    # -- outbox writes ----------------------------------------------------------------
    def on_event(self, event: OrderEvent) -> None:
        types = event_types(event)
        if not types:
            return
        rec = self.state.orders[event.order_id]
        order = to_magento(
            event.payload,
            self.state.catalog,
            self.state.magento_comments.get(rec.id),
            self.state.magento_status.get(rec.id),
        )
        rows: list[OutboxRow] = []
        for etype in types:
            event_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            body: dict[str, Any] = {
                "event_id": event_id,
                "event_type": etype,
                "occurred_at": iso_ms(event.at),
                "correlation_id": f"mg:{increment_id(event.order_id)}",
                "order": order,
            }
            payload = dumps(body)
            plan = make_plan(
                "order.updated" if etype != "order.created" else etype,
                self.settings,
                self.rng,
                EVENT_KNOBS,
            )
            for c in plan.copies:
                self._seq += 1
                rows.append(
                    OutboxRow(
                        seq=self._seq,
                        event_id=event_id,
                        event_type=etype,
                        topic=f"{self.prefix}/{etype}",
                        payload=payload,
                        available_at=event.at + c.delay_s,
                        copy=c.copy,
                        chaos=list(c.chaos),
                    )
                )
                self.state.events.append(
                    {
                        "seq": self._seq,
                        "event_id": event_id,
                        "event_type": etype,
                        "order_id": event.order_id,
                        "copy": c.copy,
                        "chaos": list(c.chaos),
                        "queued_at": iso_ms(event.at),
                        "published_at": None,
                    }
                )
        task = asyncio.get_running_loop().create_task(self.outbox.add(rows))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)
        self.wake.set()

    async def pending(self) -> int:
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        return await self.outbox.pending()

    # -- relay ------------------------------------------------------------------------
    async def _relay(self) -> None:
        backoff = 0.2
        while True:
            url = urlsplit(self.mqtt_url)
            try:
                async with aiomqtt.Client(
                    url.hostname or "127.0.0.1",
                    url.port or 1883,
                    identifier=self.client_id,
                    timeout=5,
                ) as client:
                    self.connected = True
                    backoff = 0.2
                    log.info("mqtt_connected", broker=f"{url.hostname}:{url.port}")
                    await self._drain(client)
            except aiomqtt.MqttError as exc:
                self.connected = False
                log.warning("mqtt_unavailable", error=str(exc), retry_in_s=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _drain(self, client: aiomqtt.Client) -> None:
        index = {e["seq"]: e for e in self.state.events[-10000:]}
        while True:
            if self._writes:
                await asyncio.gather(*self._writes, return_exceptions=True)
            now = self.state.now()
            rows = await self.outbox.due(now, 200)
            for row in rows:
                await client.publish(row.topic, row.payload.encode(), qos=1)
                await self.outbox.mark_sent(row.seq, time.time())
                self.published += 1
                entry = index.get(row.seq) or next(
                    (e for e in self.state.events if e["seq"] == row.seq), None
                )
                if entry is not None:
                    entry["published_at"] = iso_ms(self.state.now())
            if not rows:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=0.05)
                index = {e["seq"]: e for e in self.state.events[-10000:]}
