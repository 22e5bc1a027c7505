"""``POST /wp-json/wc/v3/orders`` as WooCommerce does it, driven by the official Python
client (``woocommerce``) and the official npm client (``@woocommerce/woocommerce-rest-api``).
Before this existed the route answered 404 ``rest_no_route``."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import woocommerce

from tests.fakeshop.conftest import CK, CS, Receiver, ShopHandle
from tests.fakeshop.js_client import js_calls

BILLING = {
    "first_name": "  Siobhán ",
    "last_name": "O'Connor-Núñez",
    "company": "Dell'Orto & Hijos, S.L.",
    "address_1": 'C/ Mayor, 1 — 3º "B"',
    "address_2": "",
    "city": "A Coruña",
    "state": "C",
    "postcode": "15001",
    "country": "ES",
    "email": "siobhan.oconnor@example.es",
    "phone": "+34 600 000 000",
}


def _client(shop: ShopHandle) -> woocommerce.API:
    return woocommerce.API(
        url=shop.url("/"), consumer_key=CK, consumer_secret=CS, version="wc/v3", timeout=20
    )


async def _py(shop: ShopHandle, method: str, path: str, data: Any = None, **kw: Any) -> Any:
    api = _client(shop)
    fn = getattr(api, method)
    if method in ("post", "put"):
        return await asyncio.to_thread(fn, path, data, **kw)
    return await asyncio.to_thread(fn, path, **kw)


async def test_python_client_creates_order_with_shop_totals(shop: ShopHandle) -> None:
    body = {
        "payment_method": "bacs",
        "payment_method_title": "Transferencia",
        "billing": BILLING,
        "shipping": {k: v for k, v in BILLING.items() if k != "email"},
        "line_items": [
            {"product_id": 101, "quantity": 2},
            {"sku": "FOOD-OLIVE-1L", "quantity": 3},
        ],
        "shipping_lines": [{"method_id": "flat_rate", "method_title": "Tarifa", "total": "4.95"}],
        "meta_data": [{"key": "_billing_nif", "value": "12345678Z"}],
    }
    resp = await _py(shop, "post", "orders", body)
    assert resp.status_code == 201, resp.text
    order = resp.json()
    oid = order["id"]
    assert resp.headers["Location"] == shop.url(f"/wp-json/wc/v3/orders/{oid}")
    assert order["status"] == "pending" and order["created_via"] == "rest-api"
    assert order["billing"] == BILLING  # verbatim: spaces, quotes, accents kept
    # the shop's rules: 2 × 19.99 at 21 %, 3 × 11.95 at 10 %, shipping 4.95 at 21 %
    l1, l2 = order["line_items"]
    assert (l1["subtotal"], l1["total_tax"], l1["sku"]) == ("39.98", "8.40", "TSH-RED-M")
    assert (l2["product_id"], l2["total"], l2["total_tax"]) == (105, "35.85", "3.59")
    assert order["shipping_lines"][0]["total_tax"] == "1.04"
    assert order["cart_tax"] == "11.99" and order["shipping_tax"] == "1.04"
    assert order["total"] == str(
        Decimal("39.98") + Decimal("35.85") + Decimal("4.95") + Decimal("13.03")
    )
    assert {t["rate_id"] for t in order["tax_lines"]} == {1, 2}
    assert order["meta_data"][0]["key"] == "_billing_nif" and order["meta_data"][0]["id"] > 0
    # it is an order like any other: listed, readable
    got = await _py(shop, "get", f"orders/{oid}")
    assert got.json()["total"] == order["total"]
    assert shop.shop.state.orders[oid].history[0]["source"] == "rest"


async def test_set_paid_reduces_stock_and_fires_one_order_created(
    shop: ShopHandle, receiver: Receiver
) -> None:
    status, _, _ = await shop.api(
        "POST", "webhooks", json={"topic": "order.created", "delivery_url": receiver.url}
    )
    assert status == 201
    before = (await _py(shop, "get", "products/103")).json()["stock_quantity"]
    resp = await _py(
        shop,
        "post",
        "orders",
        {
            "set_paid": True,
            "transaction_id": "txn-42",
            "billing": BILLING,
            "line_items": [{"product_id": 103, "quantity": 4}],
        },
    )
    assert resp.status_code == 201, resp.text
    order = resp.json()
    assert order["status"] == "processing" and order["date_paid_gmt"]
    assert order["transaction_id"] == "txn-42"
    item_meta = order["line_items"][0]["meta_data"]
    assert {"key": "_reduced_stock", "value": "4"}.items() <= item_meta[0].items()
    after = (await _py(shop, "get", "products/103")).json()
    assert after["stock_quantity"] == before - 4 and after["total_sales"] == 4
    notes = (await _py(shop, "get", f"orders/{order['id']}/notes")).json()
    assert any(f"{before}&rarr;{before - 4}" in n["note"] for n in notes)
    (delivery,) = await receiver.wait_for(1)
    assert delivery.headers["X-WC-Webhook-Topic"] == "order.created"
    payload = json.loads(delivery.body)
    assert payload["id"] == order["id"] and payload["status"] == "processing"
    await asyncio.sleep(0.2)
    assert len(receiver.deliveries()) == 1


async def test_unpaid_order_keeps_stock(shop: ShopHandle) -> None:
    before = shop.shop.state.products[108]["stock_quantity"]
    resp = await _py(shop, "post", "orders", {"line_items": [{"product_id": 108}]})
    assert resp.status_code == 201 and resp.json()["line_items"][0]["quantity"] == 1
    assert shop.shop.state.products[108]["stock_quantity"] == before


async def test_coupon_and_registered_customer(shop: ShopHandle) -> None:
    resp = await _py(
        shop,
        "post",
        "orders",
        {
            "customer_id": 11,
            "line_items": [{"product_id": 101, "quantity": 1}],
            "coupon_lines": [{"code": "BIENVENIDA10"}],
        },
    )
    assert resp.status_code == 201, resp.text
    order = resp.json()
    assert order["customer_id"] == 11
    assert order["coupon_lines"][0]["code"] == "bienvenida10"
    assert order["discount_total"] == "2.00" and order["line_items"][0]["total"] == "17.99"


async def test_errors_in_woocommerce_shape(shop: ShopHandle) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"line_items": [{"quantity": 1}]}, 400, "woocommerce_rest_required_product_reference"),
        ({"line_items": [{"product_id": 999999}]}, 400, "woocommerce_rest_invalid_product_id"),
        ({"line_items": [{"sku": "NOPE"}]}, 400, "woocommerce_rest_invalid_product_id"),
        ({"customer_id": 424242}, 400, "woocommerce_rest_invalid_customer_id"),
        ({"id": 5}, 400, "woocommerce_rest_shop_order_exists"),
        ({"coupon_lines": [{"code": "nada"}]}, 400, "woocommerce_rest_invalid_coupon"),
        ({"status": "shipped"}, 400, "rest_invalid_param"),
        ({"line_items": "x"}, 400, "rest_invalid_param"),
        ({"billing": {"email": "not-an-email"}}, 400, "rest_invalid_param"),
    ]
    count = len(shop.shop.state.orders)
    for data, status, code in cases:
        resp = await _py(shop, "post", "orders", data)
        assert (resp.status_code, resp.json()["code"]) == (status, code), data
        assert resp.json()["data"]["status"] == status
    assert len(shop.shop.state.orders) == count  # nothing half-created
    assert (await _py(shop, "post", "orders", {"id": 5})).json()["message"] == (
        "Cannot create existing shop_order."
    )


async def test_npm_client_creates_order(shop: ShopHandle) -> None:
    (created, listed) = await js_calls(
        shop.url("/"),
        CK,
        CS,
        [
            {
                "method": "post",
                "path": "orders",
                "data": {
                    "payment_method": "cod",
                    "set_paid": True,
                    "billing": BILLING,
                    "line_items": [{"product_id": 104, "quantity": 2}],
                },
            },
            {"method": "get", "path": "orders", "params": {"per_page": 5}},
        ],
    )
    assert created["status"] == 201, created
    order = created["data"]
    assert created["headers"]["location"].endswith(f"/wp-json/wc/v3/orders/{order['id']}")
    assert order["billing"] == BILLING and order["status"] == "processing"
    # 2 × 22.40 at the super-reduced 4 %
    assert order["line_items"][0]["total_tax"] == "1.79"
    assert listed["status"] == 200 and listed["data"][0]["id"] == order["id"]


async def test_status_changes_reduce_and_restore_stock(shop: ShopHandle) -> None:
    """``wc_maybe_reduce_stock_levels`` on processing, ``wc_maybe_increase_stock_levels`` on
    cancelled — once each, with their notes (before: stock never moved on a status change)."""
    state = shop.shop.state
    before = state.products[110]["stock_quantity"]
    (created,) = await js_calls(
        shop.url("/"),
        CK,
        CS,
        [
            {
                "method": "post",
                "path": "orders",
                "data": {"line_items": [{"product_id": 110, "quantity": 3}]},
            }
        ],
    )
    assert state.products[110]["stock_quantity"] == before  # pending: nothing reduced yet
    oid = created["data"]["id"]
    paid, again, cancelled, notes = await js_calls(
        shop.url("/"),
        CK,
        CS,
        [
            {"method": "put", "path": f"orders/{oid}", "data": {"status": "processing"}},
            {"method": "put", "path": f"orders/{oid}", "data": {"status": "completed"}},
            {"method": "put", "path": f"orders/{oid}", "data": {"status": "cancelled"}},
            {"method": "get", "path": f"orders/{oid}/notes"},
        ],
    )
    assert paid["status"] == 200 and state.products[110]["stock_quantity"] == before
    assert cancelled["data"]["status"] == "cancelled"
    assert cancelled["data"]["line_items"][0]["meta_data"] == []
    texts = [n["note"] for n in notes["data"]]
    assert sum("Stock levels reduced" in t for t in texts) == 1
    assert sum("Stock levels increased" in t for t in texts) == 1
    assert any(f"{before - 3}&rarr;{before}" in t for t in texts)
    reduced = paid["data"]["line_items"][0]["meta_data"]
    assert [(m["key"], m["value"]) for m in reduced] == [("_reduced_stock", "3")]
    assert again["data"]["line_items"][0]["meta_data"] == reduced  # completed: no second cut
