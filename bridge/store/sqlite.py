"""SQLite store: the embedded default (one file, WAL, one writer thread).

Like aiosqlite, it keeps one ``sqlite3`` connection on one dedicated thread and hands it
work from the event loop; unlike a statement-per-hop wrapper it sends a whole transaction
program in one hop, so a group commit of 64 webhooks costs one thread switch and one fsync.
``BEGIN IMMEDIATE`` takes the write lock up front (no deadlock-prone lock upgrades), and
``busy_timeout`` lets several processes share one file.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

from bridge.store import program as p
from bridge.store import sql
from bridge.store.engine import ProgramStore
from bridge.store.errors import UnsupportedDsn
from bridge.store.migrations import load_migrations, split_statements

__all__ = ["SqliteOptions", "SqliteStore", "parse_sqlite_dsn"]

T = TypeVar("T")

_SYNC_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")


@dataclass(frozen=True)
class SqliteOptions:
    """``path``: database file (``:memory:`` for a private in-memory db).
    ``synchronous``: ``NORMAL`` (default; with WAL survives process crashes, kill -9; a power
    loss may lose the last commits) or ``FULL`` (fsync on every commit; survives power loss).
    ``busy_timeout_ms``: how long a writer waits for another process's write lock."""

    path: str
    synchronous: str = "NORMAL"
    busy_timeout_ms: int = 5000


def parse_sqlite_dsn(dsn: str) -> SqliteOptions:
    """``sqlite:///rel/path.db``, ``sqlite:////abs/path.db``, ``sqlite://:memory:``;
    query options ``synchronous=NORMAL|FULL`` and ``busy_timeout_ms=N``."""
    parts = urlsplit(dsn)
    if parts.scheme != "sqlite":
        raise UnsupportedDsn(f"not a sqlite DSN: {dsn!r}")
    if parts.netloc == ":memory:" or parts.path in ("/:memory:", ":memory:"):
        path = ":memory:"
    else:
        if parts.netloc:
            raise UnsupportedDsn(f"sqlite DSN needs three slashes: sqlite:///path.db, got {dsn!r}")
        path = unquote(parts.path[1:]) if parts.path.startswith("/") else unquote(parts.path)
        if not path:
            raise UnsupportedDsn(f"sqlite DSN without a file path: {dsn!r}")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    synchronous = query.pop("synchronous", "NORMAL").upper()
    if synchronous not in _SYNC_LEVELS:
        raise UnsupportedDsn(f"synchronous must be one of {_SYNC_LEVELS}, got {synchronous!r}")
    try:
        busy = int(query.pop("busy_timeout_ms", "5000"))
    except ValueError as exc:
        raise UnsupportedDsn("busy_timeout_ms must be an integer") from exc
    if query:
        raise UnsupportedDsn(f"unknown sqlite DSN options: {sorted(query)}")
    return SqliteOptions(path=path, synchronous=synchronous, busy_timeout_ms=busy)


@functools.lru_cache(maxsize=512)
@functools.lru_cache(maxsize=1024)
def _sqlite_text(text: str) -> str:
    """PostgreSQL-flavoured shared SQL → SQLite (placeholders, no row-lock clauses); the
    statements are a bounded set of texts, so each is translated once."""
    return sql.for_sqlite(text).replace(" FOR UPDATE SKIP LOCKED", "").replace(" FOR UPDATE", "")


def _execute(conn: sqlite3.Connection, q: p.Query) -> Any:
    cur = conn.execute(_sqlite_text(q.sql), q.args)
    if q.mode == "exec":
        cur.fetchall()  # finish RETURNING statements before reading rowcount
        return cur.rowcount
    rows = cur.fetchall()
    if q.mode == "all":
        return rows
    if q.mode == "one":
        return rows[0] if rows else None
    return rows[0][0] if rows else None


def _drive(conn: sqlite3.Connection, prog: p.Program) -> Any:
    """Run a program's statements (inside the caller's transaction); its return value."""
    try:
        q = next(prog)
        while True:
            result = (0 if q.mode == "exec" else None) if q.pg_only else _execute(conn, q)
            q = prog.send(result)
    except StopIteration as stop:
        return stop.value


def _run_program(conn: sqlite3.Connection, prog: p.Program, begin: str) -> Any:
    """Drive one transaction program to completion on this (the database) thread."""
    conn.execute(begin)
    try:
        value = _drive(conn, prog)
        conn.execute("COMMIT")
        return value
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _run_batch(
    conn: sqlite3.Connection, batch: list[p.Program], *, wait: bool = True
) -> list[tuple[bool, Any]] | None:
    """Group commit of write programs: one ``BEGIN IMMEDIATE … COMMIT`` for all of them,
    each in its own savepoint, so a program that fails is rolled back alone and the others
    commit. Returns ``(ok, value or exception)`` per program, in order; only after the
    ``COMMIT`` (a failed commit raises for the whole batch).

    ``wait=False``: None, with nothing run, when another connection holds the write lock
    (the caller then waits for it elsewhere); the connection's ``busy_timeout`` must be 0."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if not wait and _is_busy(exc):
            return None
        raise
    if len(batch) == 1:
        try:
            value = _drive(conn, batch[0])
            conn.execute("COMMIT")
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return [(False, exc)]
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return [(True, value)]
    out: list[tuple[bool, Any]] = []
    try:
        for prog in batch:
            conn.execute("SAVEPOINT program")
            try:
                value = _drive(conn, prog)
            except Exception as exc:
                conn.execute("ROLLBACK TO program")
                conn.execute("RELEASE program")
                out.append((False, exc))
            else:
                conn.execute("RELEASE program")
                out.append((True, value))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return out


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


def _waiting(
    conn: sqlite3.Connection, opts: SqliteOptions, fn: Callable[..., T], *args: Any
) -> T:
    """On the writer thread: ``fn(conn, *args)`` waiting up to the configured busy timeout
    for another connection's write lock (the loop thread's own attempts never wait)."""
    if not writes_inline(opts):
        return fn(conn, *args)
    conn.execute(f"PRAGMA busy_timeout = {int(opts.busy_timeout_ms)}")
    try:
        return fn(conn, *args)
    finally:
        conn.execute("PRAGMA busy_timeout = 0")


def _checkpoint(conn: sqlite3.Connection) -> None:
    """Copy the WAL into the database file as far as readers allow (never waits for them)."""
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _connect(opts: SqliteOptions, *, reader: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(
        opts.path, isolation_level=None, check_same_thread=False, cached_statements=256
    )
    conn.execute(f"PRAGMA busy_timeout = {int(opts.busy_timeout_ms)}")
    if reader:
        conn.execute("PRAGMA query_only = ON")
        return conn
    if opts.path != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {opts.synchronous}")
    if writes_inline(opts):
        # the event loop's own commits never wait for a lock or run a checkpoint:
        # a busy lock sends the batch to the writer thread, which also checkpoints
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
    return conn


def writes_inline(opts: SqliteOptions) -> bool:
    """Whether write batches run on the event loop's thread: with WAL and ``synchronous``
    OFF or NORMAL a commit appends to the WAL without an fsync (tens of µs), less than
    handing it to a thread and back costs (≈ 130 µs); ``FULL``/``EXTRA`` fsync every
    commit, so those stay on the writer thread. A ``:memory:`` database has one connection
    for reads and writes, used from its one thread only."""
    return opts.path != ":memory:" and opts.synchronous in ("OFF", "NORMAL")


def _migrate(conn: sqlite3.Connection, now: float) -> list[str]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(sql.SCHEMA_MIGRATIONS)
        applied = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
        done: list[str] = []
        for m in load_migrations("sqlite"):
            if m.version in applied:
                continue
            for statement in split_statements(m.sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (m.version, m.name, now),
            )
            done.append(m.version)
        conn.execute("COMMIT")
        return done
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class SqliteStore(ProgramStore):
    """The store on one SQLite file. Open with ``await SqliteStore.open(dsn)``.

    One writer connection on its own thread serialises every write; reads go to a second
    connection on a second thread (WAL readers never block the writer), except for
    ``:memory:`` databases, which exist only in their one connection.

    Writes that arrive while the writer thread is busy wait and then go together, as one
    transaction with a savepoint each (``_run_batch``): one thread hand-off and one commit
    for many workers' steps, no added wait when the writer is idle, and a caller learns
    its result only after the commit.
    """

    #: at most this many write programs share one transaction
    BATCH_MAX = 64
    #: inline writes: the writer thread checkpoints the WAL after this many commits
    CHECKPOINT_EVERY = 200

    def __init__(
        self,
        opts: SqliteOptions,
        writer: tuple[ThreadPoolExecutor, sqlite3.Connection],
        reader: tuple[ThreadPoolExecutor, sqlite3.Connection] | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(clock)
        self.options = opts
        self._writer = writer
        self._reader = reader
        self._closed = False
        self._queue: list[tuple[p.Program, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._inline = writes_inline(opts)
        self._since_checkpoint = 0

    @classmethod
    async def open(cls, dsn: str, *, clock: Callable[[], float] = time.time) -> SqliteStore:
        opts = parse_sqlite_dsn(dsn)
        writer = await _start(opts, reader=False)
        reader = None
        if opts.path != ":memory:":
            try:
                reader = await _start(opts, reader=True)
            except BaseException:
                await _stop(writer)
                raise
        return cls(opts, writer, reader, clock)

    async def _call(
        self,
        side: tuple[ThreadPoolExecutor, sqlite3.Connection],
        fn: Callable[..., Any],
        *args: Any,
    ) -> Any:
        if self._closed:
            raise RuntimeError("store is closed")
        return await asyncio.get_running_loop().run_in_executor(side[0], fn, *args)

    async def _write(self, prog: p.Program) -> Any:
        if self._closed:
            raise RuntimeError("store is closed")
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((prog, fut))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush(), name="sqlite-group-commit")
        return await fut

    async def _flush(self) -> None:
        """Send queued write programs to the writer thread, a batch at a time."""
        try:
            while self._queue:
                batch = [(pr, f) for pr, f in self._queue[: self.BATCH_MAX] if not f.done()]
                del self._queue[: self.BATCH_MAX]
                if not batch:
                    continue
                progs = [pr for pr, _ in batch]
                try:
                    results = await self._commit(progs)
                except asyncio.CancelledError:
                    for _, f in batch:
                        f.cancel()
                    raise
                except Exception as exc:
                    for _, f in batch:
                        if not f.done():
                            f.set_exception(exc)
                    continue
                for (_, f), (ok, value) in zip(batch, results, strict=True):
                    if f.done():
                        continue  # the caller gave up (cancelled); the write stands
                    if ok:
                        f.set_result(value)
                    else:
                        f.set_exception(value)
        except asyncio.CancelledError:
            for _, f in self._queue:  # never sent: their callers learn it
                f.cancel()
            self._queue.clear()
            raise
        finally:
            self._flusher = None

    async def _commit(self, progs: list[p.Program]) -> list[tuple[bool, Any]]:
        """One batch: on this thread when the lock is free (see ``writes_inline``), else on
        the writer thread, which waits for the lock; the WAL is checkpointed there too."""
        conn = self._writer[1]
        results = _run_batch(conn, progs, wait=False) if self._inline else None
        if results is None:
            results = await self._call(
                self._writer, _waiting, conn, self.options, _run_batch, progs
            )
        assert results is not None
        if self._inline:
            self._since_checkpoint += 1
            if self._since_checkpoint >= self.CHECKPOINT_EVERY:
                self._since_checkpoint = 0
                await self._call(self._writer, _checkpoint, conn)
        return results

    async def _read(self, prog: p.Program) -> Any:
        side = self._reader or self._writer
        return await self._call(side, _run_program, side[1], prog, "BEGIN")

    async def migrate(self) -> list[str]:
        result: list[str] = await self._call(
            self._writer, _waiting, self._writer[1], self.options, _migrate, self.clock()
        )
        return result

    async def close(self) -> None:
        if self._closed:
            return
        if self._flusher is not None:  # queued writes finish before the connection closes
            with contextlib.suppress(Exception):
                await asyncio.shield(self._flusher)
        self._closed = True
        if self._reader is not None:
            await _stop(self._reader)
        await _stop(self._writer)


async def _start(
    opts: SqliteOptions, *, reader: bool
) -> tuple[ThreadPoolExecutor, sqlite3.Connection]:
    name = "bridge-store-sqlite-" + ("r" if reader else "w")
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
    try:
        conn = await asyncio.get_running_loop().run_in_executor(
            executor, functools.partial(_connect, opts, reader=reader)
        )
    except BaseException:
        executor.shutdown(wait=False)
        raise
    return executor, conn


async def _stop(side: tuple[ThreadPoolExecutor, sqlite3.Connection]) -> None:
    executor, conn = side
    await asyncio.get_running_loop().run_in_executor(executor, conn.close)
    executor.shutdown(wait=True)
