"""Consumer-side dedup of bridge events: a bounded seen-set keyed by ``event_id``.

The relay delivers at least once (a crash between the broker's PUBACK and marking the row
republishes it; MQTT QoS 1 itself may redeliver with DUP). A consumer keeps the ids it
processed and skips repeats — this in-memory LRU is the smallest honest version; a
consumer that must survive restarts keeps the ids in its own database (an inbox table),
as the bridge does for shop events.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SeenEvents"]


@dataclass
class SeenEvents:
    """``first_time(event_id)`` is True exactly once per id among the last ``capacity`` ids."""

    capacity: int = 100_000
    duplicates: int = 0
    _ids: OrderedDict[str, None] = field(default_factory=OrderedDict)

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError("capacity must be at least 1")

    def first_time(self, event_id: str) -> bool:
        if event_id in self._ids:
            self._ids.move_to_end(event_id)
            self.duplicates += 1
            return False
        self._ids[event_id] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True

    def accept(self, body: bytes) -> dict[str, Any] | None:
        """Decode a bridge event; the envelope the first time, None for a repeat."""
        envelope: dict[str, Any] = json.loads(body)
        return envelope if self.first_time(str(envelope["event_id"])) else None

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids
