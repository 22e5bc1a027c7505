"""Fixtures: real stores (SQLite file, PostgreSQL schema), the ingress app on a free port."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bridge.ingress.app import create_ingress_app, make_ingress
from bridge.metrics import Metrics
from bridge.ops.auth import OPERATOR, OpsAuth, OpsToken
from bridge.store import Store, open_store

PG_BASE = "postgresql://postgres@127.0.0.1:5432/test"
SECRET = "sapchaos-secret"
#: the operator token of ``ingress_client`` (``/ops`` needs one; see bridge.ops.auth)
OPS_TOKEN = "test-operator-token-0123456789"
OPS_HEADERS = {"Authorization": f"Bearer {OPS_TOKEN}"}


def ops_auth() -> OpsAuth:
    return OpsAuth([OpsToken("tester", OPERATOR, OPS_TOKEN)])


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
    app = create_ingress_app(ingress, ops_auth=ops_auth())
    async with TestClient(TestServer(app), headers=OPS_HEADERS) as client:
        yield client


def runtime_ops_headers(rt: object) -> dict[str, str]:
    """The bearer header of a running ``BridgeRuntime``'s operator token (generated at
    start when the config names none)."""
    source = getattr(rt, "ops_tokens", None)
    assert source is not None, "the runtime has no ingress (no /ops)"
    token = next(t.token for t in source.tokens if t.role == OPERATOR)
    return {"Authorization": f"Bearer {token}"}
