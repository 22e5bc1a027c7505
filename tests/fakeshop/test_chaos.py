"""Each chaos knob, observed at a real receiver and in the ground truth."""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from typing import Any

from fakeshop.config import ShopConfig
from fakeshop.webhooks.signature import verify_signature
from tests.fakeshop.conftest import Receiver, ShopHandle

SECRET = "chaos-secret"


async def _setup(
    shop: ShopHandle, receiver: Receiver, chaos: dict[str, Any], topic: str = "order.created"
) -> None:
    status, _, _ = await shop.api(
        "POST", "webhooks", json={"topic": topic, "delivery_url": receiver.url, "secret": SECRET}
    )
    assert status == 201
    async with shop.session.put(shop.url("/__admin/chaos"), json=chaos) as r:
        assert r.status == 200, await r.text()


async def _deliveries(shop: ShopHandle) -> list[dict[str, Any]]:
    await shop.shop.engine.drain(60)
    return [
        d
        for d in (await shop.admin("GET", "deliveries"))["deliveries"]
        if d["topic"] != "action.ping"
    ]


def _bounds(n: int, p: float, z: float = 3.29) -> tuple[float, float]:
    """99.9 % two-sided normal bounds of a binomial count."""
    sd = math.sqrt(n * p * (1 - p))
    return n * p - z * sd, n * p + z * sd


async def test_duplicate_share_within_binomial_bounds(shop: ShopHandle, receiver: Receiver) -> None:
    await _setup(shop, receiver, {"copies": {"1": 0.5, "2": 0.5}})
    n = 1000
    await shop.admin("POST", "orders/generate", {"count": n})
    records = await _deliveries(shop)
    per_order = Counter(d["order_id"] for d in records)
    doubled = sum(1 for c in per_order.values() if c == 2)
    lo, hi = _bounds(n, 0.5)
    assert lo <= doubled <= hi, doubled
    assert set(per_order.values()) <= {1, 2} and len(per_order) == n
    assert all(("duplicate" in d["chaos"]) == (d["copy"] == 2) for d in records)
    got = await receiver.wait_for(n + doubled)
    assert len(got) == n + doubled
    # every copy is a faithful, correctly signed delivery of the same body
    assert all(verify_signature(SECRET, r.body, r.headers["X-WC-Webhook-Signature"]) for r in got)


async def test_reorder_overtakes_earlier_events(shop: ShopHandle, receiver: Receiver) -> None:
    await _setup(shop, receiver, {"reorder_p": 1.0, "reorder_window_ms": 400})
    created = (await shop.admin("POST", "orders/generate", {"count": 30}))["created"]
    got = await receiver.wait_for(30)
    arrived = [json.loads(r.body)["id"] for r in got]
    assert sorted(arrived) == sorted(created)
    assert arrived != created  # at least one later order overtook an earlier one
    records = await _deliveries(shop)
    assert all("reordered" in d["chaos"] for d in records)


async def test_drops_are_recorded_but_never_delivered(shop: ShopHandle, receiver: Receiver) -> None:
    await _setup(shop, receiver, {"drop_p": 0.3})
    n = 300
    created = (await shop.admin("POST", "orders/generate", {"count": n}))["created"]
    records = await _deliveries(shop)
    dropped = {d["order_id"] for d in records if d["error"] == "dropped"}
    lo, hi = _bounds(n, 0.3)
    assert lo <= len(dropped) <= hi
    assert all(
        d["status"] is None and d["sent_at"] is None and "dropped" in d["chaos"]
        for d in records
        if d["order_id"] in dropped
    )
    got = await receiver.wait_for(n - len(dropped))
    arrived = {json.loads(r.body)["id"] for r in got}
    assert arrived == set(created) - dropped and not arrived & dropped


async def test_tampered_signatures_do_not_verify(shop: ShopHandle, receiver: Receiver) -> None:
    await _setup(shop, receiver, {"tamper_p": 0.5})
    await shop.admin("POST", "orders/generate", {"count": 60})
    records = await _deliveries(shop)
    got = await receiver.wait_for(60)
    tampered_ids = {d["order_id"] for d in records if "tampered" in d["chaos"]}
    assert 0 < len(tampered_ids) < 60
    for r in got:
        oid = json.loads(r.body)["id"]
        assert verify_signature(SECRET, r.body, r.headers["X-WC-Webhook-Signature"]) == (
            oid not in tampered_ids
        )


async def test_malformed_bodies_are_signed_but_unparseable(
    shop: ShopHandle, receiver: Receiver
) -> None:
    await _setup(shop, receiver, {"malformed_p": 1.0})
    await shop.admin("POST", "orders/generate", {"count": 10})
    got = await receiver.wait_for(10)
    for r in got:
        assert verify_signature(SECRET, r.body, r.headers["X-WC-Webhook-Signature"])
        try:
            json.loads(r.body)
        except ValueError:
            continue
        raise AssertionError("a malformed body parsed as JSON")
    assert all("malformed" in d["chaos"] for d in await _deliveries(shop))


async def test_burst_of_updates_for_one_save(shop: ShopHandle, receiver: Receiver) -> None:
    await _setup(shop, receiver, {"burst_p": 1.0, "burst_max": 3}, topic="order.updated")
    (oid,) = (await shop.admin("POST", "orders/generate", {"count": 1}))["created"]
    for _ in range(10):
        await shop.api("PUT", f"orders/{oid}", json={"meta_data": [{"key": "k", "value": "v"}]})
    records = await _deliveries(shop)
    per_save = Counter(d["event_seq"] for d in records)
    assert len(per_save) == 10 and set(per_save.values()) <= {2, 3}
    assert len(await receiver.wait_for(len(records))) == len(records)


async def test_delay_holds_delivery_back(shop: ShopHandle, receiver: Receiver) -> None:
    await _setup(shop, receiver, {"delay": {"dist": "fixed", "ms": 400}})
    t0 = time.monotonic()
    await shop.admin("POST", "orders/generate", {"count": 3})
    got = await receiver.wait_for(3)
    assert all(r.at - t0 >= 0.39 for r in got)
    assert all("delayed" in d["chaos"] for d in await _deliveries(shop))


async def test_same_seed_same_chaos(make_shop: Any, receiver: Receiver) -> None:
    plans = []
    for _ in range(2):
        h: ShopHandle = await make_shop(ShopConfig(seed=11, chaos_profile="hostile"))
        await _setup(h, receiver, {"delay": {"dist": "none"}, "reorder_p": 0})
        await h.admin("POST", "orders/generate", {"count": 40})
        plans.append([(d["order_id"], d["copy"], tuple(d["chaos"])) for d in await _deliveries(h)])
    assert plans[0] == plans[1]
    assert any(c for _, _, c in plans[0])


async def test_chaos_admin_api(shop: ShopHandle) -> None:
    body = await shop.admin("GET", "chaos")
    assert body["profile"] == "calm" and "hostile" in body["profiles"]
    async with shop.session.put(
        shop.url("/__admin/chaos"), json={"profile": "lossy", "drop_p": 0.5}
    ) as r:
        data = await r.json()
        assert data["settings"]["drop_p"] == 0.5 and data["profile"] == "lossy"
    for bad in ({"drop_p": 2}, {"explode": True}, {"profile": "nope"}, {"copies": {"9": 1}}):
        async with shop.session.put(shop.url("/__admin/chaos"), json=bad) as r:
            assert r.status == 400, bad
    async with shop.session.post(shop.url("/__admin/chaos/reset")) as r:
        assert (await r.json())["settings"]["drop_p"] == 0
