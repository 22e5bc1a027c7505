"""The toxics configured on one proxy: an ordered chain per stream direction.

Toxiproxy keeps one chain per direction; new toxics go to the end, names are unique
across both directions, and listings show upstream toxics first, then downstream.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scenarios.proxy.errors import ApiError
from scenarios.proxy.toxics.base import Toxic
from scenarios.proxy.toxics.registry import build_toxic

STREAMS = ("upstream", "downstream")


@dataclass
class ToxicEntry:
    """One configured toxic: what the API shows, plus the toxic object itself."""

    name: str
    type: str
    stream: str
    toxicity: float
    toxic: Toxic

    def as_json(self) -> dict[str, Any]:
        return {
            "attributes": self.toxic.attributes(),
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
        }


def _toxicity(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError.of("bad_request_body", f"toxicity must be a number, got {value!r}")
    return float(value)


def _text(body: dict[str, Any], key: str, default: str) -> str:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ApiError.of("bad_request_body", f"{key} must be a string, got {value!r}")
    return value


class ToxicSet:
    """Ordered toxic chains of one proxy, validated like Toxiproxy's ToxicCollection."""

    def __init__(self) -> None:
        self.chains: dict[str, list[ToxicEntry]] = {s: [] for s in STREAMS}

    def __iter__(self) -> Iterator[ToxicEntry]:
        for stream in STREAMS:
            yield from self.chains[stream]

    def find(self, name: str) -> ToxicEntry | None:
        return next((t for t in self if t.name == name), None)

    def get(self, name: str) -> ToxicEntry:
        entry = self.find(name)
        if entry is None:
            raise ApiError.of("toxic_not_found")
        return entry

    def as_json(self) -> list[dict[str, Any]]:
        return [t.as_json() for t in self]

    def create(self, body: Any) -> ToxicEntry:
        """Validate a create request (checks in the reference server's order) and append."""
        if not isinstance(body, dict):
            raise ApiError.of("bad_request_body", "expected a JSON object")
        stream = _text(body, "stream", "downstream")
        if stream not in STREAMS:
            raise ApiError.of("invalid_stream")
        type_name = _text(body, "type", "")
        name = _text(body, "name", "") or f"{type_name}_{stream}"
        toxicity = _toxicity(body.get("toxicity", 1.0))
        toxic = build_toxic(type_name, None)  # unknown type → invalid toxic type
        if self.find(name) is not None:
            raise ApiError.of("toxic_exists")
        toxic = build_toxic(type_name, body.get("attributes"))
        entry = ToxicEntry(name, type_name, stream, toxicity, toxic)
        self.chains[stream].append(entry)
        return entry

    def updated(self, name: str, body: Any) -> ToxicEntry:
        """Apply an update: given attributes and toxicity change, the rest are kept."""
        entry = self.get(name)
        if not isinstance(body, dict):
            raise ApiError.of("bad_request_body", "expected a JSON object")
        toxic = build_toxic(entry.type, body.get("attributes"), base=entry.toxic)
        toxicity = _toxicity(body.get("toxicity", entry.toxicity))
        entry.toxic = toxic
        entry.toxicity = toxicity
        return entry

    def remove(self, name: str) -> ToxicEntry:
        entry = self.get(name)
        self.chains[entry.stream].remove(entry)
        return entry
