"""Lifecycle steps fire order.updated like real saves; the load API paces orders."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from tests.fakeshop.conftest import Receiver, ShopHandle

FAST_PAID = {
    "pay": 1.0,
    "hold": 0.0,
    "cancel_unpaid": 0.0,
    "cancel_paid": 0.0,
    "refund_full": 1.0,
    "refund_partial": 0.0,
    "complete": 0.0,
    "mean_step_s": 0.01,
}


async def _wait(cond: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await cond():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_lifecycle_fires_order_updated_per_step(shop: ShopHandle, receiver: Receiver) -> None:
    status, _, _ = await shop.api(
        "POST", "webhooks", json={"topic": "order.updated", "delivery_url": receiver.url}
    )
    assert status == 201
    body = await shop.admin(
        "POST", "orders/generate", {"count": 3, "with_lifecycle": True, "mix": FAST_PAID}
    )
    ids = body["created"]

    async def all_refunded() -> bool:
        orders = (await shop.admin("GET", "orders"))["orders"]
        return all(o["order"]["status"] == "refunded" for o in orders)

    await _wait(all_refunded)
    got = await receiver.wait_for(6)  # pay + refund_full for each order
    await shop.shop.engine.drain()
    by_order: dict[int, list[str]] = {}
    for r in got:
        p = json.loads(r.body)
        by_order.setdefault(p["id"], []).append(p["status"])
    assert set(by_order) == set(ids)
    assert all(sorted(v) == ["processing", "refunded"] for v in by_order.values())
    for o in (await shop.admin("GET", "orders"))["orders"]:
        assert [h["status"] for h in o["history"]] == ["pending", "processing", "refunded"]
        assert [h["source"] for h in o["history"][1:]] == ["lifecycle", "lifecycle"]
        assert o["order"]["date_paid_gmt"] and o["order"]["transaction_id"]
        assert len(o["refunds"]) == 1 and o["order"]["refunds"][0]["id"] == o["refunds"][0]["id"]
    # the REST view agrees with the ground truth
    _, refunds, _ = await shop.api("GET", f"orders/{ids[0]}/refunds")
    assert len(refunds) == 1


async def test_load_api_paces_orders_and_stops(shop: ShopHandle) -> None:
    async with shop.session.post(
        shop.url("/__admin/load"), json={"rate": 50, "duration_s": 0.4, "mix": FAST_PAID}
    ) as r:
        assert r.status == 202
        assert (await r.json())["target"] == 20

    async def finished() -> bool:
        return (await shop.admin("GET", "load"))["state"] == "finished"

    t0 = time.monotonic()
    await _wait(finished)
    assert time.monotonic() - t0 >= 0.3  # paced, not all at once
    run = await shop.admin("GET", "load")
    assert run["created"] == 20 and len((await shop.admin("GET", "orders"))["orders"]) == 20
    await shop.shop.runner.drain()
    statuses = {o["order"]["status"] for o in (await shop.admin("GET", "orders"))["orders"]}
    assert statuses == {"refunded"}
    # a long run can be stopped; a second start while running is refused
    async with shop.session.post(
        shop.url("/__admin/load"), json={"rate": 5, "duration_s": 60, "lifecycle": False}
    ) as r:
        assert r.status == 202
    async with shop.session.post(
        shop.url("/__admin/load"), json={"rate": 5, "duration_s": 60}
    ) as r:
        assert r.status == 409
    async with shop.session.delete(shop.url("/__admin/load")) as r:
        assert (await r.json())["state"] == "stopped"
    for bad in ({"rate": 0}, {"rate": "x"}, {"rate": 1, "mix": {"pay": 2}}):
        async with shop.session.post(shop.url("/__admin/load"), json=bad) as r:
            assert r.status == 400, bad


async def test_reset_clears_everything(shop: ShopHandle) -> None:
    await shop.admin("POST", "orders/generate", {"count": 2})
    await shop.api("PUT", "products/101", json={"stock_quantity": 1})
    assert (await shop.admin("POST", "reset"))["reset"] is True
    assert (await shop.admin("GET", "orders"))["orders"] == []
    assert (await shop.admin("GET", "received"))["received"] == []
    _, p, _ = await shop.api("GET", "products/101")
    assert p["stock_quantity"] == 5200
