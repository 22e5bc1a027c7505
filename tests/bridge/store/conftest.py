"""One store suite, run against SQLite (temp file) and real PostgreSQL (unique schema)."""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from bridge.store import Store, open_store

PG_DSN = os.environ.get("SAPCHAOS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


class FakeClock:
    """Wall clock the tests move by hand (epoch seconds)."""

    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, s: float) -> None:
        self.t += s


async def _drop_schema(schema: str) -> None:
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def dsn(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for one test. PostgreSQL down → the test fails (no skip)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/bridge.db"
        return
    schema = f"h7_store_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    yield f"{PG_DSN}?schema={schema}&pool_max=4"
    asyncio.run(_drop_schema(schema))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(dsn: str, clock: FakeClock) -> AsyncIterator[Store]:
    s = await open_store(dsn, clock=clock)
    yield s
    await s.close()


@pytest.fixture
async def open_another(dsn: str, clock: FakeClock) -> AsyncIterator[Callable[[], Awaitable[Store]]]:
    """Open more stores on the same database (another process's connection, in effect)."""
    opened: list[Store] = []

    async def _open() -> Store:
        s = await open_store(dsn, clock=clock)
        opened.append(s)
        return s

    yield _open
    for s in opened:
        await s.close()


@pytest.fixture
def order_ids() -> itertools.count[int]:
    """Fresh order ids for tests that share one database across many examples."""
    return itertools.count(1)
