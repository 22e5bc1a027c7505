"""The outbox relay against the real Mosquitto and real stores (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json

import aiomqtt
import pytest

from bridge.events.consumer_dedup import SeenEvents
from bridge.events.relay import OutboxRelay, run_relay
from bridge.events.schema import BRIDGE_EVENT
from bridge.events.settings import MqttSettings
from bridge.store import Store
from tests.bridge.events.broker import Collector, PrivateBroker, wait_for
from tests.bridge.events.events import sample_event


async def unpublished(store: Store) -> int:
    return len(await store.fetch_unpublished(10_000))


async def relay_done(store: Store) -> bool:
    return await unpublished(store) == 0


async def test_every_event_published_exactly_once(store: Store, settings: MqttSettings) -> None:
    events = [sample_event(i) for i in range(60)]
    await store.enqueue_events(events[:30])
    collector = await Collector("127.0.0.1", 1883, f"{settings.events_prefix}/#").start()
    stop = asyncio.Event()
    task = asyncio.create_task(run_relay(store, settings.replace(batch_size=16), stop))
    try:
        await store.enqueue_events(events[30:])  # some arrive while the relay runs
        await wait_for(lambda: len(collector.bodies) >= 60)
        await wait_for(lambda: relay_done(store))
        await asyncio.sleep(0.3)  # nothing more must arrive
    finally:
        stop.set()
        relay = await asyncio.wait_for(task, 10)
        await collector.close()
    ids = [json.loads(b)["event_id"] for b in collector.bodies]
    assert len(ids) == 60 and set(ids) == {e.event_id for e in events}
    assert relay.metrics.published == 60
    for body, topic in zip(collector.bodies, collector.topics, strict=True):
        envelope = json.loads(body)
        BRIDGE_EVENT.validate_python(envelope)  # every message fits the committed schema
        assert topic == f"{settings.events_prefix}/{envelope['type']}"
        assert envelope["correlation_id"] == f"wc:{envelope['order_id']}"
    assert relay.metrics.off_schema == 0
    assert (await store.counts())["outbox_unpublished"] == 0


async def test_failed_publish_is_not_marked(store: Store, settings: MqttSettings) -> None:
    """PUBACK-before-mark: only acknowledged events are marked; the failure surfaces."""
    events = [sample_event(i) for i in range(5)]
    await store.enqueue_events(events)
    sent: list[str] = []
    refuse = events[2].event_id

    async def flaky_publish(topic: str, payload: bytes, qos: int) -> None:
        event_id = json.loads(payload)["event_id"]
        if event_id == refuse:
            raise aiomqtt.MqttError("connection lost before PUBACK")
        sent.append(event_id)

    relay = OutboxRelay(store, settings)
    with pytest.raises(aiomqtt.MqttError):
        await relay.drain_once(flaky_publish)
    left = await store.fetch_unpublished(100)
    assert [e.event_id for e in left] == [refuse]
    assert relay.metrics.publish_failures == 1 and relay.metrics.published == 4

    async def ok_publish(topic: str, payload: bytes, qos: int) -> None:
        sent.append(json.loads(payload)["event_id"])

    assert await relay.drain_once(ok_publish) == 1
    assert await store.fetch_unpublished(100) == []
    assert sorted(sent) == sorted(e.event_id for e in events)


async def test_publish_without_puback_times_out_unmarked(
    sqlite_store: Store, settings: MqttSettings
) -> None:
    """A publish that never gets its PUBACK within the timeout counts as failed."""
    await sqlite_store.enqueue_events([sample_event(0)])
    never = asyncio.Event()

    async def hanging_publish(topic: str, payload: bytes, qos: int) -> None:
        await never.wait()

    relay = OutboxRelay(sqlite_store, settings.replace(publish_timeout_s=0.2))
    with pytest.raises(aiomqtt.MqttError):
        await relay.drain_once(hanging_publish)
    assert len(await sqlite_store.fetch_unpublished(10)) == 1


async def test_broker_down_at_start_then_back(
    sqlite_store: Store, settings: MqttSettings, private_broker: PrivateBroker
) -> None:
    """Broker down when the relay starts: nothing is marked, it keeps retrying with
    backoff, and once the broker is back every event arrives and is marked."""
    cfg = settings.replace(url=private_broker.url)
    collector = await Collector("127.0.0.1", private_broker.port, f"{cfg.events_prefix}/#").start()
    await asyncio.sleep(1.2)  # the broker autosaves the consumer's session every second
    private_broker.stop()
    events = [sample_event(i) for i in range(10)]
    await sqlite_store.enqueue_events(events)
    stop = asyncio.Event()
    relay = OutboxRelay(sqlite_store, cfg)
    task = asyncio.create_task(relay.run(stop))
    try:
        await wait_for(lambda: relay.metrics.disconnects >= 2)
        assert await unpublished(sqlite_store) == 10
        assert relay.metrics.published == 0
        private_broker.start()
        await wait_for(lambda: len(collector.bodies) >= 10)
        await wait_for(lambda: relay_done(sqlite_store))
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await collector.close()
    dedup = SeenEvents()
    firsts = [e for e in (dedup.accept(b) for b in collector.bodies) if e]
    assert {e["event_id"] for e in firsts} == {e.event_id for e in events}
    assert relay.metrics.published == 10
