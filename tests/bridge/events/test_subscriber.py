"""The Magento-mode subscriber against the real Mosquitto and real stores: persistent
session, inbox dedup by event_id, PUBACK only after the store committed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, cast

import aiomqtt
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bridge.events.settings import MqttSettings
from bridge.events.subscriber import MagentoSubscriber
from bridge.order import parse_order
from bridge.store import Store
from fakeshop.app import create_app
from fakeshop.config import ShopConfig
from sapchaos.catalog import load_catalog
from tests.bridge.events.broker import wait_for
from tests.bridge.events.shop_orders import magento_event, woo_order

CATALOG = load_catalog()


async def publish(settings: MqttSettings, items: list[tuple[str, bytes]]) -> None:
    async with aiomqtt.Client(
        "127.0.0.1", 1883, identifier=f"{settings.subscriber_client_id}-pub"
    ) as c:
        for event_type, body in items:
            await c.publish(f"{settings.magento_prefix}/{event_type}", body, qos=1)


class Running:
    """A subscriber task that can be stopped and started again (same client id)."""

    def __init__(self, sub: MagentoSubscriber) -> None:
        self.sub = sub
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> Running:
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.sub.run(self.stop))
        await asyncio.wait_for(self.sub.subscribed.wait(), 10)
        return self

    async def halt(self) -> None:
        self.stop.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)


@pytest.fixture
async def session_cleanup(settings: MqttSettings) -> AsyncIterator[None]:
    yield
    with contextlib.suppress(aiomqtt.MqttError):  # drop the persistent session on 1883
        async with aiomqtt.Client(
            "127.0.0.1", 1883, identifier=settings.subscriber_client_id, clean_session=True
        ):
            pass


async def events_inbox(store: Store) -> int:
    return int((await store.counts())["events_inbox"])


@pytest.mark.usefixtures("session_cleanup")
async def test_persistent_session_gets_events_sent_while_down(
    store: Store, settings: MqttSettings
) -> None:
    run = await Running(MagentoSubscriber(store, CATALOG, settings)).start()
    await run.halt()  # the bridge goes down; its session stays on the broker
    items = []
    for oid in range(2001, 2006):
        _, body = magento_event(CATALOG, woo_order(oid, "pending"))
        items.append(("order.created", body))
    await publish(settings, items)
    run = await Running(run.sub).start()
    try:
        await wait_for(lambda: run.sub.metrics.accepted >= 5)
    finally:
        await run.halt()
    assert await events_inbox(store) == 5
    for oid in range(2001, 2006):
        snap = await store.get_snapshot(oid)
        assert snap is not None and snap.source == "magento"
        assert parse_order(snap.payload).number == f"{oid:09d}"
        job = await store.get_job(oid)
        assert job is not None and job.status == "pending"
    assert run.sub.manual_ack


@pytest.mark.usefixtures("session_cleanup")
async def test_duplicates_make_one_inbox_row_and_one_job(
    store: Store, settings: MqttSettings
) -> None:
    _, created = magento_event(CATALOG, woo_order(3001, "pending"), event_id="e-3001-1")
    _, paid = magento_event(
        CATALOG,
        woo_order(3001, "processing", modified="2026-11-23T20:12:00"),
        "payment.captured",
        event_id="e-3001-2",
        occurred_at="2026-11-23T20:12:00.456Z",
    )
    run = await Running(MagentoSubscriber(store, CATALOG, settings)).start()
    try:
        await publish(
            settings,
            [
                ("order.created", created),
                ("order.created", created),
                ("payment.captured", paid),
                ("payment.captured", paid),
                ("order.created", created),
            ],
        )
        await wait_for(lambda: run.sub.metrics.received >= 5)
    finally:
        await run.halt()
    m = run.sub.metrics
    assert (m.accepted, m.duplicates) == (2, 3)
    counts = await store.counts()
    assert counts["events_inbox"] == 2 and counts["event_duplicates"] == 3
    jobs = await store.list_jobs()
    assert [j.order_id for j in jobs] == [3001]  # one job, coalesced
    snap = await store.get_snapshot(3001)
    assert snap is not None and snap.payload["status"] == "processing"  # newest wins


@pytest.mark.usefixtures("session_cleanup")
async def test_reordered_older_event_does_not_win(
    sqlite_store: Store, settings: MqttSettings
) -> None:
    _, older = magento_event(
        CATALOG, woo_order(3101, "pending"), occurred_at="2026-11-23T20:11:00.000Z"
    )
    _, newer = magento_event(
        CATALOG,
        woo_order(3101, "cancelled"),
        "order.canceled",
        occurred_at="2026-11-23T20:15:00.000Z",
    )
    run = await Running(MagentoSubscriber(sqlite_store, CATALOG, settings)).start()
    try:
        await publish(settings, [("order.canceled", newer), ("order.created", older)])
        await wait_for(lambda: run.sub.metrics.received >= 2)
    finally:
        await run.halt()
    snap = await sqlite_store.get_snapshot(3101)
    assert snap is not None and snap.payload["status"] == "cancelled"


class FailingOnce:
    """A store whose first ``accept_event`` fails (database blip); everything else passes."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.failed = 0

    async def accept_event(self, *args: Any, **kw: Any) -> Any:
        if not self.failed:
            self.failed += 1
            raise ConnectionError("database is restarting")
        return await self.inner.accept_event(*args, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.mark.usefixtures("session_cleanup")
async def test_event_is_acknowledged_only_after_commit(
    sqlite_store: Store, settings: MqttSettings
) -> None:
    """The store fails on the first try: no PUBACK, so the broker redelivers the event when
    the subscriber's session resumes, and it is committed exactly once."""
    flaky = FailingOnce(sqlite_store)
    sub = MagentoSubscriber(cast(Store, flaky), CATALOG, settings)
    run = await Running(sub).start()
    try:
        _, body = magento_event(CATALOG, woo_order(4001, "pending"))
        await publish(settings, [("order.created", body)])
        await wait_for(lambda: sub.metrics.accepted >= 1)
    finally:
        await run.halt()
    assert flaky.failed == 1 and sub.metrics.store_failures == 1
    assert sub.metrics.received == 2  # the same message, redelivered
    assert await events_inbox(sqlite_store) == 1
    assert await sqlite_store.get_job(4001) is not None


@pytest.mark.usefixtures("session_cleanup")
async def test_invalid_event_is_quarantined_and_acknowledged(
    sqlite_store: Store, settings: MqttSettings
) -> None:
    _, good = magento_event(CATALOG, woo_order(5001, "pending"))
    run = await Running(MagentoSubscriber(sqlite_store, CATALOG, settings)).start()
    try:
        await publish(settings, [("order.created", b"{not json"), ("order.created", good)])
        await wait_for(lambda: run.sub.metrics.received >= 2)
    finally:
        await run.halt()
    rows = await sqlite_store.list_quarantine()
    assert len(rows) == 1 and rows[0].source == "magento" and "JSON" in rows[0].reason
    assert rows[0].body == b"{not json"
    run = await Running(run.sub).start()  # acknowledged: nothing comes back on resume
    await asyncio.sleep(0.5)
    await run.halt()
    assert run.sub.metrics.received == 2 and len(await sqlite_store.list_quarantine()) == 1


@pytest.mark.usefixtures("session_cleanup")
async def test_fakeshop_magento_events_reach_the_inbox(
    sqlite_store: Store, settings: MqttSettings
) -> None:
    """End to end: fakeshop's Magento mode (duplicate chaos) → Mosquitto → inbox."""
    run = await Running(MagentoSubscriber(sqlite_store, CATALOG, settings)).start()
    config = ShopConfig(
        magento=True,
        mqtt_url="mqtt://127.0.0.1:1883",
        mqtt_topic_prefix=settings.magento_prefix,
        chaos_profile="duplicates",
        seed=9,
    )
    try:
        async with TestClient(TestServer(create_app(config))) as shop:
            r = await shop.post("/__admin/orders/generate", json={"count": 8})
            assert r.status == 201, await r.text()
            ids = (await r.json())["created"]

            async def published() -> list[dict[str, Any]]:
                data = await (await shop.get("/__admin/events")).json()
                events: list[dict[str, Any]] = data["events"]
                return events

            async def all_sent() -> bool:
                evs = await published()
                return bool(evs) and all(e["published_at"] for e in evs)

            await wait_for(all_sent)
            shop_events = await published()
        await wait_for(lambda: run.sub.metrics.received >= len(shop_events))
    finally:
        await run.halt()
    unique = {e["event_id"] for e in shop_events}
    assert run.sub.metrics.accepted == len(unique)
    assert run.sub.metrics.duplicates == len(shop_events) - len(unique)
    assert await events_inbox(sqlite_store) == len(unique)
    for oid in ids:
        snap = await sqlite_store.get_snapshot(oid)
        assert snap is not None
        parse_order(snap.payload)  # the worker can read every snapshot
        assert await sqlite_store.get_job(oid) is not None
    assert run.sub.metrics.quarantined == 0
