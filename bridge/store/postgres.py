"""PostgreSQL store: several bridge processes on one database (asyncpg pool).

Workers claim with ``SELECT … FOR UPDATE SKIP LOCKED`` (no two claim the same job, none
waits for another), writers of one order serialise on a transaction-scoped advisory lock,
payloads are JSONB and times are epoch seconds in ``double precision``.

Every wait on the database is bounded (``PostgresOptions``): connecting, taking a pooled
connection, each statement (client side, and ``statement_timeout`` on the server) and each
whole transaction. A partitioned or black-holed database link therefore turns into a
``StoreUnavailable`` error within seconds, never into a request that hangs for as long as
the caller is willing to wait; a connection that timed out is discarded (its state is
unknown), so the pool reconnects once the link heals.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from bridge.store import program as p
from bridge.store import sql
from bridge.store.engine import ProgramStore
from bridge.store.errors import StoreUnavailable, UnsupportedDsn
from bridge.store.migrations import load_migrations
from bridge.store.pg_signal import PgJobSignal, channel_for

__all__ = ["PostgresOptions", "PostgresStore", "parse_postgres_dsn"]

MIGRATION_LOCK_CLASS = 7402
#: a migration (and waiting for another process's migration) is not a hot-path statement:
#: it may take minutes on a large table, so the statement timeouts do not apply to it
MIGRATION_TIMEOUT_S = 3600.0

#: DSN query options that bound waits (seconds) → ``PostgresOptions`` field
_TIMEOUT_OPTIONS = {
    "connect_timeout": "connect_timeout_s",
    "acquire_timeout": "acquire_timeout_s",
    "command_timeout": "command_timeout_s",
    "transaction_timeout": "transaction_timeout_s",
}


@dataclass(frozen=True)
class PostgresOptions:
    """``dsn``: what asyncpg connects to (store options removed). ``schema``: where the
    tables live (set as ``search_path``, created by ``migrate``); None = the server's
    ``search_path`` (normally ``public``). ``pool_min``/``pool_max``: pool size.

    Timeouts (seconds; DSN options of the same name without ``_s``):
    ``connect_timeout_s`` (3) opening a connection (TCP + startup + auth);
    ``acquire_timeout_s`` (3) waiting for a free pooled connection;
    ``command_timeout_s`` (5) one statement, enforced by the client and sent to the server
    as ``statement_timeout`` so it stops working too;
    ``transaction_timeout_s`` (10) one whole transaction program, acquire included."""

    dsn: str
    schema: str | None = None
    pool_min: int = 1
    pool_max: int = 10
    connect_timeout_s: float = 3.0
    acquire_timeout_s: float = 3.0
    command_timeout_s: float = 5.0
    transaction_timeout_s: float = 10.0


def parse_postgres_dsn(dsn: str) -> PostgresOptions:
    """``postgresql://user@host:port/db?schema=name&pool_max=10&command_timeout=5`` →
    options; other query parameters are passed to asyncpg unchanged."""
    parts = urlsplit(dsn)
    if parts.scheme not in ("postgresql", "postgres"):
        raise UnsupportedDsn(f"not a postgresql DSN: {dsn!r}")
    rest: list[tuple[str, str]] = []
    schema: str | None = None
    pool_min, pool_max = 1, 10
    timeouts: dict[str, float] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in _TIMEOUT_OPTIONS:
            try:
                seconds = float(value)
            except ValueError as exc:
                raise UnsupportedDsn(f"{key} must be a number of seconds, got {value!r}") from exc
            if not 0 < seconds < 86_400:
                raise UnsupportedDsn(f"{key} must be between 0 and 86400 seconds, got {value}")
            timeouts[_TIMEOUT_OPTIONS[key]] = seconds
        elif key == "schema":
            schema = value
        elif key in ("pool_min", "pool_max"):
            try:
                n = int(value)
            except ValueError as exc:
                raise UnsupportedDsn(f"{key} must be an integer") from exc
            if key == "pool_min":
                pool_min = n
            else:
                pool_max = n
        else:
            rest.append((key, value))
    if schema is not None and (
        not schema or not schema.replace("_", "").isalnum() or schema[0].isdigit()
    ):
        raise UnsupportedDsn(f"schema must be a plain identifier, got {schema!r}")
    clean = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(rest), parts.fragment))
    return PostgresOptions(
        dsn=clean, schema=schema, pool_min=pool_min, pool_max=max(pool_min, pool_max), **timeouts
    )


def _count(status: str) -> int:
    """asyncpg command status (``UPDATE 3``, ``INSERT 0 1``) → affected rows."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


#: what a partition, a refused link or a restarting server look like to asyncpg
_LINK_ERRORS: tuple[type[BaseException], ...] = (
    TimeoutError,
    OSError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.QueryCanceledError,  # statement_timeout on the server
    asyncpg.exceptions.AdminShutdownError,
)


def _why(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


async def _run_program(conn: asyncpg.Connection, prog: p.Program) -> Any:
    try:
        q = next(prog)
        while True:
            result: Any
            if q.mode == "one":
                result = await conn.fetchrow(q.sql, *q.args)
            elif q.mode == "all":
                result = await conn.fetch(q.sql, *q.args)
            elif q.mode == "value":
                result = await conn.fetchval(q.sql, *q.args)
            else:
                result = _count(await conn.execute(q.sql, *q.args))
            q = prog.send(result)
    except StopIteration as stop:
        return stop.value


class PostgresStore(ProgramStore):
    """The store on PostgreSQL. Open with ``await PostgresStore.open(dsn)``."""

    bulk_statements = True

    def __init__(
        self,
        opts: PostgresOptions,
        pool: asyncpg.Pool,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(clock)
        self.options = opts
        self._pool = pool
        self._closed = False

    @classmethod
    async def open(cls, dsn: str, *, clock: Callable[[], float] = time.time) -> PostgresStore:
        opts = parse_postgres_dsn(dsn)
        settings = {"statement_timeout": str(int(opts.command_timeout_s * 1000))}
        if opts.schema:
            settings["search_path"] = opts.schema
        try:
            pool = await asyncio.wait_for(
                asyncpg.create_pool(
                    opts.dsn,
                    min_size=opts.pool_min,
                    max_size=opts.pool_max,
                    timeout=opts.connect_timeout_s,
                    command_timeout=opts.command_timeout_s,
                    server_settings=settings,
                ),
                opts.connect_timeout_s * 2,
            )
        except (OSError, TimeoutError, asyncpg.exceptions.CannotConnectNowError) as exc:
            raise StoreUnavailable(f"cannot connect to PostgreSQL: {_why(exc)}") from exc
        store = cls(opts, pool, clock)
        # commits that make jobs runnable wake the other processes' workers (LISTEN/NOTIFY)
        signal = PgJobSignal(pool, channel_for(opts.schema), opts.command_timeout_s)
        await signal.listen(
            lambda: asyncio.wait_for(
                asyncpg.connect(opts.dsn, timeout=opts.connect_timeout_s, server_settings=settings),
                opts.connect_timeout_s * 2,
            )
        )
        store.job_signal = signal
        return store

    async def _in_transaction(self, prog: p.Program, *, readonly: bool) -> Any:
        """Run one program in one transaction, every wait bounded. On a timeout, a broken
        link or a cancellation the connection is terminated (never rolled back or reset
        over a link that may be dead) and a link failure raises ``StoreUnavailable``; SQL
        errors roll back and propagate unchanged."""
        opts = self.options
        conn: asyncpg.Connection | None = None
        try:
            async with asyncio.timeout(opts.transaction_timeout_s):
                conn = await self._pool.acquire(timeout=opts.acquire_timeout_s)
                tx = (
                    conn.transaction(isolation="repeatable_read", readonly=True)
                    if readonly
                    else conn.transaction()
                )
                await tx.start()
                try:
                    result = await _run_program(conn, prog)
                except _LINK_ERRORS:
                    raise
                except Exception:
                    await tx.rollback()  # an SQL error on a working link
                    raise
                await tx.commit()
                return result
        except _LINK_ERRORS as exc:
            if conn is not None:
                conn.terminate()
            raise StoreUnavailable(f"PostgreSQL unavailable: {_why(exc)}") from exc
        except BaseException:
            if conn is not None and conn.is_in_transaction():
                conn.terminate()  # cancelled mid-transaction: its state is unknown
            raise
        finally:
            if conn is not None:
                await self._release(conn)

    async def _release(self, conn: asyncpg.Connection) -> None:
        try:
            await self._pool.release(conn, timeout=self.options.acquire_timeout_s)
        except Exception:  # the reset failed: the link is gone, drop the connection
            conn.terminate()

    async def _write(self, prog: p.Program) -> Any:
        return await self._in_transaction(prog, readonly=False)

    async def _read(self, prog: p.Program) -> Any:
        return await self._in_transaction(prog, readonly=True)

    async def ping(self) -> None:
        """One round trip (``SELECT 1``) on a pooled connection, bounded like any
        statement; raises ``StoreUnavailable`` if the database does not answer."""
        opts = self.options
        conn: asyncpg.Connection | None = None
        try:
            async with asyncio.timeout(opts.acquire_timeout_s + opts.command_timeout_s):
                conn = await self._pool.acquire(timeout=opts.acquire_timeout_s)
                await conn.fetchval("SELECT 1", timeout=opts.command_timeout_s)
        except _LINK_ERRORS as exc:
            if conn is not None:
                conn.terminate()
            raise StoreUnavailable(f"PostgreSQL unavailable: {_why(exc)}") from exc
        finally:
            if conn is not None:
                await self._release(conn)

    async def migrate(self) -> list[str]:
        """Apply pending migrations under a session advisory lock (per schema), so two
        processes starting at once apply each migration exactly once. The statement
        timeouts are lifted for this session (``MIGRATION_TIMEOUT_S`` instead)."""
        schema = self.options.schema
        key = zlib.crc32((schema or "").encode()) - 2**31
        t = MIGRATION_TIMEOUT_S
        async with self._pool.acquire(timeout=self.options.acquire_timeout_s) as conn:
            await conn.execute("SET statement_timeout = 0")  # RESET ALL on release
            await conn.execute(
                "SELECT pg_advisory_lock($1, $2)", MIGRATION_LOCK_CLASS, key, timeout=t
            )
            try:
                if schema is not None:
                    await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                await conn.execute(sql.SCHEMA_MIGRATIONS)
                applied = {r[0] for r in await conn.fetch("SELECT version FROM schema_migrations")}
                done: list[str] = []
                for m in load_migrations("postgres"):
                    if m.version in applied:
                        continue
                    async with conn.transaction():
                        await conn.execute(m.sql, timeout=t)
                        await conn.execute(
                            "INSERT INTO schema_migrations (version, name, applied_at) "
                            "VALUES ($1, $2, $3)",
                            m.version,
                            m.name,
                            self.clock(),
                        )
                    done.append(m.version)
                return done
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1, $2)", MIGRATION_LOCK_CLASS, key)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if isinstance(self.job_signal, PgJobSignal):
            await self.job_signal.close()
        try:  # a graceful close talks to the server: over a dead link, drop the sockets
            await asyncio.wait_for(self._pool.close(), self.options.command_timeout_s)
        except _LINK_ERRORS:  # TimeoutError is one of them
            self._pool.terminate()
