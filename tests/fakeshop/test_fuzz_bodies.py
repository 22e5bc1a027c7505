"""Fuzzed JSON bodies against every write endpoint: whatever a client sends (wrong types,
NaN/Infinity, huge numbers, deep nesting, non-objects) is answered below 500 with a JSON
body in the emulated system's error shape, never a traceback."""

from __future__ import annotations

import asyncio
import json
import math
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakeshop.app import FAKESHOP_KEY, create_app
from fakeshop.config import DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, ShopConfig
from tests.fakeshop.oauth_client import signed_url

TOKEN = "fuzz-token"

SPECIAL_STRINGS = [
    "",
    "0",
    "-1",
    "1.005",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "1e999999",
    "9" * 400,
    "x",
    "true",
    "processing",
    "completed",
    "refunded",
    "order.updated",
    "order.created",
    "active",
    "disabled",
    "fixed",
    "uniform",
    "exponential",
    "hostile",
    "calm",
    "http://[::1",
    "http://:80/",
    "http://127.0.0.1:99999/",
    "http://127.0.0.1:1/hook",
    "https://",
    "javascript:alert(1)",
    "\x00",
    "\ud7ff\ue000",
]
KEYS = [
    # orders / notes / refunds
    "status", "meta_data", "transaction_id", "customer_note", "payment_method",
    "payment_method_title", "billing", "shipping", "set_paid", "line_items", "note",
    "added_by_user", "amount", "reason", "api_refund", "id", "key", "value", "quantity",
    "refund_total", "refund_tax", "first_name", "email",
    # products
    "stock_quantity", "manage_stock", "stock_status", "create", "update", "delete",
    # webhooks
    "name", "topic", "delivery_url", "secret",
    # admin
    "profile", "seed", "copies", "delay", "dist", "ms", "min_ms", "max_ms", "mean_ms",
    "reorder_p", "reorder_window_ms", "drop_p", "tamper_p", "malformed_p", "burst_p",
    "burst_max", "payload_at_send", "count", "with_lifecycle", "mix", "pay", "hold",
    "cancel_unpaid", "cancel_paid", "refund_full", "refund_partial", "complete",
    "mean_step_s", "rate", "duration_s", "lifecycle",
    # magento
    "statusHistory", "comment", "is_customer_notified", "is_visible_on_front",
]  # fmt: skip

#: the values most likely to break a parser, drawn often on purpose
specials = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0, 0.5, 2.0, 10**400, -1, 0]),
    st.sampled_from(SPECIAL_STRINGS),
    st.sampled_from([True, False, None, [], {}, [1], {"id": 1}]),
)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**400, -(10**30), 2**63, -1, 0, 1, 3, 1001]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0, 0.5, 2.0]),
    st.text(max_size=12),
    st.sampled_from(SPECIAL_STRINGS),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=6))
json_values = st.recursive(
    leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=24,
)
#: each endpoint's own fields, so the fuzzer reaches the code behind them
FIELDS: dict[str, list[str]] = {
    "orders PUT": ["status", "meta_data", "transaction_id", "customer_note", "payment_method",
                   "payment_method_title", "billing", "shipping", "set_paid", "line_items"],
    "notes POST": ["note", "customer_note", "added_by_user"],
    "refunds POST": ["amount", "reason", "api_refund", "line_items", "meta_data"],
    "products PUT": ["stock_quantity", "manage_stock", "stock_status", "regular_price",
                     "sale_price", "name", "status"],
    "products batch": ["create", "update", "delete"],
    "webhooks POST": ["name", "status", "topic", "delivery_url", "secret", "id"],
    "webhooks PUT": ["name", "status", "topic", "delivery_url", "secret"],
    "chaos PUT": ["profile", "seed", "copies", "delay", "reorder_p", "reorder_window_ms",
                  "drop_p", "tamper_p", "malformed_p", "burst_p", "burst_max",
                  "payload_at_send"],
    "generate POST": ["count", "with_lifecycle", "mix"],
    "load POST": ["rate", "duration_s", "mix", "lifecycle"],
    "magento comments": ["statusHistory"],
    "orders POST": ["status", "customer_id", "billing", "shipping", "line_items",
                    "shipping_lines", "fee_lines", "coupon_lines", "meta_data", "set_paid",
                    "currency", "id"],
    "orders batch": ["create", "update", "delete"],
    "products POST": ["name", "type", "sku", "regular_price", "sale_price", "stock_quantity",
                      "manage_stock", "date_on_sale_from", "date_on_sale_to_gmt", "tax_class",
                      "attributes", "meta_data", "status"],
    "variations POST": ["regular_price", "sale_price", "sku", "attributes", "stock_quantity",
                        "manage_stock", "date_on_sale_from_gmt"],
    "customers POST": ["email", "first_name", "last_name", "username", "billing", "shipping",
                       "meta_data", "id"],
    "customers PUT": ["email", "first_name", "username", "billing", "shipping", "meta_data"],
}  # fmt: skip


def bodies(name: str) -> st.SearchStrategy[Any]:
    """Mostly objects with the endpoint's fields (values of any JSON shape, nested objects
    keyed by known field names), sometimes any JSON at all."""
    own = st.sampled_from(FIELDS[name])
    field_values = st.one_of(specials, specials, json_values)
    return st.one_of(
        st.dictionaries(own, field_values, min_size=1, max_size=4),
        st.dictionaries(own, field_values, min_size=1, max_size=4),
        st.dictionaries(st.one_of(own, keys), json_values, max_size=6),
        json_values,
    )


@dataclass
class Live:
    """A fakeshop (WooCommerce + Magento mode) served from its own thread and loop."""

    loop: asyncio.AbstractEventLoop
    base: str
    session: aiohttp.ClientSession
    app: web.Application
    order_ids: list[int]
    product_id: int
    webhook_id: int
    variable_id: int = 0

    def call(self, method: str, path: str, payload: bytes) -> tuple[int, str, Any]:
        async def go() -> tuple[int, str, Any]:
            headers = {"Content-Type": "application/json"}
            if path.startswith("/wp-json"):
                url = signed_url(
                    method, self.base + path, DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, {}
                )
            else:
                url = self.base + path
                if path.startswith("/rest"):
                    headers["Authorization"] = f"Bearer {TOKEN}"
            async with self.session.request(method, url, data=payload, headers=headers) as r:
                text = await r.text()
                return r.status, r.content_type, text

        return asyncio.run_coroutine_threadsafe(go(), self.loop).result(timeout=60)


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    prefix = f"test-fakeshop-fuzz-{uuid.uuid4().hex[:8]}/events"

    async def start() -> tuple[web.AppRunner, Live]:
        config = ShopConfig(magento=True, magento_token=TOKEN, mqtt_topic_prefix=prefix, seed=3)
        app = create_app(config)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        state = app[FAKESHOP_KEY].state
        ids = [int(state.create_order(source="admin")["id"]) for _ in range(4)]
        session = aiohttp.ClientSession()
        live = Live(loop, f"http://127.0.0.1:{port}", session, app, ids, min(state.products), 0)
        return runner, live

    runner, live = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    status, _, text = live.call(
        "POST",
        "/wp-json/wc/v3/webhooks",
        json.dumps({"topic": "order.updated", "delivery_url": "http://127.0.0.1:1/hook"}).encode(),
    )
    assert status == 201, text
    live.webhook_id = int(json.loads(text)["id"])
    status, _, text = live.call(
        "POST", "/wp-json/wc/v3/products", json.dumps({"name": "V", "type": "variable"}).encode()
    )
    assert status == 201, text
    live.variable_id = int(json.loads(text)["id"])
    yield live

    async def stop() -> None:
        await live.session.close()
        await runner.cleanup()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)


def _endpoints(live: Live) -> dict[str, tuple[str, str]]:
    oid, wc = live.order_ids[0], "/wp-json/wc/v3"
    return {
        "orders PUT": ("PUT", f"{wc}/orders/{oid}"),
        "notes POST": ("POST", f"{wc}/orders/{oid}/notes"),
        "refunds POST": ("POST", f"{wc}/orders/{live.order_ids[1]}/refunds"),
        "products PUT": ("PUT", f"{wc}/products/{live.product_id}"),
        "products batch": ("POST", f"{wc}/products/batch"),
        "webhooks POST": ("POST", f"{wc}/webhooks"),
        "webhooks PUT": ("PUT", f"{wc}/webhooks/{live.webhook_id}"),
        "chaos PUT": ("PUT", "/__admin/chaos"),
        "generate POST": ("POST", "/__admin/orders/generate"),
        "load POST": ("POST", "/__admin/load"),
        "magento comments": ("POST", f"/rest/V1/orders/{live.order_ids[2]}/comments"),
        "orders POST": ("POST", f"{wc}/orders"),
        "orders batch": ("POST", f"{wc}/orders/batch"),
        "products POST": ("POST", f"{wc}/products"),
        "variations POST": ("POST", f"{wc}/products/{live.variable_id}/variations"),
        "customers POST": ("POST", f"{wc}/customers"),
        "customers PUT": ("PUT", f"{wc}/customers/11"),
    }


def _tame(name: str, body: Any) -> Any:
    """Keep valid-but-expensive requests small (a real 100 000-order batch is allowed)."""
    if not isinstance(body, dict):
        return body
    if name == "generate POST" and "count" in body:
        body["count"] = _clamp(body["count"], 3)
    if name == "load POST":
        body["rate"] = _clamp(body.get("rate", 1), 20)
        body["duration_s"] = _clamp(body.get("duration_s", 0.1), 0.2)
    return body


def _clamp(value: Any, most: float) -> Any:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return value
    return min(number, most) if number == number and number > most else value


def _check(name: str, status: int, ctype: str, text: str) -> None:
    assert status < 500, f"{name}: {status} {text[:500]}"
    assert ctype == "application/json", f"{name}: {ctype} {text[:200]}"
    data = json.loads(text)
    if status < 400:
        return
    assert isinstance(data, dict), text
    if name == "magento comments":
        assert isinstance(data.get("message"), str), text
    elif name in ("chaos PUT", "generate POST", "load POST"):
        assert isinstance(data.get("error"), str), text
    else:
        assert isinstance(data.get("code"), str) and isinstance(data.get("message"), str)
        assert data["data"]["status"] == status, text
        if data["code"] == "rest_invalid_param":
            assert isinstance(data["data"].get("params"), dict) and data["data"]["params"]


def _after(live: Live, name: str) -> None:
    if name == "load POST":
        live.call("DELETE", "/__admin/load", b"")
    if name == "chaos PUT":  # fuzzed chaos must not make later saves slow or lossy
        live.call("POST", "/__admin/chaos/reset", b"")


ENDPOINTS = [
    "orders PUT",
    "notes POST",
    "refunds POST",
    "products PUT",
    "products batch",
    "webhooks POST",
    "webhooks PUT",
    "chaos PUT",
    "generate POST",
    "load POST",
    "magento comments",
    "orders POST",
    "orders batch",
    "products POST",
    "variations POST",
    "customers POST",
    "customers PUT",
]


@pytest.mark.parametrize("name", ENDPOINTS)
def test_fuzzed_bodies_never_500(live: Live, name: str) -> None:
    method, path = _endpoints(live)[name]

    @settings(
        max_examples=int(os.environ.get("FAKESHOP_FUZZ_EXAMPLES", "100")),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        database=None,
    )
    @given(body=bodies(name))
    def run(body: Any) -> None:
        payload = json.dumps(_tame(name, body)).encode()  # NaN/Infinity as Python writes them
        status, ctype, text = live.call(method, path, payload)
        _after(live, name)
        _check(name, status, ctype, text)

    run()


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 50_000 + b"]" * 50_000,
        b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
        b'{"amount": NaN, "count": Infinity, "rate": -Infinity}',
        b"\xff\xfe{}",
        b"[1, 2",
        b'"just a string"',
        b"12345678901234567890123456789",
    ],
    ids=["deep-list", "deep-object", "nan-literals", "bad-utf8", "truncated", "string", "int"],
)
def test_hostile_raw_bodies_never_500(live: Live, name: str, payload: bytes) -> None:
    method, path = _endpoints(live)[name]
    status, ctype, text = live.call(method, path, payload)
    _after(live, name)
    _check(name, status, ctype, text)
