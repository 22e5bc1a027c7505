"""Migrations, DSNs, and durability: what was acknowledged survives a kill -9."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import asyncpg
import pytest

from bridge.store import UnsupportedDsn, open_store
from bridge.store.migrations import load_migrations
from bridge.store.postgres import parse_postgres_dsn
from bridge.store.sqlite import parse_sqlite_dsn

from .conftest import PG_DSN, FakeClock
from .helpers import delivery

ROOT = Path(__file__).resolve().parents[3]


async def test_migrate_is_idempotent(dsn: str, backend: str) -> None:
    store = await open_store(dsn, migrate=False)
    try:
        assert await store.migrate() == [m.version for m in load_migrations(backend)]
        assert await store.migrate() == []
        assert (await store.accept_delivery(delivery(1))).snapshot_changed
    finally:
        await store.close()
    reopened = await open_store(dsn)  # migrates again on open: nothing to do
    try:
        assert await reopened.migrate() == []
        assert await reopened.get_snapshot(1) is not None
    finally:
        await reopened.close()


async def test_concurrent_migrations_apply_once(dsn: str, backend: str) -> None:
    stores = [await open_store(dsn, migrate=False) for _ in range(3)]
    try:
        results = await asyncio.gather(*(s.migrate() for s in stores))
        assert sorted(results) == [[], [], [m.version for m in load_migrations(backend)]]
        assert await stores[1].pending_work() == 0
    finally:
        for s in stores:
            await s.close()


CRASHER = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from bridge.store import open_store
    from tests.bridge.store.helpers import delivery

    async def main() -> None:
        store = await open_store(sys.argv[1])
        outs = await store.accept_many([delivery(i, status="processing") for i in range(1, 21)])
        assert all(o.snapshot_changed for o in outs)
        await store.accept_delivery(delivery(21))
        print("acked", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # no close, no flush, no atexit

    asyncio.run(main())
    """
)


async def test_acknowledged_deliveries_survive_kill_9(dsn: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CRASHER, dsn, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert out.decode().strip() == "acked", err.decode()[-2000:]
    assert proc.returncode == -9
    store = await open_store(dsn)
    try:
        counts = await store.counts()
        assert counts["inbox"] == 21 and counts["snapshots"] == 21
        assert counts["jobs"]["pending"] == 21
        snap = await store.get_snapshot(20)
        assert snap is not None and snap.payload["status"] == "processing"
    finally:
        await store.close()


def test_sqlite_dsns() -> None:
    assert parse_sqlite_dsn("sqlite:///bridge.db").path == "bridge.db"
    assert parse_sqlite_dsn("sqlite:////var/lib/bridge.db").path == "/var/lib/bridge.db"
    assert parse_sqlite_dsn("sqlite://:memory:").path == ":memory:"
    full = parse_sqlite_dsn("sqlite:///b.db?synchronous=full&busy_timeout_ms=100")
    assert (full.synchronous, full.busy_timeout_ms) == ("FULL", 100)
    for bad in (
        "sqlite://host/b.db",
        "sqlite:///",
        "sqlite:///b.db?synchronous=maybe",
        "sqlite:///b.db?x=1",
    ):
        with pytest.raises(UnsupportedDsn):
            parse_sqlite_dsn(bad)


def test_postgres_dsns() -> None:
    opts = parse_postgres_dsn("postgresql://u@h:5432/db?schema=bridge_a&pool_max=3&sslmode=disable")
    assert opts.schema == "bridge_a" and opts.pool_max == 3
    assert opts.dsn == "postgresql://u@h:5432/db?sslmode=disable"
    assert parse_postgres_dsn("postgres://u@h/db").schema is None
    with pytest.raises(UnsupportedDsn):
        parse_postgres_dsn("postgresql://u@h/db?schema=x;drop")


async def test_unknown_dsn_is_a_clear_error() -> None:
    with pytest.raises(UnsupportedDsn, match="unsupported store DSN"):
        await open_store("mysql://root@localhost/bridge")


async def test_in_memory_sqlite_works(clock: FakeClock) -> None:
    store = await open_store("sqlite://:memory:", clock=clock)
    try:
        assert (await store.accept_delivery(delivery(1))).job_id is not None
        assert await store.pending_work() == 1
        (lease,) = await store.claim_jobs("w", 5, 30)
        await store.complete_job(lease)
        assert await store.next_run_at() is None
    finally:
        await store.close()


async def test_postgres_search_path_via_libpq_options() -> None:
    """``?options=-csearch_path%3Dname`` (libpq style) works as well as ``schema=``."""
    schema = f"h7_opts_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        store = await open_store(f"{PG_DSN}?options=-csearch_path%3D{schema}")
        try:
            assert (await store.accept_delivery(delivery(1))).snapshot_changed
        finally:
            await store.close()
        assert await conn.fetchval(f'SELECT COUNT(*) FROM "{schema}".snapshots') == 1
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()
