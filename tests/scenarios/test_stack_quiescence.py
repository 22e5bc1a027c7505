"""Quiescence from ground truth only: counters, incremental cursors, a bounded quiet period."""

from __future__ import annotations

import time

import aiohttp

from scenarios.oracle import judge
from scenarios.stack import EmbeddedStack, StackSettings


async def test_counters_and_quiescence_when_every_order_is_acknowledged() -> None:
    async with EmbeddedStack(StackSettings(seed=5)) as st:
        assert await st.counters() == {"orders": 0, "in_sap": 0, "acknowledged": 0}
        await st.generate_orders(15)
        seen: list[tuple[int, int]] = []
        assert await st.wait_quiescent(15, timeout_s=120, progress=lambda a, n: seen.append((a, n)))
        assert await st.counters() == {"orders": 15, "in_sap": 15, "acknowledged": 15}
        assert seen and seen[-1] == (15, 15)
        # the cursors moved past what was read: the next look reads nothing old again
        assert st.progress.shop_cursor >= 15 and st.progress.sap_cursor == 15
        await st.generate_orders(5)
        assert await st.wait_quiescent(20, timeout_s=120)
        assert (await st.counters())["acknowledged"] == 20
        assert judge(await st.histories()).passed


async def test_a_bridge_that_loses_orders_ends_after_the_quiet_period_with_a_failing_verdict() -> (
    None
):
    """Half of the webhooks are dropped and the reconciler is off: orders are lost. The
    wait ends after the quiet period (not the timeout) and the oracle names the loss."""
    settings = StackSettings(
        seed=11,
        shop_chaos={"drop_p": 0.5},
        bridge_overrides={"reconcile_interval_s": 0.0},
    )
    async with EmbeddedStack(settings) as st:
        await st.generate_orders(20)
        t0 = time.monotonic()
        settled = await st.wait_quiescent(20, timeout_s=300, quiet_s=1.5)
        waited = time.monotonic() - t0
        c = await st.counters()
        verdict = judge(await st.histories())
    assert not settled
    assert waited < 120  # ended by the quiet period, far before the 300 s timeout
    assert c["orders"] == 20 and 0 < c["acknowledged"] < 20
    assert c["in_sap"] == c["acknowledged"]
    assert not verdict.passed
    lost = next(r for r in verdict.invariants if r.name == "no_lost_order")
    assert not lost.ok and len(lost.violations) == 20 - c["acknowledged"]


async def test_quiescence_works_without_any_bridge_object() -> None:
    """No bridge at all: nothing is acknowledged and the wait ends after the quiet period."""
    async with EmbeddedStack(StackSettings(seed=2, no_bridge=True)) as st:
        assert st.bridge is None and st.bridge_proc is None
        await st.generate_orders(3)
        assert not await st.wait_quiescent(3, timeout_s=120, quiet_s=0.5)
        assert await st.counters() == {"orders": 3, "in_sap": 0, "acknowledged": 0}


async def test_admin_cursors_and_counters() -> None:
    """fakeshop ``/__admin/stats`` and ``received?since=``; fakesap ``documents?since=`` and
    the write counter in ``/__admin/health``."""
    async with EmbeddedStack(StackSettings(seed=3)) as st:
        await st.generate_orders(4)
        assert await st.wait_quiescent(4, timeout_s=120)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{st.shop_url}/__admin/stats") as r:
                stats = await r.json()
            assert stats["orders"] == 4 and stats["changes"] >= 4
            assert stats["received"] >= 4 and stats["pending_deliveries"] == 0
            assert stats["deliveries"] >= 4
            async with http.get(f"{st.shop_url}/__admin/received?since=2") as r:
                part = await r.json()
            async with http.get(f"{st.shop_url}/__admin/received") as r:
                whole = await r.json()
            assert part["received"] == whole["received"][2:]
            assert part["next"] == whole["next"] == len(whole["received"])
            async with http.get(f"{st.sap_url}/__admin/health") as r:
                health = await r.json()
            assert health["documents"] == 4 and health["writes"] >= 5  # login + 4 creates
            async with http.get(f"{st.sap_url}/__admin/documents?since=3") as r:
                docs = await r.json()
            assert len(docs["documents"]) == 1 and docs["next"] == 4
            async with http.get(f"{st.sap_url}/b1s/v1/Orders?$top=1") as r:
                assert r.status == 401  # a read does not count as a write
            async with http.get(f"{st.sap_url}/__admin/health") as r:
                assert (await r.json())["writes"] == health["writes"]


def test_progress_follows_the_contract() -> None:
    """A foreign bridge's conventions: SAP key in NumAtCard as the order number, the
    acknowledgement as an order meta key; records of other shapes are ignored."""
    from types import SimpleNamespace

    from scenarios.quiescence import GroundTruthProgress

    contract = SimpleNamespace(
        key_field="NumAtCard",
        key_pattern="WEB-{number}",
        prefix="wc",
        document_type="Orders",
        ack_note_regex=r"booked as (\d+)",
        ack_meta_key="_sap_docnum",
    )
    p = GroundTruthProgress(contract)
    p.add_documents(
        [
            {"entity_set": "Orders", "document": {"NumAtCard": "WEB-1001"}},
            {"entity_set": "Orders", "document": {"NumAtCard": "WEB-1001"}},  # a duplicate
            {"entity_set": "Orders", "document": {"NumAtCard": "other"}},
            {"entity_set": "Invoices", "document": {"NumAtCard": "WEB-1002"}},
            {"entity_set": "Orders", "document": {"U_IdemKey": "wc:1003:order"}},
        ]
    )
    p.add_received(
        [
            {
                "kind": "meta",
                "order_id": 1001,
                "data": {"meta_data": [{"key": "_sap_docnum", "value": "7"}]},
            },
            {
                "kind": "meta",
                "order_id": 1002,
                "data": {"meta_data": [{"key": "other", "value": "7"}]},
            },
            {"kind": "note", "order_id": 1003, "data": {"note": "booked as 12"}},
            {"kind": "note", "order_id": 1004, "data": {"note": "SAP sales order 5 created"}},
            {"kind": "status", "order_id": 1005, "data": {"from": "a", "to": "b"}},
        ]
    )
    assert p.in_sap == {"WEB-1001"}
    assert p.acked == {1001, 1003}
    default = GroundTruthProgress()
    default.add_received(
        [{"kind": "note", "order_id": 9, "data": {"note": "SAP sales order 5 created"}}]
    )
    default.add_documents([{"entity_set": "Orders", "document": {"U_IdemKey": "wc:9:order"}}])
    assert default.counters() == {"orders": 0, "in_sap": 1, "acknowledged": 1}
