"""The envelope model, the committed JSON Schema file, and every type the bridge emits."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from bridge.events.__main__ import main as events_main
from bridge.events.schema import BRIDGE_EVENT, iso_utc_ms, json_schema, schema_text, to_envelope
from bridge.events.topics import EVENT_TYPES
from bridge.store.base import OutboxEvent
from tests.bridge.events.events import sample_event

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "docs" / "schemas" / "bridge-event.schema.json"


def test_committed_schema_equals_generated() -> None:
    assert SCHEMA_FILE.read_text("utf-8") == schema_text(), (
        "regenerate: python -m bridge.events schema > docs/schemas/bridge-event.schema.json"
    )


def test_schema_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert events_main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["$id"].endswith("bridge-event.schema.json")
    assert events_main([]) == 2


def test_schema_covers_every_event_type() -> None:
    schema = json_schema()
    types = {
        d["properties"]["type"]["const"]
        for d in schema["$defs"].values()
        if "type" in d.get("properties", {})
    }
    assert types == set(EVENT_TYPES)
    assert set(schema["discriminator"]["mapping"]) == set(EVENT_TYPES)


@pytest.mark.parametrize("i", range(7))
def test_every_emitted_shape_fits(i: int) -> None:
    event = sample_event(i)
    envelope, off = to_envelope(event, now=1_800_000_000.0)
    assert off is None, off
    model = BRIDGE_EVENT.validate_python(envelope)
    assert str(model.event_id) == event.event_id
    assert envelope["order_id"] == 1000 + i
    assert envelope["correlation_id"] == f"wc:{1000 + i}"
    assert envelope["source"] == "sapchaos-bridge" and envelope["schema_version"] == 1
    assert "order_id" not in envelope["data"]


def test_occurred_at_is_the_outbox_commit_time() -> None:
    event = OutboxEvent(
        str(uuid.uuid4()),
        "order.invoiced",
        "wc:5",
        {"order_id": 5, "doc_entry": 1, "doc_num": 2},
        created_at=1_795_465_879.123,
    )
    envelope, _ = to_envelope(event, now=0.0)
    assert envelope["occurred_at"] == iso_utc_ms(1_795_465_879.123) == "2026-11-23T20:31:19.123Z"


def test_off_schema_event_is_still_enveloped() -> None:
    """An unknown type is a bridge bug, but the relay must not lose it: same envelope."""
    event = OutboxEvent(str(uuid.uuid4()), "order.teleported", "wc:7", {"order_id": 7, "x": 1})
    envelope, off = to_envelope(event, now=1_800_000_000.0)
    assert off is not None and "type" in off
    assert envelope["type"] == "order.teleported" and envelope["data"] == {"x": 1}


def test_schema_rejects_bad_envelopes() -> None:
    good, _ = to_envelope(sample_event(0), now=1_800_000_000.0)
    for change in (
        {"event_id": "not-a-uuid"},
        {"occurred_at": "2026-11-23 20:11:19"},
        {"correlation_id": "1234"},
        {"order_id": 0},
        {"surprise": True},
        {"data": {"doc_entry": 1}},
    ):
        with pytest.raises(ValidationError):
            BRIDGE_EVENT.validate_python({**good, **change})
