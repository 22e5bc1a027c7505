"""Webhook topics and hooks as WooCommerce 9 lists them (``WC_Webhook::get_topic_hooks``),
a forced order delete that fires nothing, and webhook error codes built from the post type
``shop_webhook`` — through the official npm and Python clients."""

from __future__ import annotations

import asyncio
import json

import woocommerce

from tests.fakeshop.conftest import CK, CS, Receiver, ShopHandle
from tests.fakeshop.js_client import js_calls

WC9_HOOKS = {
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post", "woocommerce_trash_order"],
    "order.restored": ["untrashed_post", "woocommerce_untrash_order"],
    "product.deleted": ["wp_trash_post"],
    "customer.created": [
        "user_register",
        "woocommerce_created_customer",
        "woocommerce_new_customer",
    ],
    "customer.deleted": ["delete_user"],
    "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
    "action.woocommerce_payment_complete": ["woocommerce_payment_complete"],
}


async def test_hooks_listed_as_woocommerce_9(shop: ShopHandle, receiver: Receiver) -> None:
    calls = [
        {"method": "post", "path": "webhooks", "data": {"topic": t, "delivery_url": receiver.url}}
        for t in WC9_HOOKS
    ]
    answers = await js_calls(shop.url("/"), CK, CS, calls)
    for topic, answer in zip(WC9_HOOKS, answers, strict=True):
        assert answer["status"] == 201, answer
        assert answer["data"]["hooks"] == WC9_HOOKS[topic], topic


async def test_forced_delete_fires_no_order_deleted(shop: ShopHandle, receiver: Receiver) -> None:
    status, _, _ = await shop.api(
        "POST", "webhooks", json={"topic": "order.deleted", "delivery_url": receiver.url}
    )
    assert status == 201
    a, b = (await shop.admin("POST", "orders/generate", {"count": 2}))["created"]
    answers = await js_calls(
        shop.url("/"),
        CK,
        CS,
        [
            {"method": "delete", "path": f"orders/{a}", "params": {"force": True}},
            {"method": "delete", "path": f"orders/{b}"},
        ],
    )
    assert [x["status"] for x in answers] == [200, 200]
    assert answers[0]["data"]["id"] == a and answers[1]["data"]["status"] == "trash"
    (delivery,) = await receiver.wait_for(1)
    await asyncio.sleep(0.3)
    assert len(receiver.deliveries()) == 1  # only the trashed one
    assert json.loads(delivery.body) == {"id": b}
    assert delivery.headers["X-WC-Webhook-Topic"] == "order.deleted"


async def test_webhook_errors_built_from_the_post_type(shop: ShopHandle) -> None:
    api = woocommerce.API(url=shop.url("/"), consumer_key=CK, consumer_secret=CS, version="wc/v3")

    def calls() -> list[tuple[int, str, str]]:
        out = []
        for resp in (
            api.get("webhooks/987"),
            api.put("webhooks/987", {"status": "paused"}),
            api.delete("webhooks/987", params={"force": True}),
            api.delete("webhooks/987"),
            api.post("webhooks", {"id": 3, "topic": "order.created"}),
            api.post("webhooks", {"topic": "order.nope", "delivery_url": "http://x.example/"}),
            api.post("webhooks", {"topic": "order.created", "delivery_url": "ftp://x"}),
        ):
            body = resp.json()
            out.append((resp.status_code, body["code"], body["message"]))
        return out

    got = await asyncio.to_thread(calls)
    assert got == [
        (400, "woocommerce_rest_shop_webhook_invalid_id", "ID is invalid."),
        (400, "woocommerce_rest_shop_webhook_invalid_id", "ID is invalid."),
        (404, "woocommerce_rest_shop_webhook_invalid_id", "Invalid ID."),
        (501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing."),
        (400, "woocommerce_rest_shop_webhook_exists", "Cannot create existing shop_webhook."),
        (
            400,
            "woocommerce_rest_shop_webhook_invalid_topic",
            "Webhook topic is required and must be valid.",
        ),
        (
            400,
            "woocommerce_rest_shop_webhook_invalid_delivery_url",
            "Webhook delivery URL must be a valid URL starting with http:// or https://.",
        ),
    ]


async def test_product_and_customer_topics_are_delivered(
    shop: ShopHandle, receiver: Receiver
) -> None:
    """``product.*`` and ``customer.*`` webhooks receive what their hooks fire on: REST
    create/update, trash (not a forced delete), customer create/update/delete."""
    topics = (
        "product.created",
        "product.updated",
        "product.deleted",
        "customer.created",
        "customer.updated",
        "customer.deleted",
    )
    for topic in topics:
        status, _, _ = await shop.api(
            "POST", "webhooks", json={"topic": topic, "delivery_url": receiver.url}
        )
        assert status == 201
    made, _upd, _trash, other, _gone, cust, _cupd, _cdel = await js_calls(
        shop.url("/"),
        CK,
        CS,
        [
            {"method": "post", "path": "products", "data": {"name": "Funda", "regular_price": "9"}},
            {"method": "put", "path": "products/101", "data": {"stock_quantity": 42}},
            {"method": "delete", "path": "products/102"},
            {"method": "post", "path": "products", "data": {"name": "Efímero"}},
            {"method": "delete", "path": "products/0", "params": {"force": True}},
            {"method": "post", "path": "customers", "data": {"email": "pilar@example.es"}},
            {"method": "put", "path": "customers/11", "data": {"first_name": "Lucía M."}},
            {"method": "delete", "path": "customers/12", "params": {"force": True}},
        ],
    )
    forced = await js_calls(
        shop.url("/"),
        CK,
        CS,
        [
            {
                "method": "delete",
                "path": f"products/{other['data']['id']}",
                "params": {"force": True},
            }
        ],
    )
    assert forced[0]["status"] == 200
    got = await receiver.wait_for(7)
    await asyncio.sleep(0.3)
    seen = [(r.headers["X-WC-Webhook-Topic"], json.loads(r.body)) for r in receiver.deliveries()]
    by_topic: dict[str, list[dict[str, object]]] = {}
    for topic, body in seen:
        by_topic.setdefault(topic, []).append(body)
    assert [b["id"] for b in by_topic["product.created"]] == [
        made["data"]["id"],
        other["data"]["id"],
    ]
    assert by_topic["product.created"][0]["price"] == "9.00"
    assert [b["stock_quantity"] for b in by_topic["product.updated"]] == [42]
    assert by_topic["product.deleted"] == [{"id": 102}]  # the forced delete sent nothing
    assert [b["email"] for b in by_topic["customer.created"]] == ["pilar@example.es"]
    assert cust["status"] == 201
    assert [b["first_name"] for b in by_topic["customer.updated"]] == ["Lucía M."]
    assert by_topic["customer.deleted"] == [{"id": 12}]
    assert len(got) == 7
    records = [
        d for d in shop.shop.state.deliveries if d["topic"].startswith(("product", "customer"))
    ]
    assert records and all(d["order_id"] is None and d["resource_id"] for d in records)
    resources = {r.headers["X-WC-Webhook-Resource"] for r in receiver.deliveries()}
    assert resources == {"product", "customer"}
