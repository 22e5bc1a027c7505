"""Magento mode: REST subset with bearer token and searchCriteria, and events on MQTT
(real Mosquitto) from the outbox, surviving a broker outage and a shop restart."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from fakeshop.config import ShopConfig
from sapchaos.net import free_port
from tests.fakeshop.conftest import ShopHandle

TOKEN = "test-token"
FAST = {
    "pay": 1.0,
    "hold": 0.0,
    "cancel_unpaid": 0.0,
    "cancel_paid": 1.0,
    "refund_full": 0.0,
    "refund_partial": 0.0,
    "complete": 0.0,
    "mean_step_s": 0.01,
}


def _config(prefix: str, mqtt_url: str = "mqtt://127.0.0.1:1883", **kw: Any) -> ShopConfig:
    return ShopConfig(
        magento=True, magento_token=TOKEN, mqtt_url=mqtt_url, mqtt_topic_prefix=prefix, **kw
    )


@pytest.fixture
def prefix() -> str:
    return f"test-fakeshop-{uuid.uuid4().hex[:8]}/shop/v1/magento/events"


class Subscriber:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self.ready = asyncio.Event()

    async def run(self) -> None:
        async with aiomqtt.Client("127.0.0.1", 1883, identifier=f"sub-{uuid.uuid4().hex[:8]}") as c:
            await c.subscribe(f"{self.prefix}/#", qos=1)
            self.ready.set()
            async for m in c.messages:
                self.messages.append((str(m.topic), json.loads(bytes(m.payload))))

    async def wait_for(self, n: int, timeout: float = 15.0) -> list[tuple[str, dict[str, Any]]]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < n and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.messages


@pytest.fixture
async def subscriber(prefix: str) -> AsyncIterator[Subscriber]:
    sub = Subscriber(prefix)
    task = asyncio.create_task(sub.run())
    await asyncio.wait_for(sub.ready.wait(), 10)
    yield sub
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _mg(
    h: ShopHandle, method: str, path: str, token: str | None = TOKEN, **kw: Any
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with h.session.request(method, h.url(f"/rest/V1/{path}"), headers=headers, **kw) as r:
        return r.status, json.loads(await r.text())


async def test_magento_rest_subset(make_shop: Any, prefix: str) -> None:
    h: ShopHandle = await make_shop(_config(prefix, mqtt_url=f"mqtt://127.0.0.1:{free_port()}"))
    ids = (await h.admin("POST", "orders/generate", {"count": 5}))["created"]
    await h.api("PUT", f"orders/{ids[1]}", json={"status": "processing"})
    await h.api("PUT", f"orders/{ids[2]}", json={"status": "on-hold"})
    status, body = await _mg(h, "GET", f"orders/{ids[0]}", token=None)
    assert (
        status == 401 and body["message"] == "The consumer isn't authorized to access %resources."
    )
    status, body = await _mg(h, "GET", f"orders/{ids[0]}", token="wrong")
    assert status == 401
    status, o = await _mg(h, "GET", f"orders/{ids[1]}")
    assert status == 200
    assert o["entity_id"] == ids[1] and o["increment_id"] == f"{ids[1]:09d}"
    assert (o["state"], o["status"]) == ("processing", "processing")
    assert isinstance(o["grand_total"], float | int) and o["total_paid"] == o["grand_total"]
    assert len(o["created_at"]) == 19 and o["created_at"][10] == " "
    assert o["items"] and o["items"][0]["qty_invoiced"] == o["items"][0]["qty_ordered"]
    _, held = await _mg(h, "GET", f"orders/{ids[2]}")
    assert (held["state"], held["status"]) == ("holded", "holded")
    _, new = await _mg(h, "GET", f"orders/{ids[0]}")
    assert (new["state"], new["status"], new["total_paid"]) == ("new", "pending", 0)
    status, body = await _mg(h, "GET", "orders/999999")
    assert status == 404
    assert (
        body["message"]
        == "The entity that was requested doesn't exist. Verify the entity and try again."
    )
    # searchCriteria: state filter, paging, Magento's clamp of a page past the end
    q = {
        "searchCriteria[filter_groups][0][filters][0][field]": "state",
        "searchCriteria[filter_groups][0][filters][0][value]": "new",
        "searchCriteria[filter_groups][0][filters][0][condition_type]": "eq",
        "searchCriteria[pageSize]": "2",
        "searchCriteria[currentPage]": "1",
        "searchCriteria[sortOrders][0][field]": "entity_id",
        "searchCriteria[sortOrders][0][direction]": "DESC",
    }
    status, res = await _mg(h, "GET", "orders", params=q)
    assert status == 200 and res["total_count"] == 3
    assert [i["entity_id"] for i in res["items"]] == [ids[4], ids[3]]
    assert res["search_criteria"]["page_size"] == 2
    status, res = await _mg(h, "GET", "orders", params={**q, "searchCriteria[currentPage]": "9"})
    assert [i["entity_id"] for i in res["items"]] == [ids[0]]
    gteq = {
        "searchCriteria[filter_groups][0][filters][0][field]": "updated_at",
        "searchCriteria[filter_groups][0][filters][0][value]": "2000-01-01 00:00:00",
        "searchCriteria[filter_groups][0][filters][0][condition_type]": "gteq",
    }
    _, res = await _mg(h, "GET", "orders", params=gteq)
    assert res["total_count"] == 5
    status, body = await _mg(h, "GET", "orders")
    assert status == 400 and body["parameters"] == {"fieldName": "searchCriteria"}
    # comments
    status, ok = await _mg(
        h,
        "POST",
        f"orders/{ids[1]}/comments",
        json={
            "statusHistory": {
                "comment": "SAP sales order 5 created",
                "is_customer_notified": 0,
                "status": "processing",
            }
        },
    )
    assert (status, ok) == (200, True)
    _, o = await _mg(h, "GET", f"orders/{ids[1]}")
    assert o["status_histories"][0]["comment"] == "SAP sales order 5 created"
    status, body = await _mg(h, "POST", f"orders/{ids[1]}/comments", json={"comment": "x"})
    assert status == 400 and body["parameters"] == {"fieldName": "statusHistory"}
    status, _ = await _mg(
        h, "POST", "orders/999999/comments", json={"statusHistory": {"comment": "x"}}
    )
    assert status == 404
    kinds = [r["kind"] for r in (await h.admin("GET", "received"))["received"]]
    assert kinds.count("comment") == 1


async def test_events_on_mqtt(make_shop: Any, prefix: str, subscriber: Subscriber) -> None:
    h: ShopHandle = await make_shop(_config(prefix))
    ids = (
        await h.admin("POST", "orders/generate", {"count": 3, "with_lifecycle": True, "mix": FAST})
    )["created"]
    msgs = await subscriber.wait_for(9)  # created, payment.captured, canceled per order
    assert len(msgs) == 9
    by_type: dict[str, list[dict[str, Any]]] = {}
    for topic, m in msgs:
        assert topic == f"{prefix}/{m['event_type']}"
        by_type.setdefault(m["event_type"], []).append(m)
    assert {k: len(v) for k, v in by_type.items()} == {
        "order.created": 3,
        "payment.captured": 3,
        "order.canceled": 3,
    }
    created = by_type["order.created"][0]
    assert uuid.UUID(created["event_id"])
    assert created["correlation_id"] == f"mg:{created['order']['increment_id']}"
    assert created["occurred_at"].endswith("Z") and created["order"]["state"] == "new"
    assert {m["order"]["entity_id"] for m in by_type["order.canceled"]} == set(ids)
    assert all(m["order"]["state"] == "canceled" for m in by_type["order.canceled"])
    assert len({m["event_id"] for _, m in msgs}) == 9


async def test_broker_outage_loses_nothing(
    make_shop: Any, prefix: str, subscriber: Subscriber
) -> None:
    dead = f"mqtt://127.0.0.1:{free_port()}"
    h: ShopHandle = await make_shop(_config(prefix, mqtt_url=dead))
    ids = (await h.admin("POST", "orders/generate", {"count": 20}))["created"]
    await asyncio.sleep(0.5)
    publisher = h.shop.magento
    assert publisher is not None
    assert await publisher.pending() == 20 and not publisher.connected
    assert subscriber.messages == []
    publisher.set_broker("mqtt://127.0.0.1:1883")
    msgs = await subscriber.wait_for(20)
    assert sorted(m["order"]["entity_id"] for _, m in msgs) == sorted(ids)
    assert await publisher.pending() == 0
    events = (await h.admin("GET", "events"))["events"]
    assert all(e["published_at"] for e in events)


async def test_sqlite_outbox_survives_a_restart(
    make_shop: Any, prefix: str, subscriber: Subscriber, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox.sqlite"
    dead = f"mqtt://127.0.0.1:{free_port()}"
    first: ShopHandle = await make_shop(_config(prefix, mqtt_url=dead, outbox_path=outbox))
    ids = (await first.admin("POST", "orders/generate", {"count": 5}))["created"]
    assert first.shop.magento is not None and await first.shop.magento.pending() == 5
    await first.server.close()  # the shop goes away with 5 unpublished events
    second: ShopHandle = await make_shop(_config(prefix, outbox_path=outbox))
    msgs = await subscriber.wait_for(5)
    assert sorted(m["order"]["entity_id"] for _, m in msgs) == sorted(ids)
    assert second.shop.magento is not None
    # rows leave the outbox at the PUBACK, which may come just after the subscriber has them
    deadline = asyncio.get_running_loop().time() + 5
    while await second.shop.magento.pending() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)
    assert await second.shop.magento.pending() == 0


async def test_duplicate_chaos_on_events(
    make_shop: Any, prefix: str, subscriber: Subscriber
) -> None:
    h: ShopHandle = await make_shop(_config(prefix, chaos_profile="duplicates", seed=3))
    await h.admin("POST", "orders/generate", {"count": 30})
    events = (await h.admin("GET", "events"))["events"]
    assert len(events) > 30 and any("duplicate" in e["chaos"] for e in events)
    msgs = await subscriber.wait_for(len(events))
    assert len(msgs) == len(events)
    assert len({m["event_id"] for _, m in msgs}) == 30  # copies share the event id
