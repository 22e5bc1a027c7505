"""SQLite persistence, so a restarted fakesap keeps every document.

A real Service Layer restart loses sessions but never committed documents, numbering or
stock; fakesap keeps the in-memory tables as the source of truth for reads and writes the
committed changes to one SQLite file (WAL, ``synchronous=NORMAL``), one transaction per
event-loop tick (``fakesap.group_commit``). Sessions are not
persisted: after a restart every client gets the 401 and logs in again, as with the real SL.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from fakesap.documents.schema import DECIMAL_FIELDS

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    entity_set TEXT NOT NULL, doc_entry INTEGER NOT NULL, body TEXT NOT NULL,
    gross TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (entity_set, doc_entry));
CREATE TABLE IF NOT EXISTS truth (
    seq INTEGER PRIMARY KEY, entity_set TEXT NOT NULL, doc_entry INTEGER NOT NULL,
    doc_num INTEGER NOT NULL, committed_at REAL NOT NULL, request_id TEXT, request TEXT);
CREATE TABLE IF NOT EXISTS counters (
    entity_set TEXT PRIMARY KEY, next_entry INTEGER NOT NULL, next_num INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS master (
    entity_set TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (entity_set, key));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _encode_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray):  # a raw request body (JSON text)
        return {"$raw": bytes(value).decode("utf-8", "replace")}
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


try:  # orjson is ~6x faster for documents full of Decimals (a declared dependency)
    import orjson

    def dumps(value: Any) -> str:
        return orjson.dumps(value, default=_encode_default).decode("utf-8")

    def dumps_entity(value: Any) -> str:
        """A document or item: JSON values and Decimals only (``str`` called from C)."""
        return orjson.dumps(value, default=str).decode("utf-8")

except ImportError:  # pragma: no cover - exercised where orjson is absent

    def dumps(value: Any) -> str:
        return json.dumps(value, default=_encode_default, ensure_ascii=False, separators=(",", ":"))

    dumps_entity = dumps


def _raw_body(request: dict[str, Any] | None) -> dict[str, Any] | None:
    body = request.get("body") if request else None
    if request is not None and isinstance(body, dict) and set(body) == {"$raw"}:
        return {**request, "body": str(body["$raw"]).encode("utf-8")}
    return request


def _decimal_hook(obj: dict[str, Any]) -> dict[str, Any]:
    for key, value in obj.items():
        if key in DECIMAL_FIELDS and isinstance(value, str):
            obj[key] = Decimal(value)
    return obj


def loads(text: str, shared: dict[str, str] | None = None) -> Any:
    """A stored document or row; with ``shared``, equal strings (property names, codes,
    statuses, dates) become one object across every call that passes the same dict, as
    they are in the running emulator, instead of one copy per document."""
    if shared is None:
        return json.loads(text, object_hook=_decimal_hook)

    def hook(obj: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in obj.items():
            if value.__class__ is str:
                value = Decimal(value) if key in DECIMAL_FIELDS else shared.setdefault(value, value)
            out[shared.setdefault(key, key)] = value
        return out

    return json.loads(text, object_hook=hook)


@dataclass
class TruthRow:
    entity_set: str
    doc_entry: int
    doc_num: int
    committed_at: float
    request_id: str | None
    request: dict[str, Any] | None


@dataclass
class Snapshot:
    """Everything read back from the file at start-up."""

    documents: dict[str, dict[int, tuple[dict[str, Any], frozenset[int]]]]
    truth: list[TruthRow]
    counters: dict[str, tuple[int, int]]
    master: dict[str, dict[str, dict[str, Any]]]


class SqlitePersistence:
    """One SQLite file; every method is one short transaction."""

    def __init__(self, path: str | Path, checkpoint_every_s: float = 2.0) -> None:
        self.path = str(path)
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        # checkpoints (the only fsyncs in WAL/NORMAL) run in a thread, not in the event loop
        self.conn.execute("PRAGMA wal_autocheckpoint=0")
        self.conn.executescript(SCHEMA)
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop,
            args=(checkpoint_every_s,),
            name="fakesap-checkpoint",
            daemon=True,
        )
        self._checkpointer.start()

    def _checkpoint_loop(self, every_s: float) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            while not self._stop.wait(every_s):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()

    def load(self) -> Snapshot:
        docs: dict[str, dict[int, tuple[dict[str, Any], frozenset[int]]]] = {}
        shared: dict[str, str] = {}  # for this load only
        for es, entry, body, gross in self.conn.execute(
            "SELECT entity_set, doc_entry, body, gross FROM documents ORDER BY entity_set, doc_entry"
        ):
            docs.setdefault(es, {})[int(entry)] = (
                loads(body, shared),
                frozenset(json.loads(gross)),
            )
        truth = [
            TruthRow(
                es,
                int(entry),
                int(num),
                float(at),
                rid,
                _raw_body(json.loads(req)) if req else None,
            )
            for es, entry, num, at, rid, req in self.conn.execute(
                "SELECT entity_set, doc_entry, doc_num, committed_at, request_id, request FROM truth ORDER BY seq"
            )
        ]
        counters = {
            es: (int(e), int(n))
            for es, e, n in self.conn.execute(
                "SELECT entity_set, next_entry, next_num FROM counters"
            )
        }
        master: dict[str, dict[str, dict[str, Any]]] = {}
        for es, key, body in self.conn.execute("SELECT entity_set, key, body FROM master"):
            master.setdefault(es, {})[key] = loads(body, shared)
        return Snapshot(docs, truth, counters, master)

    def commit(
        self,
        *,
        documents: Iterable[tuple[str, int, dict[str, Any], frozenset[int]]] = (),
        truth: Iterable[TruthRow] = (),
        counters: Iterable[tuple[str, int, int]] = (),
        master: Iterable[tuple[str, str, dict[str, Any]]] = (),
    ) -> None:
        """Write one batch of changes (documents and what they touched) atomically."""
        cur = self.conn.cursor()
        cur.execute("BEGIN")
        try:
            cur.executemany(
                "INSERT OR REPLACE INTO documents (entity_set, doc_entry, body, gross) VALUES (?, ?, ?, ?)",
                [
                    (es, entry, dumps_entity(body), json.dumps(sorted(gross)) if gross else "[]")
                    for es, entry, body, gross in documents
                ],
            )
            cur.executemany(
                "INSERT INTO truth (entity_set, doc_entry, doc_num, committed_at, request_id, request) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        t.entity_set,
                        t.doc_entry,
                        t.doc_num,
                        t.committed_at,
                        t.request_id,
                        dumps(t.request) if t.request is not None else None,
                    )
                    for t in truth
                ],
            )
            cur.executemany(
                "INSERT OR REPLACE INTO counters (entity_set, next_entry, next_num) VALUES (?, ?, ?)",
                list(counters),
            )
            cur.executemany(
                "INSERT OR REPLACE INTO master (entity_set, key, body) VALUES (?, ?, ?)",
                [(es, key, dumps_entity(body)) for es, key, body in master],
            )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    def wipe(self, master: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
        """Forget every document and reseed master data (``/__admin/reset``)."""
        cur = self.conn.cursor()
        cur.execute("BEGIN")
        for table in ("documents", "truth", "counters", "master"):
            cur.execute(f"DELETE FROM {table}")
        cur.execute("COMMIT")
        self.commit(master=master)

    def close(self) -> None:
        self._stop.set()
        self._checkpointer.join(timeout=10)
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()
