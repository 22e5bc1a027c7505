"""Real stores (SQLite file, PostgreSQL unique schema), real Mosquitto (shared on 1883 with
unique topic prefixes and client ids; private ones on free ports for outages)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from bridge.events.settings import MqttSettings
from bridge.store import Store, open_store
from tests.bridge.events.broker import PrivateBroker

PG_DSN = os.environ.get("SAPCHAOS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SHARED_BROKER = "mqtt://127.0.0.1:1883"


async def _drop_schema(schema: str) -> None:
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def dsn(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/bridge.db"
        return
    schema = f"h9_events_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    yield f"{PG_DSN}?schema={schema}&pool_max=4"
    asyncio.run(_drop_schema(schema))


@pytest.fixture
async def store(dsn: str) -> AsyncIterator[Store]:
    s = await open_store(dsn)
    yield s
    await s.close()


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await open_store(f"sqlite:///{tmp_path}/bridge-sqlite.db")
    yield s
    await s.close()


@pytest.fixture
def run_id() -> str:
    return uuid.uuid4().hex[:12]


@pytest.fixture
def settings(run_id: str) -> MqttSettings:
    """Shared broker, unique prefixes and client ids, quick backoff for tests."""
    return MqttSettings(
        url=SHARED_BROKER,
        events_prefix=f"sapchaos-test/{run_id}/bridge/events",
        relay_client_id=f"test-relay-{run_id}",
        magento_prefix=f"sapchaos-test/{run_id}/shop/events",
        subscriber_client_id=f"test-bridge-magento-{run_id}",
        idle_poll_s=0.05,
        backoff_base_s=0.1,
        backoff_cap_s=1.0,
        publish_timeout_s=3.0,
    )


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    workdir = tmp_path / "broker"
    workdir.mkdir()
    broker = PrivateBroker(workdir)
    broker.start()
    yield broker
    broker.stop()
