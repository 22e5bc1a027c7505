"""The request journal (WireMock's ``/__admin/requests`` idea): what reached the Service
Layer paths, with status, duration, session and the fault that fired. It is a ring buffer,
so a long load test keeps only the newest ``journal_size`` requests."""

from __future__ import annotations

import itertools
import json
from collections import deque
from datetime import UTC, datetime
from typing import Any, NamedTuple


def iso_ms(t: float) -> str:
    """ISO 8601 UTC with milliseconds and ``Z`` (the ground-truth timestamp format)."""
    moment = datetime.fromtimestamp(t, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def request_for_json(request: dict[str, Any] | None) -> dict[str, Any] | None:
    """A ground-truth request with its body as JSON (bodies may be kept as raw bytes)."""
    if request is None or not isinstance(request.get("body"), bytes | bytearray):
        return request
    raw = bytes(request["body"])
    try:
        body: Any = json.loads(raw)
    except ValueError:
        body = raw.decode("utf-8", "replace")
    return {**request, "body": body}


_READS = frozenset({"GET", "HEAD", "OPTIONS"})


class JournalEntry(NamedTuple):
    id: str
    at: float
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    session: str | None
    fault: dict[str, Any] | None


class Journal:
    def __init__(self, size: int) -> None:
        self.entries: deque[JournalEntry] = deque(maxlen=max(1, size))
        self._ids = itertools.count(1)
        self.total = 0
        #: requests that may change state (not GET/HEAD/OPTIONS), for cheap quiescence checks
        self.writes = 0

    def next_id(self) -> str:
        return f"r{next(self._ids)}"

    def add(self, entry: JournalEntry) -> None:
        self.entries.append(entry)
        self.total += 1
        if entry.method not in _READS:
            self.writes += 1

    def clear(self) -> None:
        self.entries.clear()

    def render(self, limit: int | None = None) -> list[dict[str, Any]]:
        rows = list(self.entries)
        if limit is not None:
            rows = rows[-limit:] if limit > 0 else []
        return [
            {
                "id": e.id,
                "at": iso_ms(e.at),
                "method": e.method,
                "path": e.path,
                **({"query": e.query} if e.query else {}),
                "status": e.status,
                "duration_ms": e.duration_ms,
                "session": e.session,
                "fault": e.fault,
            }
            for e in rows
        ]
