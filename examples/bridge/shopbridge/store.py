"""A SQLite outbox: one row per shop order, the newest payload wins, the worker drains it."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Row:
    order_id: int
    order: dict[str, Any]
    doc_entry: int | None
    doc_num: int | None
    noted: bool


SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    order_id     INTEGER PRIMARY KEY,
    payload      TEXT NOT NULL,
    modified     TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending',   -- pending | booked | cancelled | failed
    doc_entry    INTEGER,
    doc_num      INTEGER,
    noted        INTEGER NOT NULL DEFAULT 0,           -- confirmation note written
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_try     REAL NOT NULL DEFAULT 0,
    last_error   TEXT
)
"""


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def accept(self, order: dict[str, Any]) -> None:
        """Keep the newest snapshot per order; a newer one — or a different one with the
        same second-resolution ``date_modified_gmt`` — queues the order again (the worker
        reads the order from the shop before acting, so which copy wins a tie is moot)."""
        modified = str(order.get("date_modified_gmt") or "")
        self.db.execute(
            """INSERT INTO orders (order_id, payload, modified) VALUES (?, ?, ?)
               ON CONFLICT(order_id) DO UPDATE SET
                 payload = excluded.payload, modified = excluded.modified,
                 state = CASE WHEN orders.state = 'failed' THEN 'failed' ELSE 'pending' END,
                 next_try = 0
               WHERE excluded.modified > orders.modified
                  OR (excluded.modified = orders.modified AND excluded.payload != orders.payload)""",
            (int(order["id"]), json.dumps(order), modified),
        )

    def due(self, limit: int = 20) -> list[Row]:
        rows = self.db.execute(
            """SELECT order_id, payload, doc_entry, doc_num, noted FROM orders
               WHERE state = 'pending' AND next_try <= ? ORDER BY order_id LIMIT ?""",
            (time.time(), limit),
        ).fetchall()
        return [Row(r[0], json.loads(r[1]), r[2], r[3], bool(r[4])) for r in rows]

    def booked(self, order_id: int, doc_entry: int, doc_num: int) -> None:
        """SAP has our document (created now, or found by its key after a lost reply)."""
        self.db.execute(
            "UPDATE orders SET doc_entry=?, doc_num=?, last_error=NULL WHERE order_id=?",
            (doc_entry, doc_num, order_id),
        )

    def noted(self, order_id: int) -> None:
        self.db.execute("UPDATE orders SET noted=1 WHERE order_id=?", (order_id,))

    def finished(self, order_id: int, state: str) -> None:
        self.db.execute("UPDATE orders SET state=? WHERE order_id=?", (state, order_id))

    def retry_later(self, order_id: int, delay_s: float, error: str) -> None:
        self.db.execute(
            "UPDATE orders SET attempts = attempts + 1, next_try = ?, last_error = ?"
            " WHERE order_id = ?",
            (time.time() + delay_s, error[:500], order_id),
        )

    def attempts(self, order_id: int) -> int:
        row = self.db.execute(
            "SELECT attempts FROM orders WHERE order_id=?", (order_id,)
        ).fetchone()
        return int(row[0]) if row else 0
