"""Store timeouts: documented defaults, DSN options, and a dead database link turned into
``StoreUnavailable`` within the configured bounds (refused, black-holed, healed)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from bridge.store import open_store
from bridge.store.errors import StoreUnavailable, UnsupportedDsn
from bridge.store.postgres import PostgresOptions, PostgresStore, parse_postgres_dsn
from sapchaos.net import free_port
from scenarios.proxy.client import ToxiproxyClient
from scenarios.proxy.server import EmbeddedToxiproxy
from tests.bridge.payloads import order_payload

PG = os.environ.get("SAPCHAOS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def test_documented_defaults() -> None:
    opts = parse_postgres_dsn("postgresql://u@h/db")
    assert (opts.connect_timeout_s, opts.acquire_timeout_s) == (3.0, 3.0)
    assert (opts.command_timeout_s, opts.transaction_timeout_s) == (5.0, 10.0)
    assert PostgresOptions("x").command_timeout_s == 5.0


def test_timeouts_from_the_dsn_are_not_passed_to_asyncpg() -> None:
    opts = parse_postgres_dsn(
        "postgresql://u@h/db?connect_timeout=1.5&acquire_timeout=2&command_timeout=4"
        "&transaction_timeout=9&sslmode=disable"
    )
    assert opts.connect_timeout_s == 1.5 and opts.acquire_timeout_s == 2.0
    assert opts.command_timeout_s == 4.0 and opts.transaction_timeout_s == 9.0
    assert opts.dsn == "postgresql://u@h/db?sslmode=disable"


@pytest.mark.parametrize("bad", ["command_timeout=abc", "connect_timeout=0", "acquire_timeout=-1"])
def test_bad_timeouts_are_named(bad: str) -> None:
    with pytest.raises(UnsupportedDsn, match=bad.split("=")[0]):
        parse_postgres_dsn(f"postgresql://u@h/db?{bad}")


async def test_refused_database_fails_fast_at_open() -> None:
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="cannot connect"):
        await PostgresStore.open(f"postgresql://postgres@127.0.0.1:{free_port()}/test")
    assert time.monotonic() - started < 10


@pytest.fixture
async def linked() -> AsyncIterator[tuple[ToxiproxyClient, str]]:
    upstream = PG.split("@", 1)[1].split("/", 1)[0]
    schema = f"h7_timeouts_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    async with EmbeddedToxiproxy(port=0) as server, ToxiproxyClient(server.url) as proxy:
        link = await proxy.create("pg", upstream)
        port = int(link["listen"].rsplit(":", 1)[1])
        yield (
            proxy,
            f"postgresql://postgres@127.0.0.1:{port}/test?schema={schema}&pool_max=2"
            "&connect_timeout=1&acquire_timeout=1&command_timeout=1&transaction_timeout=2",
        )
        await proxy.reset()
    conn = await asyncpg.connect(PG)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


async def test_black_holed_link_raises_within_the_transaction_timeout(
    linked: tuple[ToxiproxyClient, str],
) -> None:
    proxy, dsn = linked
    store = await open_store(dsn)
    try:
        await store.ping()  # type: ignore[attr-defined]
        await proxy.add_toxic("pg", "timeout", stream="downstream", timeout=0)
        for call in (
            lambda: store.counts(),
            lambda: store.replace_snapshot(1, order_payload(1), "2026-11-23T20:11:19"),
            lambda: store.ping(),  # type: ignore[attr-defined]
        ):
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                await asyncio.wait_for(call(), 30)
            assert time.monotonic() - started < 6, "bounded by the store's own timeouts"
        await proxy.remove_toxic("pg", "timeout_downstream")
        deadline = time.monotonic() + 10
        while True:  # the pool reconnects by itself once the link heals
            try:
                await store.ping()  # type: ignore[attr-defined]
                break
            except StoreUnavailable:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.2)
        outcome = await store.replace_snapshot(2, order_payload(2), "2026-11-23T20:11:19")
        assert outcome.snapshot_changed
    finally:
        await store.close()
