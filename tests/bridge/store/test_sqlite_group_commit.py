"""SQLite writes that arrive together share one transaction, each in its own savepoint:
a failing program is rolled back alone, the others commit, results come after COMMIT."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from bridge.store import program as p
from bridge.store.sqlite import SqliteStore, _run_batch


def _insert(value: int) -> p.Program:
    yield p.Query("INSERT INTO t (v) VALUES (?)", (value,))
    return value


def _insert_then_fail(value: int) -> p.Program:
    yield p.Query("INSERT INTO t (v) VALUES (?)", (value,))
    yield p.Query("INSERT INTO t (v) VALUES (?)", (value,))  # UNIQUE: fails
    return value


def _count() -> p.Program:
    n = yield p.Query("SELECT count(*) FROM t", (), "value")
    return n


def test_batch_rolls_back_only_the_failing_program(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "b.db", isolation_level=None)
    conn.execute("CREATE TABLE t (v INTEGER PRIMARY KEY)")
    out = _run_batch(conn, [_insert(1), _insert_then_fail(2), _insert(3)])
    assert [ok for ok, _ in out] == [True, False, True]
    assert isinstance(out[1][1], sqlite3.IntegrityError)
    assert [r[0] for r in conn.execute("SELECT v FROM t ORDER BY v")] == [1, 3]
    assert not conn.in_transaction


async def test_concurrent_writes_share_a_transaction_and_fail_alone(tmp_path: Path) -> None:
    store = await SqliteStore.open(f"sqlite:///{tmp_path / 's.db'}")
    try:
        await store._write(_create())
        commits: list[int] = []
        real = store._writer[1]

        def traced(
            conn: sqlite3.Connection, batch: list[p.Program], **kw: Any
        ) -> list[tuple[bool, Any]] | None:
            commits.append(len(batch))
            return _run_batch(conn, batch, **kw)

        import bridge.store.sqlite as mod

        saved = mod._run_batch
        mod._run_batch = traced  # type: ignore[assignment]
        try:
            results = await asyncio.gather(
                *(store._write(_insert_then_fail(i) if i == 5 else _insert(i)) for i in range(20)),
                return_exceptions=True,
            )
        finally:
            mod._run_batch = saved  # type: ignore[assignment]
        assert isinstance(results[5], sqlite3.IntegrityError)
        assert [r for i, r in enumerate(results) if i != 5] == [i for i in range(20) if i != 5]
        assert sum(commits) == 20 and len(commits) < 20  # batched: fewer transactions
        assert await store._read(_count()) == 19
        assert real is store._writer[1]
    finally:
        await store.close()


def _create() -> p.Program:
    yield p.Query("CREATE TABLE t (v INTEGER PRIMARY KEY)")
    return None
