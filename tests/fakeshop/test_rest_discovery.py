"""Discovery as the WordPress REST API offers it: ``OPTIONS`` on a route describes it
(namespace, methods, endpoints with args, schema; ``Allow`` header) and
``GET /wp-json/wc/v3`` lists the namespace's routes — through the official clients."""

from __future__ import annotations

import asyncio

import woocommerce

from tests.fakeshop.conftest import CK, CS, ShopHandle
from tests.fakeshop.js_client import js_calls


async def test_options_describes_routes_through_the_npm_client(shop: ShopHandle) -> None:
    orders, item, customers = await js_calls(
        shop.url("/"),
        CK,
        CS,
        [
            {"method": "options", "path": "orders"},
            {"method": "options", "path": "orders/123"},
            {"method": "options", "path": "customers"},
        ],
    )
    assert orders["status"] == 200, orders
    d = orders["data"]
    assert d["namespace"] == "wc/v3" and d["methods"] == ["GET", "POST"]
    assert orders["headers"]["allow"] == "GET, POST"
    get_args = d["endpoints"][0]["args"]
    assert get_args["per_page"]["maximum"] == 100 and "modified_after" in get_args
    post_args = d["endpoints"][1]["args"]
    assert "line_items" in post_args and "set_paid" in post_args and "total" not in post_args
    assert d["schema"]["title"] == "shop_order"
    assert d["schema"]["properties"]["total"]["readonly"] is True
    assert "processing" in d["schema"]["properties"]["status"]["enum"]
    i = item["data"]
    assert i["methods"] == ["GET", "PUT", "PATCH", "POST", "DELETE"]
    assert i["endpoints"][-1]["args"]["force"]["default"] is False
    c = customers["data"]
    assert c["schema"]["title"] == "customer"
    assert c["endpoints"][1]["args"]["email"]["required"] is True


async def test_options_through_the_python_client(shop: ShopHandle) -> None:
    api = woocommerce.API(url=shop.url("/"), consumer_key=CK, consumer_secret=CS, version="wc/v3")
    resp = await asyncio.to_thread(api.options, "products/101/variations")
    assert resp.status_code == 200
    data = resp.json()
    assert data["schema"]["title"] == "product_variation" and data["methods"] == ["GET", "POST"]
    assert resp.headers["Allow"] == "GET, POST"


async def test_namespace_index_lists_every_route(shop: ShopHandle) -> None:
    async with shop.session.get(shop.url("/wp-json/wc/v3")) as resp:
        assert resp.status == 200
        index = await resp.json()
    routes = index["routes"]
    for path in (
        "/wc/v3/orders",
        "/wc/v3/orders/batch",
        "/wc/v3/products/(?P<id>[\\d]+)/variations",
        "/wc/v3/customers/(?P<id>[\\d]+)",
        "/wc/v3/webhooks",
    ):
        assert path in routes, path
        assert routes[path]["namespace"] == "wc/v3"
        assert all("OPTIONS" not in e["methods"] for e in routes[path]["endpoints"])
    assert routes["/wc/v3/customers"]["methods"] == ["GET", "POST"]
    assert "schema" not in routes["/wc/v3/customers"]  # the index leaves schemas to OPTIONS


async def test_error_codes_follow_each_controller(shop: ShopHandle) -> None:
    """Codes as each WooCommerce controller builds them: from the post type where it uses
    ``woocommerce_rest_{post_type}_…``, literal where it does not (checked against core)."""
    api = woocommerce.API(url=shop.url("/"), consumer_key=CK, consumer_secret=CS, version="wc/v3")

    def calls() -> list[tuple[int, str]]:
        out = []
        for method, path, data in (
            ("get", "orders/999999/notes", None),
            ("post", "orders/999999/notes", {"note": "x"}),
            ("post", "orders/999999/refunds", {"amount": "1.00"}),
            ("get", "orders/999999", None),
            ("put", "orders/999999", {"status": "completed"}),
            ("post", "orders", {"id": 4}),
            ("post", "products", {"id": 4}),
            ("get", "customers/999999", None),
            ("put", "customers/999999", {"first_name": "x"}),
            ("post", "customers", {"id": 4, "email": "x@example.com"}),
        ):
            fn = getattr(api, method)
            resp = fn(path, data) if data is not None else fn(path)
            out.append((resp.status_code, resp.json()["code"]))
        return out

    assert await asyncio.to_thread(calls) == [
        (404, "woocommerce_rest_shop_order_invalid_id"),
        (404, "woocommerce_rest_order_invalid_id"),
        (404, "woocommerce_rest_invalid_order_id"),
        (404, "woocommerce_rest_shop_order_invalid_id"),
        (400, "woocommerce_rest_shop_order_invalid_id"),
        (400, "woocommerce_rest_shop_order_exists"),
        (400, "woocommerce_rest_product_exists"),
        (404, "woocommerce_rest_invalid_id"),
        (400, "woocommerce_rest_invalid_id"),
        (400, "woocommerce_rest_customer_exists"),
    ]


async def test_allow_header_on_every_answer_of_a_route(shop: ShopHandle) -> None:
    api = woocommerce.API(url=shop.url("/"), consumer_key=CK, consumer_secret=CS, version="wc/v3")

    def calls() -> list[tuple[int, str | None]]:
        return [
            (r.status_code, r.headers.get("Allow"))
            for r in (api.get("orders"), api.get("orders/999999"), api.get("customers/11"))
        ]

    assert await asyncio.to_thread(calls) == [
        (200, "GET, POST"),
        (404, "GET, PUT, PATCH, POST, DELETE"),
        (200, "GET, PUT, PATCH, POST, DELETE"),
    ]
