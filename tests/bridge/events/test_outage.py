"""Broker outage: a private Mosquitto is stopped while the worker keeps writing events and
started again on the same port. Nothing is lost; after consumer dedup, exactly once.

The short outage (``SAPCHAOS_OUTAGE_S``, default 3 s) runs on SQLite and PostgreSQL; the
issue's 30 s outage runs once on SQLite (about 35 s).
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from bridge.events.consumer_dedup import SeenEvents
from bridge.events.relay import OutboxRelay
from bridge.events.settings import MqttSettings
from bridge.store import Store
from bridge.store.base import OutboxEvent
from tests.bridge.events.broker import Collector, PrivateBroker, wait_for
from tests.bridge.events.events import sample_event

OUTAGE_S = float(os.environ.get("SAPCHAOS_OUTAGE_S", "3"))


async def outage_run(
    store: Store, settings: MqttSettings, broker: PrivateBroker, outage_s: float
) -> dict[str, float]:
    collector = await Collector("127.0.0.1", broker.port, f"{settings.events_prefix}/#").start()
    await asyncio.sleep(1.2)  # the broker autosaves the consumer's session every second
    produced: list[OutboxEvent] = []
    producing = asyncio.Event()
    producing.set()

    async def worker_writes() -> None:  # the bridge's worker committing outcome events
        i = 0
        while producing.is_set():
            batch = [sample_event(i + k) for k in range(3)]
            await store.enqueue_events(batch)
            produced.extend(batch)
            i += 3
            await asyncio.sleep(0.05)

    stop = asyncio.Event()
    relay = OutboxRelay(store, settings)
    relay_task = asyncio.create_task(relay.run(stop))
    producer = asyncio.create_task(worker_writes())
    try:
        await wait_for(lambda: relay.metrics.published >= 30)
        broker.stop()
        await asyncio.sleep(outage_s)
        during = len(await store.fetch_unpublished(100_000))
        assert during > 0, "events written during the outage must wait in the outbox"
        assert relay.metrics.disconnects >= 1
        back_at = time.monotonic()
        broker.start()
        await asyncio.sleep(0.5)
        producing.clear()
        await producer
        total = len(produced)

        async def all_marked() -> bool:
            return not await store.fetch_unpublished(10)

        await wait_for(all_marked, timeout_s=30)
        await wait_for(lambda: len({b for b in collector.bodies}) >= total, timeout_s=15)
        drained_s = time.monotonic() - back_at
    finally:
        producing.clear()
        stop.set()
        await asyncio.wait_for(relay_task, 10)
        await collector.close()
    dedup = SeenEvents()
    firsts = [e for e in (dedup.accept(b) for b in collector.bodies) if e is not None]
    assert {e["event_id"] for e in firsts} == {e.event_id for e in produced}
    assert len(firsts) == total  # exactly once after consumer dedup
    assert len(collector.bodies) >= total  # at least once on the wire
    figures = {
        "outage_s": outage_s,
        "events": float(total),
        "waiting_at_restart": float(during),
        "redelivered": float(dedup.duplicates),
        "drain_after_restart_s": round(drained_s, 2),
    }
    print("outage figures:", figures)
    return figures


async def test_broker_outage_loses_nothing(
    store: Store, settings: MqttSettings, private_broker: PrivateBroker
) -> None:
    cfg = settings.replace(url=private_broker.url, backoff_cap_s=2.0)
    figures = await outage_run(store, cfg, private_broker, OUTAGE_S)
    assert figures["waiting_at_restart"] > 0


async def test_broker_outage_of_30s_loses_nothing(
    sqlite_store: Store, settings: MqttSettings, tmp_path: Path
) -> None:
    workdir = tmp_path / "broker30"
    workdir.mkdir()
    broker = PrivateBroker(workdir)
    broker.start()
    try:
        cfg = settings.replace(url=broker.url, backoff_cap_s=5.0)  # the default cap
        figures = await outage_run(sqlite_store, cfg, broker, 30.0)
    finally:
        broker.stop()
    assert figures["waiting_at_restart"] >= 30 / 0.05  # ≥ 3 events per 50 ms, all waited
