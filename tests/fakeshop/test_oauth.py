"""Authentication as WooCommerce does it: OAuth 1.0a over http (worked examples, the
official client), Basic and query-string keys over https, and every refusal."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import requests
import woocommerce
from aiohttp import web
from woocommerce.oauth import OAuth

from fakeshop.app import create_app
from fakeshop.auth.oauth1 import base_string, sign
from fakeshop.config import ShopConfig
from fakeshop.https import self_signed, server_context
from sapchaos.net import free_port
from tests.fakeshop.conftest import CK, CS, ShopHandle
from tests.fakeshop.oauth_client import signed_url

URL = "http://127.0.0.1:8080/wp-json/wc/v3/orders"
PARAMS = {
    "per_page": "5",
    "after": "2024-01-01T00:00:00",
    "oauth_consumer_key": "ck_test",
    "oauth_timestamp": "1700000000",
    "oauth_nonce": "abc123",
    "oauth_signature_method": "HMAC-SHA256",
}


def test_base_string_worked_example_by_hand() -> None:
    expected = (
        "GET&http%3A%2F%2F127.0.0.1%3A8080%2Fwp-json%2Fwc%2Fv3%2Forders&"
        "after%3D2024-01-01T00%253A00%253A00%26"
        "oauth_consumer_key%3Dck_test%26"
        "oauth_nonce%3Dabc123%26"
        "oauth_signature_method%3DHMAC-SHA256%26"
        "oauth_timestamp%3D1700000000%26"
        "per_page%3D5"
    )
    assert base_string("GET", URL, PARAMS) == expected
    digest = hmac.new(b"cs_test&", expected.encode(), hashlib.sha256).digest()
    assert sign("GET", URL, PARAMS, "cs_test", "HMAC-SHA256") == base64.b64encode(digest).decode()
    sha1 = hmac.new(b"cs_test&", expected.replace("SHA256", "SHA1").encode(), hashlib.sha1).digest()
    params1 = {**PARAMS, "oauth_signature_method": "HMAC-SHA1"}
    assert sign("GET", URL, params1, "cs_test", "HMAC-SHA1") == base64.b64encode(sha1).decode()


def test_signature_agrees_with_the_official_client() -> None:
    client = OAuth(URL, "ck_test", "cs_test", version="wc/v3", method="GET")
    theirs = client.generate_oauth_signature(dict(PARAMS), URL)
    assert sign("GET", URL, PARAMS, "cs_test", "HMAC-SHA256") == theirs


def test_signature_excludes_oauth_signature_and_sorts_brackets_under_base_key() -> None:
    p = {"b": "2", "a[x]": "1", "a": "0", "oauth_signature": "zzz"}
    s = base_string("GET", "http://h/p", p)
    assert "oauth_signature%3D" not in s
    assert s.endswith("a%255Bx%255D%3D1%26a%3D0%26b%3D2")


async def _call(h: ShopHandle, url: str) -> tuple[int, Any]:
    async with h.session.get(url) as r:
        return r.status, await r.json()


async def test_nonce_replay_and_old_timestamp_refused(shop: ShopHandle) -> None:
    url = signed_url("GET", shop.url("/wp-json/wc/v3/orders"), CK, CS, {}, nonce="n-1")
    assert (await _call(shop, url))[0] == 200
    status, body = await _call(shop, url)
    assert (status, body["code"]) == (401, "woocommerce_rest_authentication_error")
    assert body["message"] == "Invalid nonce - nonce has already been used."
    old = signed_url(
        "GET", shop.url("/wp-json/wc/v3/orders"), CK, CS, {}, timestamp=int(time.time()) - 16 * 60
    )
    status, body = await _call(shop, old)
    assert (status, body["message"]) == (401, "Invalid timestamp.")
    future = signed_url(
        "GET", shop.url("/wp-json/wc/v3/orders"), CK, CS, {}, timestamp=int(time.time()) + 16 * 60
    )
    assert (await _call(shop, future))[1]["message"] == "Invalid timestamp."


async def test_oauth_refusals(shop: ShopHandle) -> None:
    base = shop.url("/wp-json/wc/v3/orders")
    status, body = await _call(shop, signed_url("GET", base, CK, "cs_wrong", {}))
    assert (status, body["message"]) == (
        401,
        "Invalid signature - provided signature does not match.",
    )
    status, body = await _call(shop, signed_url("GET", base, "ck_unknown", CS, {}))
    assert (status, body["message"]) == (401, "Consumer key is invalid.")
    status, body = await _call(shop, signed_url("GET", base, CK, CS, {}, algo="HMAC-SHA1"))
    assert status == 200, body
    status, body = await _call(shop, f"{base}?oauth_consumer_key={CK}&oauth_nonce=x")
    assert status == 401
    assert body["code"] == "woocommerce_rest_authentication_missing_parameter"
    assert body["message"] == (
        "Missing OAuth parameters oauth_timestamp, oauth_signature, oauth_signature_method"
    )
    url = signed_url("GET", base, CK, CS, {}).replace("HMAC-SHA256", "PLAINTEXT")
    status, body = await _call(shop, url)
    assert body["message"] == "Invalid signature - signature method is invalid."
    # tampering with a signed parameter breaks the signature
    status, body = await _call(
        shop, signed_url("GET", base, CK, CS, {"page": "1"}).replace("page=1", "page=2")
    )
    assert body["message"] == "Invalid signature - provided signature does not match."


async def test_no_credentials_and_basic_over_http_are_unauthenticated(shop: ShopHandle) -> None:
    import aiohttp

    async with shop.session.get(shop.url("/wp-json/wc/v3/orders")) as r:
        assert r.status == 401
        assert (await r.json())["code"] == "woocommerce_rest_cannot_view"
    auth = {"Authorization": aiohttp.encode_basic_auth(CK, CS)}
    async with shop.session.get(shop.url("/wp-json/wc/v3/orders"), headers=auth) as r:
        assert r.status == 401  # Basic is only honoured over HTTPS (is_ssl())
    async with shop.session.get(
        shop.url("/wp-json/wc/v3/orders"), params={"consumer_key": CK, "consumer_secret": CS}
    ) as r:
        assert r.status == 401


async def test_forwarded_proto_trusted_only_when_configured(make_shop: Any) -> None:
    import aiohttp

    auth = {"Authorization": aiohttp.encode_basic_auth(CK, CS)}
    hdr = {"X-Forwarded-Proto": "https", **auth}
    plain: ShopHandle = await make_shop()
    async with plain.session.get(plain.url("/wp-json/wc/v3/orders"), headers=hdr) as r:
        assert r.status == 401
    trusting: ShopHandle = await make_shop(ShopConfig(trust_forwarded_proto=True))
    async with trusting.session.get(trusting.url("/wp-json/wc/v3/orders"), headers=hdr) as r:
        assert r.status == 200


@pytest.fixture
async def https_shop(tmp_path: Path) -> AsyncIterator[tuple[str, web.Application]]:
    cert, key = self_signed(tmp_path)
    app = create_app(ShopConfig(https=True))
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=server_context(cert, key))
    await site.start()
    yield f"https://127.0.0.1:{port}", app
    await runner.cleanup()


@pytest.fixture
async def http_shop() -> AsyncIterator[tuple[str, web.Application]]:
    app = create_app(ShopConfig())
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}", app
    await runner.cleanup()


def _official_client_session(url: str, **kw: Any) -> dict[str, Any]:
    """What a bridge written for a real store does, with the official client (requests)."""
    api = woocommerce.API(
        url=url, consumer_key=CK, consumer_secret=CS, version="wc/v3", timeout=10, **kw
    )
    out: dict[str, Any] = {}
    listing = api.get("orders", params={"per_page": 2, "status": "pending"})
    out["list"] = (listing.status_code, listing.json(), listing.headers.get("X-WP-Total"))
    oid = listing.json()[0]["id"]
    out["get"] = api.get(f"orders/{oid}").json()
    out["note"] = api.post(
        f"orders/{oid}/notes", {"note": "SAP sales order 42 created (DocEntry 7, key wc:1:order)."}
    )
    out["put"] = api.put(
        f"orders/{oid}",
        {"status": "processing", "meta_data": [{"key": "_sap_docentry", "value": "7"}]},
    )
    out["stock"] = api.post("products/batch", {"update": [{"id": 101, "stock_quantity": 12}]})
    out["bad"] = api.get("orders/999999")
    out["scheme_auth"] = listing.request.headers.get("Authorization", "")
    out["url"] = listing.request.url
    return out


async def _generate(url: str, n: int) -> None:
    import aiohttp

    async with (
        aiohttp.ClientSession() as s,
        s.post(f"{url}/__admin/orders/generate", json={"count": n}, ssl=False) as r,
    ):
        assert r.status == 201


async def test_official_client_over_http_uses_oauth(http_shop: tuple[str, web.Application]) -> None:
    url, _app = http_shop
    await _generate(url, 3)
    out = await asyncio.to_thread(_official_client_session, url)
    status, body, total = out["list"]
    assert status == 200 and len(body) == 2 and total == "3"
    assert "oauth_signature=" in out["url"] and out["scheme_auth"] == ""
    assert out["note"].status_code == 201 and out["note"].json()["note"].startswith(
        "SAP sales order 42"
    )
    assert out["put"].status_code == 200 and out["put"].json()["status"] == "processing"
    assert out["put"].json()["date_paid"] is not None
    assert out["stock"].json()["update"][0]["stock_quantity"] == 12
    assert out["bad"].status_code == 404
    assert out["bad"].json()["code"] == "woocommerce_rest_shop_order_invalid_id"


async def test_official_client_over_https_uses_basic(
    https_shop: tuple[str, web.Application],
) -> None:
    url, _app = https_shop
    await _generate(url, 3)
    out = await asyncio.to_thread(_official_client_session, url, verify_ssl=False)
    status, _body, total = out["list"]
    assert status == 200 and total == "3"
    assert out["scheme_auth"].startswith("Basic ") and "oauth_signature" not in out["url"]
    assert out["put"].json()["status"] == "processing"

    # query-string keys work over https too; a wrong secret is refused with WWW-Authenticate
    def calls() -> tuple[requests.Response, requests.Response]:
        q = woocommerce.API(
            url=url,
            consumer_key=CK,
            consumer_secret=CS,
            version="wc/v3",
            verify_ssl=False,
            query_string_auth=True,
        ).get("orders")
        bad = woocommerce.API(
            url=url, consumer_key=CK, consumer_secret="cs_nope", version="wc/v3", verify_ssl=False
        ).get("orders")
        return q, bad

    q, bad = await asyncio.to_thread(calls)
    assert q.status_code == 200 and "consumer_secret=" in q.request.url
    assert bad.status_code == 401 and bad.json()["message"] == "Consumer secret is invalid."
    assert bad.headers["WWW-Authenticate"].startswith("Basic realm=")
