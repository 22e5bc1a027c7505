"""Several bridge instances on one PostgreSQL store, as teams scale the bridge.

A production installation that outgrows one bridge process runs two or three behind a
load balancer, all on one PostgreSQL database. This module holds what the stack needs for
that shape: the instances' names (``a``, ``b``, …), the name of each instance's proxied
store link (``bridge_a_to_store`` …, so a scenario can cut one instance's database while
the other keeps its own), the per-run schema (created before the instances start, dropped
with everything in it at the end, so concurrent runs never share tables), and the DSN each
instance gets (through its own link).
"""

from __future__ import annotations

import os
import string
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

#: the PostgreSQL the harness uses when a run needs one (override: ``SAPCHAOS_TEST_PG``)
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
POSTGRES_URL_ENV = "SAPCHAOS_TEST_PG"
#: more instances than this would only starve a CI machine
MAX_INSTANCES = 8


def postgres_url(configured: str | None = None) -> str:
    return configured or os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL


def instance_names(count: int) -> tuple[str, ...]:
    """``a``, ``b``, … for ``count`` instances (1..MAX_INSTANCES)."""
    if not 1 <= count <= MAX_INSTANCES:
        raise ValueError(f"bridge_instances must be within 1..{MAX_INSTANCES}, got {count}")
    return tuple(string.ascii_lowercase[:count])


def store_link(name: str) -> str:
    """The proxied link between instance ``name`` and the store: ``bridge_a_to_store``."""
    return f"bridge_{name}_to_store"


def store_links(count: int) -> tuple[str, ...]:
    return tuple(store_link(n) for n in instance_names(count))


def postgres_address(url: str) -> str:
    """``host:port`` of a PostgreSQL URL (the upstream of the store links)."""
    parts = urlsplit(url)
    return f"{parts.hostname or '127.0.0.1'}:{parts.port or 5432}"


def run_schema_name() -> str:
    """A schema name no other run uses (a plain identifier, as the bridge requires)."""
    return f"sapchaos_run_{uuid.uuid4().hex[:12]}"


def instance_dsn(url: str, address: str, schema: str) -> str:
    """``url`` pointed at ``address`` (the instance's store link) with ``?schema=``."""
    parts = urlsplit(url)
    user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    query = "&".join(q for q in (parts.query, f"schema={schema}") if q)
    return urlunsplit((parts.scheme, user + address, parts.path, query, ""))


@dataclass
class RunSchema:
    """The run's own schema in the shared database: ``create()`` before the instances
    start, ``drop()`` (``CASCADE``) once they are stopped."""

    url: str
    name: str
    created: bool = False

    async def create(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.url, timeout=10)
        try:
            await conn.execute(f'CREATE SCHEMA "{self.name}"')
            self.created = True
        finally:
            await conn.close()

    async def drop(self) -> None:
        if not self.created:
            return
        import asyncpg

        conn = await asyncpg.connect(self.url, timeout=10)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')
            self.created = False
        finally:
            await conn.close()
