"""The bridge store: ``open_store(dsn)`` → a ``Store`` (SQLite or PostgreSQL), migrated.

DSNs: ``sqlite:///relative/or/abs/path.db`` (``sqlite:////abs/path.db`` also works),
``postgresql://user@host:port/db[?schema=name]`` (``postgres://`` too).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bridge.store.base import (
    JOB_STATUSES,
    LEDGER_STATUSES,
    AcceptOutcome,
    Attempt,
    Claimed,
    DeadLetter,
    DeadLetterRow,
    InboundDelivery,
    Job,
    Lease,
    LedgerRow,
    OutboxEvent,
    QuarantineEntry,
    ReconcileCursor,
    Snapshot,
    Store,
    content_hash,
    modified_epoch,
)
from bridge.store.errors import InvalidDelivery, LeaseLost, StoreError, UnsupportedDsn

__all__ = [
    "JOB_STATUSES",
    "LEDGER_STATUSES",
    "AcceptOutcome",
    "Attempt",
    "Claimed",
    "DeadLetter",
    "DeadLetterRow",
    "InboundDelivery",
    "InvalidDelivery",
    "Job",
    "Lease",
    "LeaseLost",
    "LedgerRow",
    "OutboxEvent",
    "QuarantineEntry",
    "ReconcileCursor",
    "Snapshot",
    "Store",
    "StoreError",
    "UnsupportedDsn",
    "content_hash",
    "modified_epoch",
    "open_store",
]


async def open_store(
    dsn: str, *, clock: Callable[[], float] = time.time, migrate: bool = True
) -> Store:
    """Open the store named by ``dsn`` and (by default) apply pending migrations."""
    store: Store
    if dsn.startswith("sqlite:"):
        from bridge.store.sqlite import SqliteStore

        store = await SqliteStore.open(dsn, clock=clock)
    elif dsn.startswith(("postgresql:", "postgres:")):
        from bridge.store.postgres import PostgresStore

        store = await PostgresStore.open(dsn, clock=clock)
    else:
        raise UnsupportedDsn(
            f"unsupported store DSN {dsn!r}: use sqlite:///path.db or postgresql://…"
        )
    if migrate:
        try:
            await store.migrate()
        except BaseException:
            await store.close()
            raise
    return store
