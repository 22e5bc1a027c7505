"""Feature flag ``sap_delivery = false``: nothing is written to SAP, pending orders go to a
file with the documents to key in by hand; a person keys some in (with their
``U_IdemKey``); switched back on, the bridge creates the rest and adopts the hand-made
ones — every order in SAP exactly once."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
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


async def test_invoice_mode_exports_invoices_and_resumes_without_duplicates(
    sqlite_dsn: str, tmp_path: Path
) -> None:
    """``sap_document = "invoice"`` with delivery off: only paid orders are exported, each
    under ``wc:{id}:invoice`` with the ``POST /Invoices`` body ``build_document`` makes;
    two keyed in by hand as ``Invoices`` are adopted when delivery comes back, the rest
    invoiced — every paid order exactly one A/R invoice, no sales order at all."""
    from bridge.contract import build_document
    from bridge.jsonwire import dumps
    from bridge.mapping import MappingContext
    from bridge.order import parse_order
    from sapchaos.catalog import load_catalog

    export = tmp_path / "pending.jsonl"
    async with stack(guard=False) as st:
        cfg = bridge_config(
            sqlite_dsn,
            st.sap_url,
            st.shop_url,
            roles=("ingress", "worker"),
            sap_delivery=False,
            sap_document="invoice",
            manual_export_path=str(export),
            manual_export_interval_s=0.2,
        )
        async with BridgeRuntime(cfg) as rt:
            assert rt.manual_export is not None
            await st.subscribe(rt.url)
            ids = await st.generate(6)
            paid = ids[:4]
            for oid in paid:
                await st.woo.update_order(
                    oid, {"status": "processing", "set_paid": True, "transaction_id": f"tx_{oid}"}
                )
            await st.drain_shop()

            async def exported() -> bool:
                if not export.exists():
                    return False
                got = [json.loads(line)["order_id"] for line in export.read_text().splitlines()]
                return got == sorted(paid)

            assert await wait_until(exported, 30)
            assert rt.stats()["manual_export"]["entity_set"] == "Invoices"
        assert await st.sap_documents("Invoices") == []
        entries = [json.loads(line) for line in export.read_text().splitlines()]
        ctx = MappingContext(load_catalog(cfg.catalog_path), cfg.due_days, cfg.guest_card_code)
        listed = await st.woo.request("GET", "orders", query={"per_page": "100"})
        shop = {o["id"]: o for o in listed}
        for e in entries:
            assert e["idem_key"] == f"wc:{e['order_id']}:invoice"
            assert e["entity_set"] == "Invoices"
            assert e["document"]["U_IdemKey"] == e["idem_key"]
            assert e["document"]["U_TransactionId"] == f"tx_{e['order_id']}"
            want = build_document(parse_order(shop[e["order_id"]]), ctx, "wc", document="invoice")
            assert e["document"]["DocumentLines"] == json.loads(dumps(want["DocumentLines"]))
        # the CLI export reads the same configuration
        again = tmp_path / "cli.jsonl"
        cfg_file = tmp_path / "bridge.toml"
        cfg_file.write_text('sap_document = "invoice"\n')
        argv = ["bridge", "export-pending", "--config", str(cfg_file)]
        argv += ["--store", sqlite_dsn, "--out", str(again)]
        assert await asyncio.to_thread(main, argv) == 0
        assert again.read_text() == export.read_text()
        # a person keys two in by hand, as exported, as A/R invoices
        async with ServiceLayerClient(st.sap_url, "SBODEMOES", "manager", "manager") as sap:
            for e in entries[:2]:
                await sap.create("Invoices", e["document"])
        # delivery back on: the rest is invoiced, the hand-made ones adopted
        async with BridgeRuntime(cfg.replace(sap_delivery=True)) as rt:
            await settle(st, rt)
        invoices = Counter(
            str(d["document"].get("U_IdemKey")) for d in await st.sap_documents("Invoices")
        )
        assert dict(invoices) == {f"wc:{i}:invoice": 1 for i in paid}
        assert await st.sap_documents("Orders") == []
