"""A delivery's body is stored once: its snapshot points at the inbox row (both backends)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg

from bridge.store import Store, open_store
from bridge.store import sql as store_sql
from bridge.store.migrations import load_migrations, split_statements

from .conftest import PG_DSN, FakeClock
from .helpers import delivery, order


async def _rows(dsn: str, query: str, *args: Any) -> list[tuple[Any, ...]]:
    """Run ``query`` on the test database directly (``$n`` placeholders)."""
    parts = urlsplit(dsn)
    if parts.scheme == "sqlite":
        with sqlite3.connect(parts.path[1:]) as conn:
            return list(conn.execute(store_sql.for_sqlite(query), args))
    schema = parse_qs(parts.query)["schema"][0]
    conn = await asyncpg.connect(PG_DSN, server_settings={"search_path": schema})
    try:
        return [tuple(r) for r in await conn.fetch(query, *args)]
    finally:
        await conn.close()


async def _layout(dsn: str, order_id: int) -> tuple[bool, int | None]:
    """(snapshot holds its own payload, inbox row it points at)."""
    ((own, inbox_id),) = await _rows(
        dsn, "SELECT payload IS NOT NULL, inbox_id FROM snapshots WHERE order_id = $1", order_id
    )
    return bool(own), inbox_id


async def test_delivery_snapshot_points_at_its_inbox_row(store: Store, dsn: str) -> None:
    outs = await store.accept_many([delivery(1, n=1), delivery(2, n=2), delivery(1, n=1)])
    assert [o.snapshot_changed for o in outs] == [True, True, False]
    for order_id in (1, 2):
        snap = await store.get_snapshot(order_id)
        assert snap is not None and snap.payload == order(
            order_id, snap.date_modified_gmt, n=order_id
        )
        own, inbox_id = await _layout(dsn, order_id)
        assert not own
        ((stored_order,),) = await _rows(dsn, "SELECT order_id FROM inbox WHERE id = $1", inbox_id)
        assert stored_order == order_id


async def test_rest_snapshot_keeps_its_own_payload_until_a_newer_delivery(
    store: Store, dsn: str
) -> None:
    await store.accept_delivery(delivery(5, "2026-11-23T20:11:19", note="webhook"))
    rest = order(5, "2026-11-23T20:11:19", note="from REST")
    outcome = await store.replace_snapshot(5, rest, "2026-11-23T20:11:19")
    assert outcome.snapshot_changed
    snap = await store.get_snapshot(5)
    assert snap is not None and snap.payload == rest and snap.source == "rest"
    assert await _layout(dsn, 5) == (True, None)

    newer = await store.accept_delivery(delivery(5, "2026-11-23T20:12:00", note="later"))
    assert newer.snapshot_changed
    snap = await store.get_snapshot(5)
    assert snap is not None and snap.payload["note"] == "later" and snap.version == 3
    own, inbox_id = await _layout(dsn, 5)
    assert not own and inbox_id is not None


async def test_prune_gives_snapshots_their_own_copy_first(
    store: Store, dsn: str, clock: FakeClock
) -> None:
    await store.accept_many([delivery(i, received_at=clock(), n=i) for i in (1, 2)])
    clock.advance(3600)
    assert (await store.prune(clock() - 60))["inbox"] == 2
    assert (await store.counts())["inbox"] == 0
    for order_id in (1, 2):
        snap = await store.get_snapshot(order_id)
        assert snap is not None and snap.payload["n"] == order_id
        assert await _layout(dsn, order_id) == (True, None)
    # a late copy of a pruned delivery is stored again but changes nothing
    late = await store.accept_delivery(delivery(1, n=1))
    assert not late.snapshot_changed and not late.duplicate
    assert await _layout(dsn, 1) == (True, None)


async def test_upgrade_keeps_snapshots_written_before_the_reference(
    dsn: str, backend: str, clock: FakeClock
) -> None:
    """A database at migration 0001 (payload in every snapshot) upgrades in place."""
    first = load_migrations(backend)[0]
    payload = order(9, "2026-11-23T20:11:19", n=9)
    statements = [
        store_sql.SCHEMA_MIGRATIONS,
        *split_statements(first.sql),
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)",
        "INSERT INTO snapshots (order_id, payload, date_modified_gmt, modified_ts, "
        "payload_sha256, source, version, updated_at) "
        "VALUES (9, $1, '2026-11-23T20:11:19', 1795459879, 'abc', 'rest', 1, 0)",
    ]
    args: list[tuple[Any, ...]] = [(), *[()] * (len(statements) - 3), (first.version, first.name)]
    args.append((json.dumps(payload),))
    parts = urlsplit(dsn)
    if backend == "sqlite":
        with sqlite3.connect(parts.path[1:]) as conn:
            for text, a in zip(statements, args, strict=True):
                conn.execute(store_sql.for_sqlite(text), a)
    else:
        schema = parse_qs(parts.query)["schema"][0]
        conn = await asyncpg.connect(PG_DSN)
        try:
            await conn.execute(f'CREATE SCHEMA "{schema}"')
            await conn.execute(f'SET search_path TO "{schema}"')
            for text, a in zip(statements, args, strict=True):
                await conn.execute(text, *a)
        finally:
            await conn.close()

    store = await open_store(dsn, clock=clock)  # applies the rest
    try:
        snap = await store.get_snapshot(9)
        assert snap is not None and snap.payload == payload and snap.version == 1
        changed = await store.accept_delivery(delivery(9, "2026-11-23T20:30:00", n=10))
        assert changed.snapshot_changed
        snap = await store.get_snapshot(9)
        assert snap is not None and snap.payload["n"] == 10 and snap.version == 2
    finally:
        await store.close()


async def test_a_large_group_commit_equals_one_by_one(store: Store) -> None:
    """150 deliveries in one transaction (several multi-row statements per step on SQLite):
    same outcomes and final state as accepting them one at a time."""

    def batch(base: int) -> list[Any]:
        items = []
        for k in range(100):
            items.append(delivery(base + k, "2026-11-23T20:00:00", n=k))
            if k % 2 == 0:  # a newer version, then a copy of the first one (now stale)
                items.append(delivery(base + k, "2026-11-23T20:00:05", n=k + 1))
                items.append(delivery(base + k, "2026-11-23T20:00:00", n=k))
        return items[:150]

    def kinds(outs: list[Any]) -> list[tuple[bool, bool, bool, bool, bool]]:
        return [
            (o.duplicate, o.snapshot_changed, o.needs_fetch, o.stale, o.job_id is None)
            for o in outs
        ]

    grouped = await store.accept_many(batch(1000))
    single = [await store.accept_delivery(d) for d in batch(5000)]
    assert kinds(grouped) == kinds(single)
    assert (
        sum(o.duplicate for o in grouped) == 37 and sum(o.snapshot_changed for o in grouped) == 113
    )
    for k in range(75):
        a, b = await store.get_snapshot(1000 + k), await store.get_snapshot(5000 + k)
        assert a is not None and b is not None
        assert (a.payload["n"], a.version) == (b.payload["n"], b.version)
        job = await store.get_job(1000 + k)
        assert job is not None and job.desired_version == a.version
