"""SQLite writes run on the event loop's thread when the write lock is free (WAL,
``synchronous=NORMAL``: a commit is an append without fsync). When another connection
holds the lock, the batch goes to the writer thread and waits there, the loop keeps
running; the writer thread also checkpoints the WAL, which the loop never does."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

from bridge.store import open_store
from bridge.store.sqlite import SqliteStore, parse_sqlite_dsn, writes_inline
from tests.bridge.store.helpers import delivery


def _size(path: Path) -> int:
    return path.stat().st_size


def test_which_settings_write_inline() -> None:
    assert writes_inline(parse_sqlite_dsn("sqlite:///b.db"))
    assert writes_inline(parse_sqlite_dsn("sqlite:///b.db?synchronous=OFF"))
    assert not writes_inline(parse_sqlite_dsn("sqlite:///b.db?synchronous=FULL"))
    assert not writes_inline(parse_sqlite_dsn("sqlite://:memory:"))


async def test_a_busy_lock_waits_on_the_writer_thread_not_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    store = await open_store(f"sqlite:///{path}?busy_timeout_ms=5000")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        await store.accept_delivery(delivery(1))
        loop_thread = threading.get_ident()
        other.execute("BEGIN IMMEDIATE")  # another process's writer holds the lock
        write = asyncio.create_task(store.accept_delivery(delivery(2)))
        ticks = 0
        started = time.monotonic()
        while time.monotonic() - started < 0.5:  # the loop is not blocked meanwhile
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks >= 20 and not write.done()
        other.execute("COMMIT")
        outcome = await asyncio.wait_for(write, 5)
        assert outcome.snapshot_changed
        assert await store.get_snapshot(2) is not None
        assert threading.get_ident() == loop_thread
    finally:
        other.close()
        await store.close()


async def test_a_lock_held_past_the_busy_timeout_fails_the_write(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    store = await open_store(f"sqlite:///{path}?busy_timeout_ms=200")
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        try:
            await store.accept_delivery(delivery(3))
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
        else:
            raise AssertionError("the write should have failed: the lock was never released")
        other.execute("ROLLBACK")
        await store.accept_delivery(delivery(3))  # and the next one goes inline again
        assert await store.get_snapshot(3) is not None
    finally:
        other.close()
        await store.close()


async def test_the_wal_is_checkpointed_by_the_writer_thread(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    store = await open_store(f"sqlite:///{path}")
    assert isinstance(store, SqliteStore)
    store.CHECKPOINT_EVERY = 20
    wal = Path(f"{path}-wal")
    try:
        for i in range(1, 400):
            await store.accept_delivery(delivery(i))
        # without checkpoints (autocheckpoint is off on this connection) the WAL would
        # hold every commit; checkpointed, its frames are reused from the start
        reader = sqlite3.connect(path)
        try:
            assert reader.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 399
        finally:
            reader.close()
        size_after = _size(wal)
        for i in range(400, 800):
            await store.accept_delivery(delivery(i))
        assert _size(wal) <= size_after * 1.5 + 65536
    finally:
        await store.close()
