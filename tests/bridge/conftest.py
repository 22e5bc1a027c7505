"""Fixtures: real stores (SQLite file, PostgreSQL schema), the ingress app on a free port."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bridge.ingress.app import create_ingress_app, make_ingress
from bridge.metrics import Metrics
from bridge.store import Store, open_store

PG_BASE = "postgresql://postgres@127.0.0.1:5432/test"
SECRET = "sapchaos-secret"


async def drop_schema(schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_BASE)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def store_dsn(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bridge.db'}"
        return
    schema = f"h8_{uuid.uuid4().hex[:10]}"
    yield f"{PG_BASE}?schema={schema}"
    await drop_schema(schema)


@pytest.fixture
async def sqlite_dsn(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bridge.db'}"


@pytest.fixture
async def store(store_dsn: str) -> AsyncIterator[Store]:
    s = await open_store(store_dsn)
    yield s
    await s.close()


@pytest.fixture
async def sqlite_store(sqlite_dsn: str) -> AsyncIterator[Store]:
    s = await open_store(sqlite_dsn)
    yield s
    await s.close()


@pytest.fixture
async def ingress_client(sqlite_store: Store) -> AsyncIterator[TestClient]:
    ingress = make_ingress(sqlite_store, (SECRET, "older-secret"), 4096, Metrics())
    app = create_ingress_app(ingress)
    async with TestClient(TestServer(app)) as client:
        yield client
