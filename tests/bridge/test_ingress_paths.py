"""Ingress paths around the hot one: the webhook deadline (503 + Retry-After, readiness
told), bodies without Content-Length, secrets replaced on a running ingress."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bridge.ingress.app import create_ingress_app, make_ingress
from bridge.metrics import Metrics
from bridge.signature import Verifier, sign
from bridge.store import Store

from .conftest import SECRET, ops_auth
from .payloads import order_payload, signed


async def test_a_commit_that_hangs_is_answered_503_within_the_deadline(
    sqlite_store: Store,
) -> None:
    ingress = make_ingress(sqlite_store, (SECRET,), 4096, Metrics())

    async def hang(_items: Sequence[Any]) -> Sequence[Any]:
        await asyncio.sleep(10)
        raise AssertionError("unreachable")

    ingress.committer.commit = hang
    app = create_ingress_app(ingress, deadline_s=0.3, ops_auth=ops_auth())
    async with TestClient(TestServer(app)) as client:
        body, headers = signed(order_payload(21))
        started = asyncio.get_running_loop().time()
        resp = await client.post("/webhooks/woocommerce", data=body, headers=headers)
        assert asyncio.get_running_loop().time() - started < 3.0
        assert resp.status == 503
        assert resp.headers["Retry-After"] == "5"
        assert (await resp.json())["code"] == "store_unavailable"
        ready = (await (await client.get("/readyz")).json())["checks"]["store"]
        assert "0.3 s" in str(ready)
        # routes other than the webhook are not bounded by it, and still answer
        assert (await client.get("/livez")).status == 200
        ping = await client.post(
            "/",
            data=b"webhook_id=3",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert ping.status == 200


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    for i in range(0, len(body), 1000):
        yield body[i : i + 1000]


async def test_chunked_bodies_are_read_and_limited(
    ingress_client: TestClient, sqlite_store: Store
) -> None:
    body, headers = signed(order_payload(22))
    resp = await ingress_client.post("/webhooks/woocommerce", data=_chunks(body), headers=headers)
    assert resp.status == 200
    assert (await resp.json())["status"] == "accepted"
    big = order_payload(23)
    big["padding"] = "x" * 5000
    body, headers = signed(big)
    resp = await ingress_client.post("/webhooks/woocommerce", data=_chunks(body), headers=headers)
    assert resp.status == 413
    assert (await sqlite_store.counts())["inbox"] == 1


async def test_replaced_secrets_take_effect_at_once(sqlite_store: Store) -> None:
    ingress = make_ingress(sqlite_store, ("first",), 4096, Metrics())
    body, _ = signed(order_payload(24))
    assert ingress.verify(body, sign("first", body))
    ingress.secrets = ("second",)
    assert not ingress.verify(body, sign("first", body))
    assert ingress.verify(body, sign("second", body))


def test_verifier_matches_the_signer_for_escaped_secrets_and_rotation() -> None:
    body = b'{"id":1}'
    check = Verifier(("new&amp;secret", "old"))
    assert check(body, sign("new&amp;secret", body))
    assert check(body, " " + sign("old", body) + " ")
    assert not check(body, sign("other", body))
    assert not check(body, None) and not check(body, "") and not check(body, "ü")
