"""End to end: the reference bridge books A/R invoices directly (``sap_document =
"invoice"``) and resolves partners in SAP (``partner_policy = "sap"``, guests get their own
partner), against fakesap and fakeshop; the oracle, given ``oracle_contract("invoice")``,
passes it. A lost reply on ``POST /BusinessPartners`` and on ``POST /Invoices`` duplicates
nothing."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bridge.contract import oracle_contract
from bridge.runtime import BridgeRuntime
from bridge.sap.client import ServiceLayerClient
from scenarios.oracle.contract import Contract
from scenarios.oracle.fetch import fetch_histories
from scenarios.oracle.judge import judge
from tests.bridge.stack import Stack, bridge_config, settle, stack, wait_until


async def _partners(st: Stack) -> list[dict[str, Any]]:
    """Every business partner, read through the Service Layer."""
    async with ServiceLayerClient(st.sap_url, "SBODEMOES", "manager", "manager") as sap:
        return await sap.query("BusinessPartners", page_size=0)


async def test_invoice_mode_books_paid_orders_once_and_the_oracle_passes(sqlite_dsn: str) -> None:
    async with stack() as st:
        cfg = bridge_config(
            sqlite_dsn,
            st.sap_url,
            st.shop_url,
            contract_version="1.2",
            sap_document="invoice",
            partner_policy="sap",
            guest_partner="create",
        )
        # the first partner create and the first invoice lose their replies after commit
        for entity_set in ("BusinessPartners", "Invoices"):
            await st.add_fault(
                {
                    "fault": "commit_then_fail",
                    "entity_set": entity_set,
                    "methods": ["POST"],
                    "max_count": 1,
                    "params": {"outcome": "error", "status": 504},
                }
            )
        before = {p["CardCode"] for p in await _partners(st)}
        async with BridgeRuntime(cfg) as rt:
            await st.subscribe(rt.url)
            ids = await st.generate(12)
            await settle(st, rt)
            assert await st.sap_documents("Invoices") == []  # all pending, unpaid: nothing
            paid = ids[:8]
            for oid in paid:
                await st.woo.update_order(
                    oid, {"status": "processing", "set_paid": True, "transaction_id": f"tx_{oid}"}
                )
            await st.woo.update_order(ids[8], {"status": "cancelled"})  # never paid

            async def booked() -> bool:
                return len(await st.sap_documents("Invoices")) >= len(paid)

            if not await wait_until(booked, 40, 0.3):
                store = rt.store
                assert store is not None
                dead = [f"{d.idem_key}: {d.message}" for d in await store.list_dead_letters()]
                raise AssertionError(f"not all paid orders invoiced: {dead[:3]}")
            # a cancel after invoicing is a credit note, never a cancel of the invoice
            await st.woo.update_order(paid[0], {"status": "cancelled"})

            async def credited() -> bool:
                return len(await st.sap_documents("CreditNotes")) >= 1

            assert await wait_until(credited, 30, 0.3)
            await settle(st, rt)
            counts = await rt.store.counts()  # type: ignore[union-attr]
            assert counts["dlq"] == 0, counts

        invoices = [d["document"] for d in await st.sap_documents("Invoices")]
        keys = Counter(str(d["U_IdemKey"]) for d in invoices)
        assert keys == Counter(f"wc:{oid}:invoice" for oid in paid)
        assert await st.sap_documents("Orders") == []
        by_key = {str(d["U_IdemKey"]): d for d in invoices}
        assert all(by_key[f"wc:{i}:invoice"]["U_TransactionId"] == f"tx_{i}" for i in paid)

        partners = await _partners(st)
        created = [p for p in partners if p["CardCode"] not in before]
        emails = Counter(str(p.get("EmailAddress")) for p in partners if p.get("EmailAddress"))
        assert created, "guests and unknown customers get partners"
        assert all(n == 1 for n in emails.values()), emails  # one partner per email
        cards = {str(d["CardCode"]) for d in invoices}
        assert "WEB-GUEST" not in cards
        assert cards <= {str(p["CardCode"]) for p in partners}
        print(f"invoice mode: {len(invoices)} invoices, {len(created)} partners created")

        async with st.http.get(st.sap_admin("faults")) as r:
            rules = (await r.json())["rules"]
        assert [rule["fired"] for rule in rules] == [1, 1]  # both replies really were lost

        h = await fetch_histories(st.shop_url, st.sap_url.removesuffix("/b1s/v1"))
        verdict = judge(h, Contract.from_mapping(oracle_contract("invoice")))
        failed = {r.name: r.violations[:3] for r in verdict.invariants if not r.ok}
        assert verdict.passed, failed
        # and the sales-order contract would not recognise this bridge's work
        wrong = judge(h, Contract())
        assert not wrong.passed
