"""``sapchaos bridge reconcile --last N``: the shop's newest orders against SAP.

Real fakeshop and fakesap: orders placed before the bridge subscribed never reached SAP
(reported ``missing`` and re-enqueued, then created once); an order cancelled in the shop
while the bridge is down stays open in SAP (``state_mismatch``); everything else ``ok``.
The CLI prints the table, writes the JSON report, and draws a progress bar.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from bridge.reconcile_report import reconcile_last, render_table
from bridge.runtime import BridgeRuntime
from bridge.sap.client import ServiceLayerClient
from sapchaos.cli import main
from tests.bridge.stack import bridge_config, settle, stack


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """``main()`` configures logging onto pytest's captured output; undo that afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


def _sap(url: str) -> ServiceLayerClient:
    return ServiceLayerClient(url, "SBODEMOES", "manager", "manager")


async def test_reconcile_last_reports_and_heals(
    sqlite_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with stack() as st:
        cfg = bridge_config(
            sqlite_dsn,
            st.sap_url,
            st.shop_url,
            roles=("ingress", "worker"),
            reconcile_interval_s=0,
        )
        async with BridgeRuntime(cfg) as rt:
            assert rt.store is not None
            # placed (and paid) before the webhooks exist: never delivered
            missed = await st.generate(3)
            for oid in missed:
                await st.woo.request("PUT", f"orders/{oid}", {"status": "processing"})
            await st.subscribe(rt.url)
            delivered = await st.generate(5)
            for oid in delivered:
                await st.woo.request("PUT", f"orders/{oid}", {"status": "processing"})
            await settle(st, rt)
        # the bridge is down: a cancellation in the shop does not reach SAP
        await st.woo.request("PUT", f"orders/{delivered[0]}", {"status": "cancelled"})
        from bridge.store import open_store

        store = await open_store(sqlite_dsn)
        try:
            async with _sap(st.sap_url) as sap:
                seen: list[tuple[int, int]] = []
                report = await reconcile_last(
                    store, st.woo, sap, 6, progress=lambda d, t: seen.append((d, t))
                )
        finally:
            await store.close()
        assert len(report.rows) == 6 and seen[-1] == (6, 6)
        newest = sorted(missed + delivered, reverse=True)[:6]
        assert [r.order_id for r in report.rows] == newest
        by_id = {r.order_id: r for r in report.rows}
        assert by_id[delivered[0]].verdict == "state_mismatch"
        assert by_id[delivered[0]].requeued  # a lost cancellation: the worker will cancel
        for oid in set(missed) & set(newest):
            assert by_id[oid].verdict == "missing" and by_id[oid].requeued
        table = render_table(report)
        assert "state_mismatch" in table and "missing (requeued)" in table
        # the bridge comes back: the re-enqueued orders are created, once
        async with BridgeRuntime(cfg) as rt:
            await settle(st, rt)
        keys = await st.sap_orders_by_key()
        for oid in set(missed) & set(newest):
            assert keys[f"wc:{oid}:order"] == 1
        # the CLI: table on stdout, JSON report to a file, bar on stderr
        out_file = tmp_path / "report.json"
        argv = [
            "bridge",
            "reconcile",
            "--last",
            "8",
            "--store",
            sqlite_dsn,
            "--sap-url",
            st.sap_url,
            "--shop-url",
            st.shop_url,
            "--report",
            str(out_file),
            "--progress",
            "--no-requeue",
        ]
        rc = await asyncio.to_thread(main, argv)
        captured = capsys.readouterr()
        assert rc == 0, captured.err
        assert "8/8" in captured.err and "[####" in captured.err
        data = json.loads(out_file.read_text())
        assert data["read"] == 8 and data["requeued"] == 0
        # the re-enqueued cancellation reached SAP when the bridge came back; the oldest missed
        # order (outside --last 6) is still missing
        counts = data["counts"]
        assert counts["state_mismatch"] == 0
        assert counts["missing"] == len(set(missed) - set(newest))
        assert "orders:" in captured.out


def test_reconcile_last_refuses_a_bad_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bridge", "reconcile", "--last", "0"]) == 2
    err = capsys.readouterr().err
    assert "--last" in err and "Traceback" not in err


async def test_scheduled_report_is_written(sqlite_dsn: str, tmp_path: Path) -> None:
    from tests.bridge.stack import wait_until

    path = tmp_path / "reports" / "reconcile.json"
    async with stack() as st:
        cfg = bridge_config(
            sqlite_dsn,
            st.sap_url,
            st.shop_url,
            roles=("worker", "reconciler"),
            reconcile_interval_s=3600,
            reconcile_report_interval_s=0.3,
            reconcile_report_last=5,
            reconcile_report_path=str(path),
        )
        ids = await st.generate(5)
        for oid in ids:
            await st.woo.request("PUT", f"orders/{oid}", {"status": "processing"})
        async with BridgeRuntime(cfg) as rt:
            sched = rt.reconcile_report
            assert sched is not None

            async def two_runs() -> bool:
                return sched.runs >= 2

            assert await wait_until(two_runs, 30)
            await rt.wait_idle(30)
        data = json.loads(path.read_text())
        assert data["read"] == 5
        assert "5 orders:" in path.with_name("reconcile.json.txt").read_text()
        # the periodic reconciler had not run yet (an hour): the first report found the
        # orders missing and re-enqueued them; they are in SAP now, once each
        keys = await st.sap_orders_by_key()
        assert dict(keys) == {f"wc:{i}:order": 1 for i in ids}


def _by_key(docs: list[dict[str, Any]]) -> Counter[str]:
    return Counter(str(d["document"].get("U_IdemKey")) for d in docs)


async def _pay(st: Any, ids: list[int]) -> None:
    for oid in ids:
        await st.woo.update_order(
            oid, {"status": "processing", "set_paid": True, "transaction_id": f"tx_{oid}"}
        )


async def test_reconcile_last_in_invoice_mode_looks_up_invoices(
    sqlite_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``sap_document = "invoice"``: the report looks keys up among ``Invoices`` under
    ``wc:{id}:invoice`` — invoiced orders are ``ok`` (not ``missing``), an unpaid one is not
    wanted, a paid one the bridge never saw is missing and re-enqueued (then invoiced once),
    and a cancel after invoicing without its credit note is a re-enqueued state mismatch."""
    async with stack() as st:
        cfg = bridge_config(
            sqlite_dsn,
            st.sap_url,
            st.shop_url,
            roles=("ingress", "worker"),
            reconcile_interval_s=0,
            sap_document="invoice",
        )
        async with BridgeRuntime(cfg) as rt:
            missed = await st.generate(2)  # paid before the webhooks exist: never delivered
            await _pay(st, missed)
            await st.subscribe(rt.url)
            delivered = await st.generate(4)
            await _pay(st, delivered)
            unpaid = await st.generate(1)  # pending and unpaid: no invoice wanted yet
            await settle(st, rt)
        invoices = _by_key(await st.sap_documents("Invoices"))
        assert invoices == {f"wc:{i}:invoice": 1 for i in delivered}
        assert await st.sap_documents("Orders") == []
        # the bridge is down: a cancel after invoicing does not reach SAP (no credit note)
        await st.woo.update_order(delivered[0], {"status": "cancelled"})
        from bridge.store import open_store

        store = await open_store(sqlite_dsn)
        try:
            async with _sap(st.sap_url) as sap:
                report = await reconcile_last(store, st.woo, sap, 7, document="invoice")
        finally:
            await store.close()
        assert report.entity_set == "Invoices"
        by_id = {r.order_id: r for r in report.rows}
        assert set(by_id) == set(missed + delivered + unpaid)
        for oid in delivered[1:]:
            assert by_id[oid].verdict == "ok", by_id[oid]
            assert by_id[oid].sap_docnum is not None and not by_id[oid].requeued
        for oid in missed:
            assert by_id[oid].verdict == "missing" and by_id[oid].requeued
            assert "A/R invoice" in by_id[oid].detail
        assert by_id[unpaid[0]].verdict == "not_wanted"
        cancelled = by_id[delivered[0]]
        assert cancelled.verdict == "state_mismatch" and cancelled.requeued
        assert f"wc:{delivered[0]}:refund:cancel" in cancelled.detail
        assert report.counts["missing"] == len(missed)
        assert "(SAP Invoices)" in render_table(report)
        # the bridge comes back: the missed orders are invoiced once, the cancel credited
        async with BridgeRuntime(cfg) as rt:
            await settle(st, rt)
        invoices = _by_key(await st.sap_documents("Invoices"))
        assert invoices == {f"wc:{i}:invoice": 1 for i in missed + delivered}
        credits = _by_key(await st.sap_documents("CreditNotes"))
        assert credits == {f"wc:{delivered[0]}:refund:cancel": 1}
        store = await open_store(sqlite_dsn)
        try:
            async with _sap(st.sap_url) as sap:
                again = await reconcile_last(store, st.woo, sap, 7, document="invoice")
        finally:
            await store.close()
        assert again.clean and again.counts["missing"] == 0, render_table(again)
        assert not any(r.requeued for r in again.rows)
        assert {r.order_id: r.sap_state for r in again.rows}[delivered[0]] == "credited"
        # the CLI reads the document type from the bridge's configuration
        cfg_file = tmp_path / "bridge.toml"
        cfg_file.write_text('[bridge]\nsap_document = "invoice"\n')
        out_file = tmp_path / "invoice-report.json"
        argv = ["bridge", "reconcile", "--last", "7", "--config", str(cfg_file)]
        argv += ["--store", sqlite_dsn, "--sap-url", st.sap_url, "--shop-url", st.shop_url]
        argv += ["--report", str(out_file), "--no-requeue", "--strict"]
        rc = await asyncio.to_thread(main, argv)
        assert rc == 0, capsys.readouterr().err
        data = json.loads(out_file.read_text())
        assert data["entity_set"] == "Invoices" and data["counts"]["missing"] == 0
        assert data["counts"]["ok"] == len(missed + delivered)  # the credited cancel too
