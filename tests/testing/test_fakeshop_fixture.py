"""The ``fakeshop`` fixture: keys, REST orders with real webhooks, generator, chaos, notes,
Magento mode, reset between tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from pytest_httpserver import HTTPServer
from woocommerce import API

from sapchaos import defaults
from sapchaos.testing import FakeShopClient


def _hooks(httpserver: HTTPServer) -> list:
    return [req for req, _resp in httpserver.log if req.headers.get("X-WC-Webhook-Topic")]


def _wait(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def receiver(httpserver: HTTPServer, fakeshop: FakeShopClient) -> HTTPServer:
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    fakeshop.subscribe(httpserver.url_for("/hook"), ["order.created", "order.updated"])
    return httpserver


def test_keys_work_with_the_official_client(fakeshop: FakeShopClient) -> None:
    assert (fakeshop.key, fakeshop.secret, fakeshop.webhook_secret) == (
        defaults.SHOP_KEY,
        defaults.SHOP_SECRET,
        defaults.WEBHOOK_SECRET,
    )
    wc = API(
        url=fakeshop.url,
        consumer_key=fakeshop.key,
        consumer_secret=fakeshop.secret,
        version="wc/v3",
    )
    created = fakeshop.create_order(quantity=2)
    got = wc.get(f"orders/{created['id']}").json()
    assert got["id"] == created["id"] and got["line_items"][0]["quantity"] == 2
    assert got["status"] == "processing"  # paid by default
    assert fakeshop.api_url == f"{fakeshop.url}/wp-json/wc/v3"


def test_rest_order_fires_a_signed_webhook(fakeshop: FakeShopClient, receiver: HTTPServer) -> None:
    order = fakeshop.create_order()
    _wait(lambda: any(r.headers["X-WC-Webhook-Topic"] == "order.created" for r in _hooks(receiver)))
    [hook] = [r for r in _hooks(receiver) if r.headers["X-WC-Webhook-Topic"] == "order.created"]
    body = hook.get_data()
    want = base64.b64encode(
        hmac.new(fakeshop.webhook_secret.encode(), body, hashlib.sha256).digest()
    )
    assert hook.headers["X-WC-Webhook-Signature"] == want.decode()
    assert hook.headers["X-WC-Webhook-Resource"] == "order"
    assert f'"id":{order["id"]}' in body.decode().replace(" ", "")


def test_rest_body_is_used_verbatim(fakeshop: FakeShopClient) -> None:
    sku = fakeshop.rest("GET", "products", per_page="2")[1]["sku"]
    order = fakeshop.create_order(
        {"line_items": [{"sku": sku, "quantity": 3}], "billing": {"email": "x@example.org"}}
    )
    assert order["status"] == "pending" and order["billing"]["email"] == "x@example.org"
    assert fakeshop.order(order["id"])["line_items"][0]["sku"] == sku


def test_generated_orders_mix_tax_classes(fakeshop: FakeShopClient) -> None:
    ids = fakeshop.generate(30)
    assert len(ids) == 30 == len(fakeshop.orders())
    classes = {item["tax_class"] for o in fakeshop.orders() for item in o["line_items"]}
    assert len(classes) >= 3


def test_generated_lifecycle_moves_orders(fakeshop: FakeShopClient) -> None:
    ids = fakeshop.generate(
        10, lifecycle=True, mix={"pay": 1.0, "hold": 0, "cancel_unpaid": 0, "mean_step_s": 0}
    )
    _wait(lambda: all(fakeshop.order(i)["status"] != "pending" for i in ids))
    assert all(fakeshop.order(i)["date_paid_gmt"] for i in ids)


def test_delivery_chaos_copies(fakeshop: FakeShopClient, receiver: HTTPServer) -> None:
    fakeshop.chaos(copies={3: 1.0})
    fakeshop.create_order()
    assert fakeshop.drain(timeout_s=20)
    created = [r for r in _hooks(receiver) if r.headers["X-WC-Webhook-Topic"] == "order.created"]
    assert len(created) == 3
    assert len({r.headers["X-WC-Webhook-Delivery-ID"] for r in created}) >= 1


def test_chaos_is_calm_again_and_state_is_fresh(fakeshop: FakeShopClient) -> None:
    assert fakeshop.orders() == [] and fakeshop.received() == [] and fakeshop.deliveries() == []
    assert fakeshop.chaos()["profile"] == "calm"
    assert fakeshop.rest("GET", "webhooks") == []


def test_notes_and_acknowledgements_read_back(fakeshop: FakeShopClient) -> None:
    oid = fakeshop.create_order()["id"]
    fakeshop.rest("POST", f"orders/{oid}/notes", {"note": "SAP sales order 100042 created"})
    fakeshop.rest("POST", f"orders/{oid}/notes", {"note": "something else"})
    assert fakeshop.notes(oid) == ["SAP sales order 100042 created", "something else"]
    assert fakeshop.acknowledged() == {oid: 100042}


def test_unknown_order_is_a_clear_error(fakeshop: FakeShopClient) -> None:
    with pytest.raises(KeyError, match="no order 999"):
        fakeshop.order(999)


@pytest.mark.sapchaos_shop("magento")
def test_magento_mode_by_marker(fakeshop: FakeShopClient) -> None:
    import requests

    assert fakeshop.mode == "magento"
    [oid] = fakeshop.generate(1)
    resp = requests.get(
        f"{fakeshop.url}/rest/V1/orders/{oid}",
        headers={"Authorization": "Bearer fakeshop-magento-integration-token"},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["entity_id"] == oid


@pytest.mark.parametrize("fakeshop", ["woo", "magento"], indirect=True)
def test_mode_by_parameter(fakeshop: FakeShopClient) -> None:
    import requests

    status = requests.get(f"{fakeshop.url}/rest/V1/orders/1", timeout=10).status_code
    assert (status != 404) == (fakeshop.mode == "magento")


@pytest.mark.sapchaos_shop("shopify")
def test_unknown_mode_is_a_usage_error(request: pytest.FixtureRequest) -> None:
    with pytest.raises(pytest.UsageError, match="shopify"):
        request.getfixturevalue("fakeshop")
