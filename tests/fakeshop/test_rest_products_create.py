"""Products as WooCommerce keeps them: ``POST products`` (simple and variable, with
variations), the sale rules (``sale_price`` → ``price``/``on_sale``, ``date_on_sale_from/to``),
``DELETE`` with and without ``force``, and ``products/batch`` / ``orders/batch`` with
per-item errors inside a 200 — driven by the official npm and Python clients."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import woocommerce

from tests.fakeshop.conftest import CK, CS, ShopHandle
from tests.fakeshop.js_client import js_calls


def _api(shop: ShopHandle) -> woocommerce.API:
    return woocommerce.API(
        url=shop.url("/"), consumer_key=CK, consumer_secret=CS, version="wc/v3", timeout=20
    )


async def _js(shop: ShopHandle, *calls: dict[str, Any]) -> list[dict[str, Any]]:
    return await js_calls(shop.url("/"), CK, CS, list(calls))


async def test_simple_product_and_sale_price(shop: ShopHandle) -> None:
    (made,) = await _js(
        shop,
        {
            "method": "post",
            "path": "products",
            "data": {
                "name": "Taza «Núñez»",
                "regular_price": "12.5",
                "sku": "MUG-NUNEZ",
                "manage_stock": True,
                "stock_quantity": 3,
                "tax_class": "reduced-rate",
            },
        },
    )
    assert made["status"] == 201, made
    p = made["data"]
    pid = p["id"]
    assert made["headers"]["location"].endswith(f"/wp-json/wc/v3/products/{pid}")
    assert (p["type"], p["status"], p["price"], p["regular_price"]) == (
        "simple",
        "publish",
        "12.50",
        "12.50",
    )
    assert p["on_sale"] is False and p["stock_status"] == "instock" and p["slug"] == "taza-nunez"
    on_sale, cleared = await _js(
        shop,
        {"method": "put", "path": f"products/{pid}", "data": {"sale_price": "9.99"}},
        {"method": "put", "path": f"products/{pid}", "data": {"sale_price": ""}},
    )
    assert (on_sale["data"]["price"], on_sale["data"]["on_sale"]) == ("9.99", True)
    assert (cleared["data"]["price"], cleared["data"]["on_sale"]) == ("12.50", False)
    # a sale price at or above the regular price is no sale
    (same,) = await _js(
        shop, {"method": "put", "path": f"products/{pid}", "data": {"sale_price": "12.50"}}
    )
    assert (same["data"]["price"], same["data"]["on_sale"]) == ("12.50", False)


async def test_scheduled_sale_follows_dates(shop: ShopHandle) -> None:
    state = shop.shop.state
    # the shop's clock moves minutes ahead (OAuth allows 15 minutes of skew either way)
    base = float(int(time.time()))
    clock = {"now": base}
    state.clock = lambda: clock["now"]
    api = _api(shop)

    def gmt(ts: float) -> str:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S")

    def calls() -> list[dict[str, Any]]:
        made = api.post(
            "products",
            {
                "name": "Jamón",
                "regular_price": "100",
                "sale_price": "80",
                "date_on_sale_from_gmt": gmt(base + 300),
                "date_on_sale_to_gmt": gmt(base + 600),
            },
        ).json()
        out = [made]
        for minutes in (7, 12):  # inside the sale, then after it
            clock["now"] = base + minutes * 60
            out.append(api.get(f"products/{made['id']}").json())
        return out

    before, during, after = await asyncio.to_thread(calls)
    assert (before["price"], before["on_sale"]) == ("100.00", False)
    assert before["date_on_sale_from_gmt"] == gmt(base + 300)
    assert before["date_on_sale_from"] == gmt(base + 300 + 3600)  # site time, UTC+1
    assert (during["price"], during["on_sale"]) == ("80.00", True)
    assert (after["price"], after["on_sale"]) == ("100.00", False)

    def save_after_end() -> dict[str, Any]:
        return dict(api.put(f"products/{before['id']}", {"name": "Jamón ibérico"}).json())

    saved = await asyncio.to_thread(save_after_end)
    # saving after the end date ends the sale for good, as WooCommerce's data store does
    assert saved["sale_price"] == "" and saved["date_on_sale_to_gmt"] is None


async def test_variable_product_variations_and_an_order_for_one(shop: ShopHandle) -> None:
    (parent,) = await _js(
        shop,
        {
            "method": "post",
            "path": "products",
            "data": {
                "name": "Camiseta logo",
                "type": "variable",
                "attributes": [{"name": "Talla", "options": ["S", "M"], "variation": True}],
            },
        },
    )
    assert parent["status"] == 201 and parent["data"]["type"] == "variable"
    pid = parent["data"]["id"]
    small, medium, listed, again = await _js(
        shop,
        {
            "method": "post",
            "path": f"products/{pid}/variations",
            "data": {
                "regular_price": "20",
                "sku": "TLOGO-S",
                "manage_stock": True,
                "stock_quantity": 10,
                "attributes": [{"name": "Talla", "option": "S"}],
            },
        },
        {
            "method": "post",
            "path": f"products/{pid}/variations",
            "data": {
                "regular_price": "22",
                "sale_price": "18",
                "attributes": [{"name": "Talla", "option": "M"}],
            },
        },
        {"method": "get", "path": f"products/{pid}/variations"},
        {"method": "get", "path": f"products/{pid}"},
    )
    assert small["status"] == medium["status"] == 201
    assert small["data"]["name"] == "Camiseta logo - S"
    assert len(listed["data"]) == 2
    assert again["data"]["variations"] == [small["data"]["id"], medium["data"]["id"]]
    assert (again["data"]["price"], again["data"]["on_sale"]) == ("18.00", True)
    (order,) = await _js(
        shop,
        {
            "method": "post",
            "path": "orders",
            "data": {
                "set_paid": True,
                "line_items": [{"variation_id": small["data"]["id"], "quantity": 2}],
            },
        },
    )
    assert order["status"] == 201, order
    line = order["data"]["line_items"][0]
    assert (line["product_id"], line["variation_id"], line["sku"]) == (
        pid,
        small["data"]["id"],
        "TLOGO-S",
    )
    assert (line["total"], line["total_tax"], line["parent_name"]) == (
        "40.00",
        "8.40",
        "Camiseta logo",
    )
    (var,) = await _js(
        shop, {"method": "get", "path": f"products/{pid}/variations/{small['data']['id']}"}
    )
    assert var["data"]["stock_quantity"] == 8
    (bad,) = await _js(
        shop, {"method": "post", "path": "orders", "data": {"line_items": [{"product_id": pid}]}}
    )
    assert (bad["status"], bad["data"]["code"]) == (400, "woocommerce_rest_invalid_product_id")


async def test_delete_with_and_without_force(shop: ShopHandle) -> None:
    trashed, twice, listed, gone, read = await _js(
        shop,
        {"method": "delete", "path": "products/103"},
        {"method": "delete", "path": "products/103"},
        {"method": "get", "path": "products", "params": {"per_page": 100}},
        {"method": "delete", "path": "products/103", "params": {"force": True}},
        {"method": "get", "path": "products/103"},
    )
    assert (trashed["status"], trashed["data"]["status"]) == (200, "trash")
    assert (twice["status"], twice["data"]["code"]) == (410, "woocommerce_rest_already_trashed")
    assert 103 not in [p["id"] for p in listed["data"]]
    assert (gone["status"], gone["data"]["id"]) == (200, 103)
    assert (read["status"], read["data"]["code"]) == (404, "woocommerce_rest_product_invalid_id")


async def test_duplicate_sku_is_refused_with_the_holder(shop: ShopHandle) -> None:
    api = _api(shop)
    resp = await asyncio.to_thread(api.post, "products", {"name": "Otra", "sku": "MUG-LOGO"})
    body = resp.json()
    assert (resp.status_code, body["code"], body["message"]) == (
        400,
        "product_invalid_sku",
        "Invalid or duplicated SKU.",
    )
    assert body["data"]["resource_id"] == 103 and body["data"]["unique_sku"] == "MUG-LOGO-1"
    assert all(p["name"] != "Otra" for p in shop.shop.state.products.values())


async def test_products_batch_create_update_delete_with_item_errors(shop: ShopHandle) -> None:
    api = _api(shop)
    data = {
        "create": [{"name": "Nuevo", "regular_price": "5"}, {"name": "Dup", "sku": "TSH-RED-M"}],
        "update": [{"id": 101, "sale_price": "15"}, {"id": 999999, "stock_quantity": 1}],
        "delete": [102, 888888],
    }
    resp = await asyncio.to_thread(api.post, "products/batch", data)
    assert resp.status_code == 200
    out = resp.json()
    made, dup = out["create"]
    assert made["name"] == "Nuevo" and made["price"] == "5.00"
    assert dup["id"] == 0 and dup["error"]["code"] == "product_invalid_sku"
    assert dup["error"]["data"]["status"] == 400
    upd, missing = out["update"]
    assert (upd["price"], upd["on_sale"]) == ("15.00", True)
    assert missing == {
        "id": 999999,
        "error": {
            "code": "woocommerce_rest_product_invalid_id",
            "message": "Invalid ID.",
            "data": {"status": 400},
        },
    }
    deleted, absent = out["delete"]
    assert deleted["id"] == 102 and 102 not in shop.shop.state.products  # batch deletes force
    assert absent["id"] == 888888 and absent["error"]["data"]["status"] == 404


async def test_orders_batch_through_the_npm_client(shop: ShopHandle) -> None:
    (oid,) = (await shop.admin("POST", "orders/generate", {"count": 1}))["created"]
    (answer,) = await _js(
        shop,
        {
            "method": "post",
            "path": "orders/batch",
            "data": {
                "create": [
                    {"line_items": [{"product_id": 101, "quantity": 1}]},
                    {"line_items": [{"product_id": 4242}]},
                ],
                "update": [
                    {"id": oid, "status": "on-hold"},
                    {"id": 7777777, "status": "completed"},
                ],
                "delete": [oid, 7777777],
            },
        },
    )
    assert answer["status"] == 200
    out = answer["data"]
    ok, bad = out["create"]
    assert ok["created_via"] == "rest-api" and ok["total"] == "24.19"
    assert bad["id"] == 0 and bad["error"]["code"] == "woocommerce_rest_invalid_product_id"
    assert out["update"][0]["status"] == "on-hold"
    assert out["update"][1]["error"] == {
        "code": "woocommerce_rest_shop_order_invalid_id",
        "message": "Invalid ID.",
        "data": {"status": 400},
    }
    assert out["delete"][0]["id"] == oid and out["delete"][1]["id"] == 7777777
    assert out["delete"][1]["error"]["data"]["status"] == 404
    assert shop.shop.state.orders[oid].deleted
