"""A black-holed PostgreSQL link (through the embedded Toxiproxy-compatible proxy): the
instance answers a signed webhook within seconds (503 + Retry-After, never the sender's
60 s), ``/readyz`` turns not ready within seconds and names the store with its error,
``/livez`` stays alive, and both recover within seconds of the heal.

The bounds are the issue's correctness bounds (5 s), checked as "within N s" waits.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest

from bridge.config import BridgeConfig
from bridge.runtime import BridgeRuntime
from scenarios.proxy.client import ToxiproxyClient
from scenarios.proxy.server import EmbeddedToxiproxy
from tests.bridge.payloads import order_payload, signed

PG = os.environ.get("SAPCHAOS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BOUND_S = 5.0


async def _drop(schema: str) -> None:
    conn = await asyncpg.connect(PG)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture
async def pg_link() -> AsyncIterator[tuple[ToxiproxyClient, str]]:
    """A proxy link in front of PostgreSQL; yields the client and a DSN through it."""
    upstream = PG.split("@", 1)[1].split("/", 1)[0]
    schema = f"h7_health_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    async with EmbeddedToxiproxy(port=0) as server, ToxiproxyClient(server.url) as client:
        proxy = await client.create("postgres", upstream)
        port = int(proxy["listen"].rsplit(":", 1)[1])
        dsn = (
            f"postgresql://postgres@127.0.0.1:{port}/test?schema={schema}&pool_max=4"
            "&connect_timeout=2&acquire_timeout=2&command_timeout=2&transaction_timeout=3"
        )
        try:
            yield client, dsn
        finally:
            await client.reset()
    await _drop(schema)


async def _post(http: aiohttp.ClientSession, url: str, order_id: int) -> tuple[int, dict[str, str]]:
    body, headers = signed(
        order_payload(order_id, modified=f"2026-11-23T20:{order_id % 60:02d}:19")
    )
    async with http.post(f"{url}/webhooks/woocommerce", data=body, headers=headers) as r:
        await r.read()
        return r.status, dict(r.headers)


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with http.get(url) as r:
        return r.status, await r.json()


async def _within(bound_s: float, check: Any) -> float:
    """Poll ``check`` (async, → bool) until true; returns the seconds it took."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < bound_s, f"not within {bound_s} s"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def test_black_holed_store_fails_fast_and_recovers(
    pg_link: tuple[ToxiproxyClient, str],
) -> None:
    proxy, dsn = pg_link
    cfg = BridgeConfig(
        store_dsn=dsn,
        port=0,
        roles=("ingress",),
        health_interval_s=0.5,
        health_timeout_s=1.5,
        ingress_deadline_s=3.0,
    )
    timeout = aiohttp.ClientTimeout(total=BOUND_S * 4)
    async with BridgeRuntime(cfg) as rt, aiohttp.ClientSession(timeout=timeout) as http:
        url = rt.url

        async def ready() -> bool:
            return (await _get(http, f"{url}/readyz"))[0] == 200

        await _within(BOUND_S, ready)
        assert (await _post(http, url, 1))[0] == 200

        # black hole both directions: bytes vanish, connections stay open
        await proxy.add_toxic("postgres", "timeout", stream="downstream", timeout=0)
        await proxy.add_toxic("postgres", "timeout", stream="upstream", timeout=0)
        cut_at = time.monotonic()
        status, headers = await asyncio.wait_for(_post(http, url, 2), BOUND_S * 3)
        answered_s = time.monotonic() - cut_at
        assert status == 503 and headers.get("Retry-After") == "5"
        assert answered_s < BOUND_S, f"webhook answered after {answered_s:.1f} s"

        async def not_ready() -> bool:
            return (await _get(http, f"{url}/readyz"))[0] == 503

        await _within(BOUND_S, not_ready)
        status, body = await _get(http, f"{url}/readyz")
        assert status == 503 and body["status"] == "not_ready"
        store = body["checks"]["store"]
        assert store["ok"] is False and store["required"] is True and store["last_error"]
        assert (await _get(http, f"{url}/livez"))[0] == 200  # the process itself is fine
        assert (await _get(http, f"{url}/healthz"))[0] == 200  # alias of /livez

        # heal: ready and accepting again within the bound
        for t in await proxy.toxics("postgres"):
            await proxy.remove_toxic("postgres", t["name"])
        healed_at = time.monotonic()
        await _within(BOUND_S, ready)

        async def accepts() -> bool:
            return (await _post(http, url, 3))[0] == 200

        await _within(BOUND_S, accepts)
        recovered_s = time.monotonic() - healed_at
        assert recovered_s < BOUND_S
        status, body = await _get(http, f"{url}/readyz")
        assert body["checks"]["store"]["ok"] is True
        assert body["checks"]["store"]["last_failure_at"] is not None
        assert rt.store is not None
        assert await rt.store.get_snapshot(1) is not None
        assert await rt.store.get_snapshot(3) is not None


async def test_refused_store_link_is_not_ready_at_once(
    pg_link: tuple[ToxiproxyClient, str],
) -> None:
    """A refused link (proxy disabled: the port closes) is reported as refused."""
    proxy, dsn = pg_link
    cfg = BridgeConfig(
        store_dsn=dsn, port=0, roles=("ingress",), health_interval_s=0.5, health_timeout_s=1.5
    )
    async with BridgeRuntime(cfg) as rt, aiohttp.ClientSession() as http:
        url = rt.url

        async def ready() -> bool:
            return (await _get(http, f"{url}/readyz"))[0] == 200

        await _within(BOUND_S, ready)
        async with proxy.down("postgres"):
            status, headers = await asyncio.wait_for(_post(http, url, 11), BOUND_S * 3)
            assert status == 503 and "Retry-After" in headers

            async def not_ready() -> bool:
                return (await _get(http, f"{url}/readyz"))[0] == 503

            await _within(BOUND_S, not_ready)
        await _within(BOUND_S, ready)
        assert (await _post(http, url, 12))[0] == 200
