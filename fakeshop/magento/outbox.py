"""The Magento-mode event outbox: rows are written when the order changes and removed
only after the broker acknowledged them (QoS 1), so a broker outage delays events but
never loses them. In memory by default; SQLite keeps them across a restart."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import aiosqlite


@dataclass
class OutboxRow:
    seq: int
    event_id: str
    event_type: str
    topic: str
    payload: str
    available_at: float
    copy: int = 1
    chaos: list[str] = field(default_factory=list)
    sent_at: float | None = None


class Outbox(Protocol):
    async def add(self, rows: list[OutboxRow]) -> None: ...
    async def due(self, now: float, limit: int) -> list[OutboxRow]: ...
    async def mark_sent(self, seq: int, at: float) -> None: ...
    async def pending(self) -> int: ...
    async def close(self) -> None: ...


class MemoryOutbox:
    def __init__(self) -> None:
        self.rows: dict[int, OutboxRow] = {}

    async def add(self, rows: list[OutboxRow]) -> None:
        for r in rows:
            self.rows[r.seq] = r

    async def due(self, now: float, limit: int) -> list[OutboxRow]:
        ready = [r for r in self.rows.values() if r.sent_at is None and r.available_at <= now]
        ready.sort(key=lambda r: (r.available_at, r.seq))
        return ready[:limit]

    async def mark_sent(self, seq: int, at: float) -> None:
        self.rows[seq].sent_at = at

    async def pending(self) -> int:
        return sum(1 for r in self.rows.values() if r.sent_at is None)

    async def close(self) -> None:
        return None


class SqliteOutbox:
    """Same contract on a SQLite file (``--outbox PATH``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db: aiosqlite.Connection | None = None

    async def _conn(self) -> aiosqlite.Connection:
        if self.db is None:
            self.db = await aiosqlite.connect(self.path)
            await self.db.execute("PRAGMA journal_mode=WAL")
            await self.db.execute(
                "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, event_id TEXT,"
                " event_type TEXT, topic TEXT, payload TEXT, available_at REAL, copy INTEGER,"
                " chaos TEXT, sent_at REAL)"
            )
            await self.db.commit()
        return self.db

    async def max_seq(self) -> int:
        db = await self._conn()
        async with db.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def add(self, rows: list[OutboxRow]) -> None:
        db = await self._conn()
        await db.executemany(
            "INSERT INTO outbox VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            [
                (
                    r.seq,
                    r.event_id,
                    r.event_type,
                    r.topic,
                    r.payload,
                    r.available_at,
                    r.copy,
                    json.dumps(r.chaos),
                )
                for r in rows
            ],
        )
        await db.commit()

    async def due(self, now: float, limit: int) -> list[OutboxRow]:
        db = await self._conn()
        async with db.execute(
            "SELECT seq, event_id, event_type, topic, payload, available_at, copy, chaos FROM outbox"
            " WHERE sent_at IS NULL AND available_at <= ? ORDER BY available_at, seq LIMIT ?",
            (now, limit),
        ) as cur:
            rows: list[Any] = list(await cur.fetchall())
        return [OutboxRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7])) for r in rows]

    async def mark_sent(self, seq: int, at: float) -> None:
        db = await self._conn()
        await db.execute("UPDATE outbox SET sent_at = ? WHERE seq = ?", (at, seq))
        await db.commit()

    async def pending(self) -> int:
        db = await self._conn()
        async with db.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def close(self) -> None:
        if self.db is not None:
            await self.db.close()
            self.db = None
