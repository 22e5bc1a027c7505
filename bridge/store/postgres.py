"""PostgreSQL store: several bridge processes on one database (asyncpg pool).

Workers claim with ``SELECT … FOR UPDATE SKIP LOCKED`` (no two claim the same job, none
waits for another), writers of one order serialise on a transaction-scoped advisory lock,
payloads are JSONB and times are epoch seconds in ``double precision``.
"""

from __future__ import annotations

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
from bridge.store.errors import UnsupportedDsn
from bridge.store.migrations import load_migrations

__all__ = ["PostgresOptions", "PostgresStore", "parse_postgres_dsn"]

MIGRATION_LOCK_CLASS = 7402


@dataclass(frozen=True)
class PostgresOptions:
    """``dsn``: what asyncpg connects to (store options removed). ``schema``: where the
    tables live (set as ``search_path``, created by ``migrate``); None = the server's
    ``search_path`` (normally ``public``). ``pool_min``/``pool_max``: pool size."""

    dsn: str
    schema: str | None = None
    pool_min: int = 1
    pool_max: int = 10


def parse_postgres_dsn(dsn: str) -> PostgresOptions:
    """``postgresql://user@host:port/db?schema=name&pool_max=10`` → options; other query
    parameters are passed to asyncpg unchanged."""
    parts = urlsplit(dsn)
    if parts.scheme not in ("postgresql", "postgres"):
        raise UnsupportedDsn(f"not a postgresql DSN: {dsn!r}")
    rest: list[tuple[str, str]] = []
    schema: str | None = None
    pool_min, pool_max = 1, 10
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "schema":
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
        dsn=clean, schema=schema, pool_min=pool_min, pool_max=max(pool_min, pool_max)
    )


def _count(status: str) -> int:
    """asyncpg command status (``UPDATE 3``, ``INSERT 0 1``) → affected rows."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


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
        pool = await asyncpg.create_pool(
            opts.dsn,
            min_size=opts.pool_min,
            max_size=opts.pool_max,
            server_settings={"search_path": opts.schema} if opts.schema else None,
        )
        return cls(opts, pool, clock)

    async def _write(self, prog: p.Program) -> Any:
        async with self._pool.acquire() as conn, conn.transaction():
            return await _run_program(conn, prog)

    async def _read(self, prog: p.Program) -> Any:
        async with (
            self._pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            return await _run_program(conn, prog)

    async def migrate(self) -> list[str]:
        """Apply pending migrations under a session advisory lock (per schema), so two
        processes starting at once apply each migration exactly once."""
        schema = self.options.schema
        key = zlib.crc32((schema or "").encode()) - 2**31
        async with self._pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1, $2)", MIGRATION_LOCK_CLASS, key)
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
                        await conn.execute(m.sql)
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
        await self._pool.close()
