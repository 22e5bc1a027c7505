"""Webhook deliveries exactly as WooCommerce sends them: headers, signature, ping,
failure counting, auto-disable on the 7th consecutive failure, no retries."""

from __future__ import annotations

import json
from typing import Any

from fakeshop.config import ShopConfig
from fakeshop.webhooks.signature import verify_signature
from tests.fakeshop.conftest import Receiver, ShopHandle


async def _hook(
    shop: ShopHandle, receiver: Receiver, topic: str, secret: str = "s3cr&amp;t"
) -> dict[str, Any]:
    status, wh, _ = await shop.api(
        "POST", "webhooks", json={"topic": topic, "delivery_url": receiver.url, "secret": secret}
    )
    assert status == 201, wh
    return dict(wh)


async def test_ping_then_signed_delivery_with_every_header(
    shop: ShopHandle, receiver: Receiver
) -> None:
    wh = await _hook(shop, receiver, "order.created")
    ping = receiver.requests[0]
    assert ping.body == f"webhook_id={wh['id']}".encode()
    assert ping.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "X-WC-Webhook-Signature" not in ping.headers
    (oid,) = (await shop.admin("POST", "orders/generate", {"count": 1}))["created"]
    (d,) = await receiver.wait_for(1)
    h = d.headers
    assert d.version == (1, 0)
    assert h["X-WC-Webhook-Topic"] == "order.created"
    assert h["X-WC-Webhook-Resource"] == "order" and h["X-WC-Webhook-Event"] == "created"
    assert h["X-WC-Webhook-ID"] == str(wh["id"])
    assert h["X-WC-Webhook-Source"] == "http://127.0.0.1/"
    assert h["Content-Type"] == "application/json"
    assert h["User-Agent"].startswith("WooCommerce/") and "Hookshot (WordPress/" in h["User-Agent"]
    assert len(h["X-WC-Webhook-Delivery-ID"]) == 32
    # signed with the entity-decoded secret over the exact bytes
    assert verify_signature("s3cr&t", d.body, h["X-WC-Webhook-Signature"])
    assert b"\\/" in d.body or b"/" not in d.body  # PHP escapes slashes
    payload = json.loads(d.body)
    _, rest, _ = await shop.api("GET", f"orders/{oid}")
    rest.pop("_links")
    assert "_links" in payload
    payload.pop("_links")
    assert payload == rest
    deliveries = (await shop.admin("GET", "deliveries"))["deliveries"]
    assert [x["topic"] for x in deliveries] == ["action.ping", "order.created"]
    rec = deliveries[1]
    assert (
        rec["status"] == 200 and rec["copy"] == 1 and rec["chaos"] == [] and rec["order_id"] == oid
    )
    assert rec["delivery_id"] == h["X-WC-Webhook-Delivery-ID"]


async def test_updated_and_deleted_topics(shop: ShopHandle, receiver: Receiver) -> None:
    await _hook(shop, receiver, "order.updated")
    await _hook(shop, receiver, "order.deleted")
    (oid,) = (await shop.admin("POST", "orders/generate", {"count": 1}))["created"]
    await shop.api("PUT", f"orders/{oid}", json={"status": "processing"})
    await shop.api("POST", f"orders/{oid}/refunds", json={"amount": "1.00"})
    await shop.api("DELETE", f"orders/{oid}")  # trash: wp_trash_post fires order.deleted
    await shop.api("DELETE", f"orders/{oid}", params={"force": "true"})  # fires nothing
    got = await receiver.wait_for(3)
    topics = [r.headers["X-WC-Webhook-Topic"] for r in got]
    assert sorted(topics) == ["order.deleted", "order.updated", "order.updated"]
    deleted = next(r for r in got if r.headers["X-WC-Webhook-Topic"] == "order.deleted")
    assert json.loads(deleted.body) == {"id": oid}
    statuses = sorted(
        json.loads(r.body)["status"]
        for r in got
        if r.headers["X-WC-Webhook-Topic"] == "order.updated"
    )
    assert statuses == ["processing", "processing"]


async def test_ping_failure_is_ignored_by_rest_unless_strict(
    make_shop: Any, receiver: Receiver
) -> None:
    receiver.statuses = [500]
    lenient: ShopHandle = await make_shop()
    status, wh, _ = await lenient.api(
        "POST", "webhooks", json={"topic": "order.created", "delivery_url": receiver.url}
    )
    assert status == 201 and wh["status"] == "active"
    receiver.statuses = [202]
    strict: ShopHandle = await make_shop(ShopConfig(strict_ping=True))
    status, body, _ = await strict.api(
        "POST", "webhooks", json={"topic": "order.created", "delivery_url": receiver.url}
    )
    assert (status, body["message"]) == (400, "Error: Delivery URL returned response code: 202")
    _, listing, _ = await strict.api("GET", "webhooks")
    assert listing == []


async def test_disabled_after_seventh_consecutive_failure_no_retries(
    shop: ShopHandle, receiver: Receiver
) -> None:
    wh = await _hook(shop, receiver, "order.created")
    receiver.default_status = 500
    admin_hooks = lambda: shop.admin("GET", "webhooks")  # noqa: E731
    for i in range(1, 7):
        await shop.admin("POST", "orders/generate", {"count": 1})
        await receiver.wait_for(i)
        await shop.shop.engine.drain()
        (state,) = (await admin_hooks())["webhooks"]
        assert (state["status"], state["failure_count"]) == ("active", i)
    await shop.admin("POST", "orders/generate", {"count": 1})
    await receiver.wait_for(7)
    await shop.shop.engine.drain()
    (state,) = (await admin_hooks())["webhooks"]
    assert state["status"] == "disabled"
    _, rest_view, _ = await shop.api("GET", f"webhooks/{wh['id']}")
    assert rest_view["status"] == "disabled"
    # nothing is retried, and a disabled webhook delivers nothing more
    await shop.admin("POST", "orders/generate", {"count": 3})
    await shop.shop.engine.drain()
    assert len(receiver.deliveries()) == 7
    # re-activation keeps the counter (core does not reset it): one more failure disables again
    await shop.api("PUT", f"webhooks/{wh['id']}", json={"status": "active"})
    await shop.admin("POST", "orders/generate", {"count": 1})
    await receiver.wait_for(8)
    await shop.shop.engine.drain()
    assert (await admin_hooks())["webhooks"][0]["status"] == "disabled"


async def test_success_resets_failure_count(shop: ShopHandle, receiver: Receiver) -> None:
    await _hook(shop, receiver, "order.created")
    receiver.statuses = [500] * 5 + [302] + [404] * 6
    for i in range(1, 13):
        await shop.admin("POST", "orders/generate", {"count": 1})
        await receiver.wait_for(i)
        await shop.shop.engine.drain()
    (state,) = (await shop.admin("GET", "webhooks"))["webhooks"]
    # 302 counts as success (200-302) and reset the count; the 6 failures since leave it active
    assert (state["status"], state["failure_count"]) == ("active", 6)


async def test_delivery_id_collides_within_one_second(make_shop: Any, receiver: Receiver) -> None:
    now = [1_900_000_000.1]
    h: ShopHandle = await make_shop(clock=lambda: now[0])
    h.shop.state.webhooks.clear()
    from fakeshop.store import Webhook

    wh = Webhook(1, "w", "active", "order.created", receiver.url, "s", "wp_api_v3", now[0], now[0])
    h.shop.state.webhooks[1] = wh
    await h.admin("POST", "orders/generate", {"count": 2})
    now[0] += 0.8
    await h.admin("POST", "orders/generate", {"count": 1})
    now[0] += 1.0
    await h.admin("POST", "orders/generate", {"count": 1})
    got = await receiver.wait_for(4)
    await h.shop.engine.drain()
    ids = [r["delivery_id"] for r in (await h.admin("GET", "deliveries"))["deliveries"]]
    assert len(got) == 4
    assert ids[0] == ids[1] == ids[2] != ids[3]
    bodies = {json.loads(r.body)["id"] for r in got}
    assert len(bodies) == 4  # different orders, same delivery id
