"""Feature flag ``sap_delivery = false``: nothing is written to SAP, pending orders go to a
file with the documents to key in by hand; a person keys some in (with their
``U_IdemKey``); switched back on, the bridge creates the rest and adopts the hand-made
ones — every order in SAP exactly once."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from bridge.runtime import BridgeRuntime
from bridge.sap.client import ServiceLayerClient
from sapchaos.cli import main
from tests.bridge.stack import bridge_config, settle, stack, wait_until


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """``main()`` configures logging onto pytest's captured output; undo that afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_delivery_off_exports_and_resumes_without_duplicates(
    sqlite_dsn: str, tmp_path: Path
) -> None:
    export = tmp_path / "manual" / "pending.jsonl"
    # no SAP-side uniqueness guard: only the bridge's own lookup can prevent a duplicate
    async with stack(guard=False) as st:
        cfg = bridge_config(
            sqlite_dsn,
            st.sap_url,
            st.shop_url,
            roles=("ingress", "worker"),
            sap_delivery=False,
            manual_export_path=str(export),
            manual_export_interval_s=0.2,
        )
        async with BridgeRuntime(cfg) as rt:
            assert rt.workers == [] and rt.manual_export is not None
            await st.subscribe(rt.url)
            ids = await st.generate(8)
            await st.drain_shop()

            async def exported() -> bool:
                if not export.exists():
                    return False
                return len(export.read_text().splitlines()) == len(ids)

            assert await wait_until(exported, 30)
            assert rt.stats()["manual_export"]["pending"] == len(ids)
        assert await st.sap_orders_by_key() == {}  # delivery off: nothing reached SAP
        entries = [json.loads(line) for line in export.read_text().splitlines()]
        assert [e["order_id"] for e in entries] == sorted(ids)
        for e in entries:
            assert e["idem_key"] == f"wc:{e['order_id']}:order"
            assert e["document"]["U_IdemKey"] == e["idem_key"]
        # the same export on demand, from the CLI
        again = tmp_path / "cli.jsonl"
        argv = ["bridge", "export-pending", "--store", sqlite_dsn, "--out", str(again)]
        assert await asyncio.to_thread(main, argv) == 0
        assert again.read_text() == export.read_text()
        # a person keys three of them in by hand, exactly as exported
        async with ServiceLayerClient(st.sap_url, "SBODEMOES", "manager", "manager") as sap:
            for e in entries[:3]:
                await sap.create("Orders", e["document"])
        # delivery back on: the rest is created, the hand-made ones adopted
        async with BridgeRuntime(cfg.replace(sap_delivery=True)) as rt:
            assert len(rt.workers) == cfg.workers
            await settle(st, rt)
        keys = await st.sap_orders_by_key()
        assert dict(keys) == {f"wc:{i}:order": 1 for i in ids}
