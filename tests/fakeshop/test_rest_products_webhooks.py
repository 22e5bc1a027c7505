"""Products (stock sync) and webhook subscriptions over REST, with their error paths."""

from __future__ import annotations

from typing import Any

from fakeshop.config import ShopConfig
from tests.fakeshop.conftest import Receiver, ShopHandle


async def test_products_get_put_and_stock_status(shop: ShopHandle) -> None:
    status, body, headers = await shop.api("GET", "products", params={"per_page": "5"})
    assert status == 200 and len(body) == 5 and headers["X-WP-Total"] == "13"
    _, by_sku, _ = await shop.api("GET", "products", params={"sku": "MUG-LOGO"})
    assert [p["id"] for p in by_sku] == [103] and by_sku[0]["price"] == "8.50"
    status, p, _ = await shop.api("PUT", "products/103", json={"stock_quantity": 0})
    assert status == 200 and p["stock_quantity"] == 0 and p["stock_status"] == "outofstock"
    _, p, _ = await shop.api("PUT", "products/103", json={"stock_quantity": 4})
    assert p["stock_status"] == "instock"
    status, body, _ = await shop.api("GET", "products/99999")
    assert (status, body["code"]) == (404, "woocommerce_rest_product_invalid_id")
    status, body, _ = await shop.api("PUT", "products/99999", json={"stock_quantity": 1})
    assert (status, body["code"]) == (400, "woocommerce_rest_product_invalid_id")
    status, body, _ = await shop.api("PUT", "products/103", json={"stock_quantity": "many"})
    assert (status, body["code"]) == (400, "rest_invalid_param")
    status, body, _ = await shop.api("PUT", "products/103", json={"stock_status": "gone"})
    assert (status, body["code"]) == (400, "rest_invalid_param")
    stock = [r for r in (await shop.admin("GET", "received"))["received"] if r["kind"] == "stock"]
    assert [r["data"]["after"]["stock_quantity"] for r in stock] == [0, 4]


async def test_products_batch(shop: ShopHandle) -> None:
    status, body, _ = await shop.api(
        "POST",
        "products/batch",
        json={"update": [{"id": 101, "stock_quantity": 7}, {"id": 4242, "stock_quantity": 1}]},
    )
    assert status == 200
    ok, bad = body["update"]
    assert ok["id"] == 101 and ok["stock_quantity"] == 7
    assert bad == {
        "id": 4242,
        "error": {
            "code": "woocommerce_rest_product_invalid_id",
            "message": "Invalid ID.",
            "data": {"status": 400},
        },
    }
    status, body, _ = await shop.api(
        "POST",
        "products/batch",
        json={"update": [{"id": 101, "stock_quantity": i} for i in range(101)]},
    )
    assert (status, body["code"], body["message"]) == (
        413,
        "woocommerce_rest_request_entity_too_large",
        "Unable to accept more than 100 items for this request.",
    )
    status, body, _ = await shop.api("POST", "products/batch", json={"update": "x"})
    assert (status, body["code"]) == (400, "rest_invalid_param")


async def test_webhook_crud_and_errors(shop: ShopHandle, receiver: Receiver) -> None:
    status, wh, headers = await shop.api(
        "POST",
        "webhooks",
        json={
            "name": "bridge",
            "topic": "order.created",
            "delivery_url": receiver.url,
            "secret": "s",
        },
    )
    assert status == 201 and headers["Location"].endswith(f"/webhooks/{wh['id']}")
    assert wh["status"] == "active" and wh["resource"] == "order" and wh["event"] == "created"
    assert wh["hooks"] == ["woocommerce_new_order"] and "secret" not in wh
    status, one, _ = await shop.api("GET", f"webhooks/{wh['id']}")
    assert status == 200 and one["delivery_url"] == receiver.url
    status, upd, _ = await shop.api(
        "PUT", f"webhooks/{wh['id']}", json={"status": "paused", "topic": "order.updated"}
    )
    assert upd["status"] == "paused" and upd["topic"] == "order.updated"
    _, listing, h = await shop.api("GET", "webhooks")
    assert h["X-WP-Total"] == "1" and listing[0]["id"] == wh["id"]
    errors: list[tuple[str, str, dict[str, Any] | None, int, str]] = [
        (
            "POST",
            "webhooks",
            {"topic": "order.shipped", "delivery_url": receiver.url},
            400,
            "woocommerce_rest_shop_webhook_invalid_topic",
        ),
        (
            "POST",
            "webhooks",
            {"delivery_url": receiver.url},
            400,
            "woocommerce_rest_shop_webhook_invalid_topic",
        ),
        (
            "POST",
            "webhooks",
            {"topic": "order.created", "delivery_url": "ftp://x"},
            400,
            "woocommerce_rest_shop_webhook_invalid_delivery_url",
        ),
        (
            "POST",
            "webhooks",
            {"topic": "order.created", "delivery_url": receiver.url, "status": "on"},
            400,
            "woocommerce_rest_shop_webhook_invalid_status",
        ),
        (
            "PUT",
            f"webhooks/{wh['id']}",
            {"status": "sleeping"},
            400,
            "woocommerce_rest_shop_webhook_invalid_status",
        ),
        (
            "PUT",
            f"webhooks/{wh['id']}",
            {"topic": "nope"},
            400,
            "woocommerce_rest_shop_webhook_invalid_topic",
        ),
        (
            "PUT",
            "webhooks/999",
            {"status": "active"},
            400,
            "woocommerce_rest_shop_webhook_invalid_id",
        ),
        ("GET", "webhooks/999", None, 400, "woocommerce_rest_shop_webhook_invalid_id"),
        ("DELETE", f"webhooks/{wh['id']}", None, 501, "woocommerce_rest_trash_not_supported"),
    ]
    for method, path, payload, code, err in errors:
        status, body, _ = await shop.api(method, path, json=payload)
        assert (status, body["code"]) == (code, err), (method, path, payload)
    status, body, _ = await shop.api("DELETE", "webhooks/999", params={"force": "true"})
    assert (status, body["code"]) == (404, "woocommerce_rest_shop_webhook_invalid_id")
    status, body, _ = await shop.api("DELETE", f"webhooks/{wh['id']}", params={"force": "true"})
    assert status == 200 and body["id"] == wh["id"]
    _, listing, _ = await shop.api("GET", "webhooks")
    assert listing == []


async def test_read_only_key_cannot_write(make_shop: Any) -> None:
    from fakeshop.config import ApiKey
    from tests.fakeshop.conftest import CK, CS

    h: ShopHandle = await make_shop(ShopConfig(api_keys=(ApiKey(CK, CS, permissions="read"),)))
    status, _, _ = await h.api("GET", "orders")
    assert status == 200
    status, body, _ = await h.api("PUT", "products/101", json={"stock_quantity": 1})
    assert (status, body["message"]) == (
        401,
        "The API key provided does not have write permissions.",
    )
