"""Transaction programs for the shop reconciler's durable keyset cursor.

Kept apart from ``program.py`` (one job per module) but written the same way: generators
yielding ``Query`` objects that a backend runs inside one transaction, so SQLite and
PostgreSQL share the logic. The cursor is the ``(date_modified_gmt, order id)`` of the last
order a pass read; it only ever moves forward, so two passes racing (an on-demand
``sapchaos bridge reconcile`` next to the scheduled one) never rewind it.
"""

from __future__ import annotations

from bridge.store.base import ReconcileCursor
from bridge.store.program import Program, Query

__all__ = ["get_cursor", "save_cursor"]

_SELECT = "SELECT date_modified_gmt, order_id FROM reconcile_cursors WHERE name = $1"
_UPSERT = """
INSERT INTO reconcile_cursors (name, date_modified_gmt, order_id, updated_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (name) DO UPDATE SET
    date_modified_gmt = excluded.date_modified_gmt,
    order_id = excluded.order_id,
    updated_at = excluded.updated_at
"""


def get_cursor(name: str) -> Program:
    r = yield Query(_SELECT, (name,), "one")
    return None if r is None else ReconcileCursor(str(r[0]), int(r[1]))


def save_cursor(name: str, cursor: ReconcileCursor, now: float) -> Program:
    """Forward only. PostgreSQL: a transaction-scoped advisory lock on the name serialises
    savers (a row lock cannot cover the first insert); SQLite's writer lock does the same."""
    yield Query("SELECT pg_advisory_xact_lock(hashtext($1))", (f"cursor:{name}",), "one", True)
    r = yield Query(_SELECT, (name,), "one")
    if r is not None:
        current = ReconcileCursor(str(r[0]), int(r[1]))
        if current >= cursor:
            return current
    yield Query(_UPSERT, (name, cursor.date_modified_gmt, cursor.order_id, now))
    return cursor
