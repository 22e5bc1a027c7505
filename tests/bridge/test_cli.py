"""``sapchaos bridge …`` commands against a real SQLite store."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from bridge.store import DeadLetter, InboundDelivery, QuarantineEntry, open_store
from sapchaos.cli import main

from .payloads import order_payload


async def _seed(dsn: str) -> None:
    store = await open_store(dsn)
    try:
        await store.quarantine(
            QuarantineEntry(
                "shop",
                "order.updated",
                {"X-WC-Webhook-Topic": "order.updated"},
                b'{"id": 0}',
                "id: must be > 0",
                1.0,
            )
        )
        p = order_payload(5)
        await store.accept_delivery(
            InboundDelivery("shop", "order.created", 5, p["date_modified_gmt"], p, 1.0)
        )
        [lease] = await store.claim_jobs("cli-test", 1, 30)
        await store.dead_letter(
            lease,
            DeadLetter("create_order", "wc:5:order", "-10", "Item bad [RDR1.ItemCode][line: 1]"),
        )
    finally:
        await store.close()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """``main()`` configures logging onto pytest's captured stderr; undo that afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_dlq_and_quarantine_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dsn = f"sqlite:///{tmp_path / 'b.db'}"
    asyncio.run(_seed(dsn))
    assert main(["bridge", "quarantine", "list", "--store", dsn]) == 0
    out = capsys.readouterr().out
    assert "id: must be > 0" in out and "reason" in out
    assert main(["bridge", "quarantine", "show", "1", "--store", dsn, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["body"] == '{"id": 0}'
    assert main(["bridge", "dlq", "list", "--store", dsn, "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["code"] == "-10" and row["idem_key"] == "wc:5:order"
    assert main(["bridge", "dlq", "show", str(row["id"]), "--store", dsn]) == 0
    assert "RDR1.ItemCode" in capsys.readouterr().out
    assert main(["bridge", "dlq", "replay", str(row["id"]), "--store", dsn]) == 0
    assert "replayed" in capsys.readouterr().out
    assert main(["bridge", "dlq", "replay", str(row["id"]), "--store", dsn]) == 1  # only once
    capsys.readouterr()
    assert main(["bridge", "dlq", "replay", "--all", "--store", dsn, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"replayed": 0}
    assert main(["bridge", "dlq", "show", "99", "--store", dsn]) == 1
    assert main(["bridge", "migrate", "--store", dsn]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["bridge", "stats", "--store", dsn, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["dlq"] == 1
