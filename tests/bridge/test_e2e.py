"""End to end against real fakesap + fakeshop (in-process) and real SQLite / PostgreSQL.

Each test is one of issue 7's "done when" items; the key ones run on both stores.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp

from bridge.runtime import BridgeRuntime
from bridge.signature import sign

from .stack import SECRET, Stack, bridge_config, settle, stack, wait_until

CONFIRM = re.compile(r"SAP sales order (\d+) created")


async def post_webhook(
    url: str, payload: dict[str, Any], topic: str = "order.updated"
) -> dict[str, Any]:
    import json

    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Signature": sign(SECRET, body),
        "X-WC-Webhook-Source": "http://shop.test/",
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/webhooks/woocommerce", data=body, headers=headers) as r,
    ):
        assert r.status == 200, await r.text()
        return dict(await r.json())


async def confirmation_notes(st: Stack) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for rec in await st.shop_received():
        if rec["kind"] == "note" and CONFIRM.search(str(rec["data"].get("note", ""))):
            out.setdefault(int(rec["order_id"]), []).append(rec["data"]["note"])
    return out


async def test_duplicates_shuffled_one_sap_order_per_shop_order(store_dsn: str) -> None:
    async with stack() as st:
        await st.set_chaos(
            {
                "copies": {"1": 0.2, "2": 0.2, "3": 0.2, "4": 0.2, "5": 0.2},
                "reorder_p": 0.5,
                "reorder_window_ms": 300,
                "burst_p": 0.3,
            }
        )
        cfg = bridge_config(store_dsn, st.sap_url, st.shop_url)
        async with BridgeRuntime(cfg) as rt:
            await st.subscribe(rt.url)
            ids = await st.generate(25)
            await settle(st, rt)
            by_key = await st.sap_orders_by_key()
            assert {f"wc:{i}:order" for i in ids} == set(by_key)
            assert all(n == 1 for n in by_key.values()), by_key
            notes = await confirmation_notes(st)
            assert set(notes) == set(ids)
            assert all(len(v) == 1 for v in notes.values())
            docs = await st.sap_documents()
            doc = next(
                d["document"] for d in docs if d["document"]["U_IdemKey"] == f"wc:{ids[0]}:order"
            )
            assert (
                f"SAP sales order {doc['DocNum']} created (DocEntry {doc['DocEntry']}, key wc:{ids[0]}:order)."
                in notes[ids[0]]
            )
            counts = await rt.store.counts()  # type: ignore[union-attr]
            assert counts["duplicates"] > 0  # copies really arrived and were recognised
            assert counts["dlq"] == 0


async def test_cancel_before_create_creates_nothing_and_tells_shop(store_dsn: str) -> None:
    async with stack() as st:
        [oid] = await st.generate(1)  # no webhook subscribed yet: we deliver by hand
        created = await st.woo.get_order(oid)
        cancelled = await st.woo.set_status(oid, "cancelled")
        cfg = bridge_config(store_dsn, st.sap_url, st.shop_url)
        async with BridgeRuntime(cfg) as rt:
            await post_webhook(rt.url, cancelled, "order.updated")  # the cancel first
            await rt.wait_idle(20)
            late = await post_webhook(rt.url, created, "order.created")  # then the older create
            assert late["status"] in ("stale", "accepted")
            await rt.wait_idle(20)
            assert rt.refresher is not None
            await wait_until(lambda: _true(rt.refresher.pending == set()), 5)
            await rt.wait_idle(20)
            assert await st.sap_orders_by_key() == {}
            received = await st.shop_received()
            notes = [
                r["data"]["note"] for r in received if r["kind"] == "note" and r["order_id"] == oid
            ]
            assert any("before it reached SAP" in n for n in notes), notes
            assert len([n for n in notes if "before it reached SAP" in n]) == 1
            ledger = {r.idem_key: r for r in await rt.store.ledger_for_order(oid)}  # type: ignore[union-attr]
            assert ledger[f"wc:{oid}:skip"].status == "done"


async def _true(value: bool) -> bool:
    return value


async def test_tie_with_different_content_fetches_authoritative_order(sqlite_dsn: str) -> None:
    async with stack() as st:
        [oid] = await st.generate(1)
        real = await st.woo.get_order(oid)
        fake_same_second = dict(real, status="cancelled")  # same date_modified_gmt, other content
        cfg = bridge_config(sqlite_dsn, st.sap_url, st.shop_url, roles=("ingress",))
        async with BridgeRuntime(cfg) as rt:
            first = await post_webhook(rt.url, fake_same_second)
            assert first["status"] == "accepted"
            second = await post_webhook(rt.url, real)
            assert second["needs_fetch"] is True
            assert rt.refresher is not None

            async def refreshed() -> bool:
                snap = await rt.store.get_snapshot(oid)  # type: ignore[union-attr]
                return snap is not None and snap.source == "rest"

            assert await wait_until(refreshed, 10)
            snap = await rt.store.get_snapshot(oid)  # type: ignore[union-attr]
            assert snap is not None and snap.payload["status"] == real["status"]


async def test_commit_then_fail_30_percent_zero_duplicates(store_dsn: str) -> None:
    async with stack(guard=False) as st:  # no SAP-side guard: the lookup alone must prevent dups
        await st.add_fault(
            {
                "id": "lost",
                "fault": "commit_then_fail",
                "methods": ["POST"],
                "entity_set": "Orders",
                "probability": 0.3,
            }
        )
        cfg = bridge_config(store_dsn, st.sap_url, st.shop_url)
        async with BridgeRuntime(cfg) as rt:
            await st.subscribe(rt.url)
            ids = await st.generate(30)
            await settle(st, rt)
            by_key = await st.sap_orders_by_key()
            assert set(by_key) == {f"wc:{i}:order" for i in ids}
            assert all(n == 1 for n in by_key.values()), by_key
            attempts = [a for i in ids for a in await rt.store.list_attempts(i)]  # type: ignore[union-attr]
            assert any(a.outcome == "ambiguous" for a in attempts)  # the fault really fired
            assert any(a.op == "lookup" for a in attempts)


async def _late_commit_run(st: Stack, store_dsn: str) -> tuple[dict[str, int], int]:
    await st.add_fault(
        {
            "id": "late",
            "fault": "late_commit",
            "methods": ["POST"],
            "entity_set": "Orders",
            "max_count": 1,
            "params": {"delay_s": 1.0, "after_disconnect": True},
        }
    )
    cfg = bridge_config(store_dsn, st.sap_url, st.shop_url, sap_total_timeout_s=1.0)
    async with BridgeRuntime(cfg) as rt:
        await st.subscribe(rt.url)
        [oid] = await st.generate(1)
        await settle(st, rt)
        # the late commit lands ~1 s after the bridge hung up
        await wait_until(lambda: _late_landed(st), 6)
        await rt.wait_idle(10)
        by_key = dict(await st.sap_orders_by_key())
        row = await rt.store.get_ledger(f"wc:{oid}:order")  # type: ignore[union-attr]
        assert row is not None and row.status == "done"
        return by_key, oid


async def _late_landed(st: Stack) -> bool:
    async with st.http.get(st.sap_admin("faults/history")) as r:
        data = await r.json()
    items = data.get("history", data if isinstance(data, list) else [])
    return any("committed" in str(h.get("facts")) for h in items)


async def test_late_commit_with_uniqueness_guard_zero_duplicates(sqlite_dsn: str) -> None:
    async with stack(guard=True) as st:
        by_key, oid = await _late_commit_run(st, sqlite_dsn)
        assert by_key == {f"wc:{oid}:order": 1}


async def test_late_commit_without_guard_documents_the_ghost_duplicate(sqlite_dsn: str) -> None:
    """Without the SAP-side guard, the bridge's lookup runs before the late commit lands, finds
    nothing, and creates the order again; then the first request commits too. Two documents
    carry the same key: the ghost duplicate the guard exists for. The harness must show it."""
    async with stack(guard=False) as st:
        by_key, oid = await _late_commit_run(st, sqlite_dsn)
        assert by_key == {f"wc:{oid}:order": 2}


async def test_permanent_line_reject_dlq_on_hold_note_and_replay_once(store_dsn: str) -> None:
    async with stack() as st:
        [oid] = await st.generate(1)
        order = await st.woo.get_order(oid)
        bad_sku = order["line_items"][0]["sku"]
        await st.add_fault(
            {
                "id": "frozen",
                "fault": "line_reject",
                "methods": ["POST"],
                "entity_set": "Orders",
                "params": {"skus": [bad_sku], "error": "item_inactive"},
            }
        )
        cfg = bridge_config(store_dsn, st.sap_url, st.shop_url)
        async with BridgeRuntime(cfg) as rt:
            await st.subscribe(rt.url)
            await post_webhook(rt.url, order, "order.created")
            store = rt.store
            assert store is not None
            assert await wait_until(lambda: _has_dlq(store), 20)
            [dl] = await store.list_dead_letters()
            assert (
                dl.code == "-10"
                and bad_sku in dl.message
                and "[RDR1.ItemCode][line: 1]" in dl.message
            )
            assert await wait_until(lambda: _shop_status(st, oid, "on-hold"), 10)
            notes = [r["data"]["note"] for r in await st.shop_received() if r["kind"] == "note"]
            assert any("SL -10" in n and bad_sku in n for n in notes)
            assert await st.sap_orders_by_key() == {}
            # the fix: the item is released in SAP; then replay through the ops API
            async with st.http.delete(st.sap_admin("faults/frozen")) as r:
                assert r.status == 204
            from tests.bridge.conftest import runtime_ops_headers

            ops = runtime_ops_headers(rt)
            async with st.http.post(f"{rt.url}/ops/dlq/{dl.id}/replay", headers=ops) as r:
                assert r.status == 200
            async with st.http.post(f"{rt.url}/ops/dlq/{dl.id}/replay", headers=ops) as r:
                assert r.status == 409  # a second replay is refused, harmlessly
            await settle(st, rt)
            assert await st.sap_orders_by_key() == {f"wc:{oid}:order": 1}
            events = [e.type for e in await store.fetch_unpublished(100)]
            assert "order.failed" in events and "order.confirmed" in events


async def _has_dlq(store: Any) -> bool:
    return bool(await store.list_dead_letters())


async def _shop_status(st: Stack, oid: int, status: str) -> bool:
    return (await st.woo.get_order(oid))["status"] == status


async def test_breaker_opens_during_partition_and_backlog_drains(sqlite_dsn: str) -> None:
    async with stack() as st:
        await st.add_fault(
            {
                "id": "partition",
                "fault": "http_error",
                "probability": 1.0,
                "params": {"status": 503, "style": "nginx"},
                "duration_s": 2.0,
            }
        )
        cfg = bridge_config(sqlite_dsn, st.sap_url, st.shop_url)
        async with BridgeRuntime(cfg) as rt:
            await st.subscribe(rt.url)
            ids = await st.generate(15)
            await settle(st, rt, 60)
            assert rt.breakers is not None
            assert any(b.opens >= 1 for b in rt.breakers.breakers.values())
            by_key = await st.sap_orders_by_key()
            assert set(by_key) == {f"wc:{i}:order" for i in ids}
            assert all(n == 1 for n in by_key.values())
            counts = await rt.store.counts()  # type: ignore[union-attr]
            assert counts["dlq"] == 0


async def test_lifecycle_payment_delivery_invoice_back_to_shop_then_refund(sqlite_dsn: str) -> None:
    """Paid in the shop → payment on the SAP order → back office delivers and invoices →
    the poller completes the shop order with invoice and tracking → a full refund after
    invoicing becomes one credit note based on the invoice."""
    async with stack(backoffice={"enabled": True, "tick_s": 0.2, "delay_s": 0.2}) as st:
        cfg = bridge_config(sqlite_dsn, st.sap_url, st.shop_url, poll_interval_s=0.3)
        async with BridgeRuntime(cfg) as rt:
            await st.subscribe(rt.url)
            ids = await st.generate(3)
            await settle(st, rt)
            for oid in ids:
                await st.woo.update_order(
                    oid, {"status": "processing", "set_paid": True, "transaction_id": f"tx_{oid}"}
                )

            async def all_completed() -> bool:
                return all([await _shop_status(st, oid, "completed") for oid in ids])

            assert await wait_until(all_completed, 40, 0.3)
            orders = {d["document"]["U_IdemKey"]: d["document"] for d in await st.sap_documents()}
            assert all(orders[f"wc:{i}:order"].get("U_TransactionId") == f"tx_{i}" for i in ids)
            notes = [r["data"]["note"] for r in await st.shop_received() if r["kind"] == "note"]
            assert sum("SAP invoice" in n and "tracking" in n for n in notes) == len(ids)
            # a full refund after invoicing: credit note, never a delete or cancel
            first = ids[0]
            order = await st.woo.get_order(first)
            await st.woo.request(
                "POST", f"orders/{first}/refunds", {"amount": order["total"], "api_refund": False}
            )
            await st.drain_shop()

            async def credited() -> bool:
                return len(await st.sap_documents("CreditNotes")) >= 1

            assert await wait_until(credited, 20, 0.3)
            await rt.wait_idle(10)
            [cn] = await st.sap_documents("CreditNotes")
            assert str(cn["document"]["U_IdemKey"]).startswith(f"wc:{first}:refund:")
            assert all(line.get("BaseType") == 13 for line in cn["document"]["DocumentLines"])
            # a partial refund of one unit of one line: a one-line credit note for that unit
            second = await st.woo.get_order(ids[1])
            line = second["line_items"][0]
            unit = f"{float(line['total']) / line['quantity']:.2f}"
            await st.woo.request(
                "POST",
                f"orders/{ids[1]}/refunds",
                {
                    "amount": unit,
                    "api_refund": False,
                    "line_items": [{"id": line["id"], "quantity": 1, "refund_total": unit}],
                },
            )
            await st.drain_shop()

            async def two_credit_notes() -> bool:
                return len(await st.sap_documents("CreditNotes")) >= 2

            assert await wait_until(two_credit_notes, 20, 0.3)
            await rt.wait_idle(10)
            notes_by_key = {
                d["document"]["U_IdemKey"]: d["document"]
                for d in await st.sap_documents("CreditNotes")
            }
            assert len(notes_by_key) == 2
            partial = next(
                d for k, d in notes_by_key.items() if k.startswith(f"wc:{ids[1]}:refund:")
            )
            [cl] = partial["DocumentLines"]
            assert cl["ItemCode"] == line["sku"] and float(cl["Quantity"]) == 1.0
            assert await rt.store.list_dead_letters() == []  # type: ignore[union-attr]


async def _seed_partial(st: Stack, rt: BridgeRuntime, order: dict[str, Any]) -> int:
    """A header-first client created the SAP order with only its first line, then died."""
    from bridge.mapping import MappingContext, to_sap_order
    from bridge.order import parse_order
    from sapchaos.catalog import load_catalog

    doc = to_sap_order(parse_order(order), MappingContext(load_catalog()))
    doc["DocumentLines"] = doc["DocumentLines"][:1]
    assert rt.sap is not None and rt.store is not None
    created = await rt.sap.create("Orders", doc)
    await rt.store.record_intent(
        None, f"wc:{order['id']}:order", int(order["id"]), "create_order", "Orders"
    )
    return int(created["DocEntry"])


async def test_partial_document_is_completed(sqlite_dsn: str) -> None:
    async with stack() as st:
        [oid] = await st.generate(1)
        order = await st.woo.get_order(oid)
        assert len(order["line_items"]) >= 2
        cfg = bridge_config(sqlite_dsn, st.sap_url, st.shop_url)
        async with BridgeRuntime(cfg) as rt:
            entry = await _seed_partial(st, rt, order)
            await post_webhook(rt.url, order, "order.created")
            assert await rt.wait_idle(20)
            [doc] = [d["document"] for d in await st.sap_documents()]
            assert doc["DocEntry"] == entry and doc["Cancelled"] != "tYES"
            assert sorted(line["ItemCode"] for line in doc["DocumentLines"]) == sorted(
                i["sku"] for i in order["line_items"]
            )


async def test_partial_document_cancelled_when_completion_refused(sqlite_dsn: str) -> None:
    async with stack() as st:
        [oid] = await st.generate(1)
        order = await st.woo.get_order(oid)
        await st.add_fault(
            {
                "id": "halfway",
                "fault": "partial_document",
                "methods": ["PATCH"],
                "entity_set": "Orders",
            }
        )
        cfg = bridge_config(sqlite_dsn, st.sap_url, st.shop_url)
        async with BridgeRuntime(cfg) as rt:
            await _seed_partial(st, rt, order)
            await post_webhook(rt.url, order, "order.created")
            assert await rt.wait_idle(20)
            [doc] = [d["document"] for d in await st.sap_documents()]
            assert doc["Cancelled"] == "tYES"  # never left silently incomplete
            [dl] = await rt.store.list_dead_letters()  # type: ignore[union-attr]
            assert "partial SAP order" in dl.message and "cancelled" in dl.message
            # the data is fixed; a replay creates a complete order (the cancelled one stays)
            await st.clear_faults()
            assert await rt.store.replay_dead_letter(dl.id)  # type: ignore[union-attr]
            assert await rt.wait_idle(20)
            docs = [d["document"] for d in await st.sap_documents()]
            live = [d for d in docs if d["Cancelled"] != "tYES"]
            assert len(docs) == 2 and len(live) == 1
            assert len(live[0]["DocumentLines"]) == len(order["line_items"])


async def test_sap_callbacks_record_delivery_and_invoice(sqlite_dsn: str) -> None:
    """Signed back-office callbacks (fakesap's documented event format) instead of polling:
    recorded once even when repeated, then the shop order is completed with a note."""
    import json

    secret = "cb-secret"
    async with stack() as st:
        cfg = bridge_config(
            sqlite_dsn,
            st.sap_url,
            st.shop_url,
            sap_callback_secret=secret,
            roles=("ingress", "worker"),
        )
        async with BridgeRuntime(cfg) as rt:
            [oid] = await st.generate(1)
            order = await st.woo.get_order(oid)
            await post_webhook(rt.url, order, "order.created")
            assert await rt.wait_idle(20)
            sap_order = (await st.sap_documents())[0]["document"]

            async def send(
                event: dict[str, Any], signature: str | None = None
            ) -> aiohttp.ClientResponse:
                body = json.dumps(event).encode()
                headers = {
                    "Content-Type": "application/json",
                    "X-SAPChaos-Signature": signature or sign(secret, body),
                }
                async with st.http.post(f"{rt.url}/callbacks/sap", data=body, headers=headers) as r:
                    await r.read()
                    return r

            base = {
                "entity_set": "DeliveryNotes",
                "base_order_doc_entry": sap_order["DocEntry"],
                "U_IdemKey": f"wc:{oid}:order",
                "NumAtCard": str(oid),
            }
            shipped = dict(
                base,
                event_id="e1",
                type="order.shipped",
                doc_entry=7,
                doc_num=7,
                tracking_no="1Z999",
            )
            invoiced = dict(
                base,
                event_id="e2",
                type="order.invoiced",
                entity_set="Invoices",
                doc_entry=9,
                doc_num=9,
                doc_total="12.10",
            )
            assert (await send(shipped, "bad")).status == 401
            assert (await send(shipped)).status == 200
            assert (await send(shipped)).status == 200  # a duplicate callback is harmless
            assert (await send(invoiced)).status == 200
            assert await _shop_status(st, oid, "completed")
            inv = await rt.store.get_ledger(f"wc:{oid}:invoice")  # type: ignore[union-attr]
            assert inv is not None and inv.status == "done" and inv.target_docnum == 9
            notes = [
                r["data"]["note"]
                for r in await st.shop_received()
                if r["kind"] == "note" and "SAP invoice" in str(r["data"].get("note"))
            ]
            assert len(notes) == 1 and "delivery 7" in notes[0]


async def test_same_bridge_against_service_layer_v2(sqlite_dsn: str) -> None:
    """OData v4 (``/b1s/v2``): other error and collection shapes, same exactly-once result."""
    async with stack(guard=False) as st:
        await st.add_fault(
            {
                "id": "lost",
                "fault": "commit_then_fail",
                "methods": ["POST"],
                "entity_set": "Orders",
                "probability": 0.5,
                "params": {"style": "sl"},
            }
        )
        v2 = st.sap_url.replace("/b1s/v1", "/b1s/v2")
        async with BridgeRuntime(bridge_config(sqlite_dsn, v2, st.shop_url)) as rt:
            await st.subscribe(rt.url)
            ids = await st.generate(8)
            await settle(st, rt)
            by_key = await st.sap_orders_by_key()
            assert by_key == {f"wc:{i}:order": 1 for i in ids}
            async with st.http.get(st.sap_admin("journal")) as r:
                paths = {e["path"] for e in (await r.json())["requests"]}
            assert any(p.startswith("/b1s/v2/Orders") for p in paths)


async def test_session_expiry_relogins_transparently(sqlite_dsn: str) -> None:
    async with stack() as st:
        await st.add_fault(
            {
                "id": "churn",
                "fault": "session_expiry",
                "probability": 0.3,
                "params": {"scope": "all"},
            }
        )
        async with BridgeRuntime(bridge_config(sqlite_dsn, st.sap_url, st.shop_url)) as rt:
            await st.subscribe(rt.url)
            ids = await st.generate(10)
            await settle(st, rt)
            assert await st.sap_orders_by_key() == {f"wc:{i}:order": 1 for i in ids}
            assert rt.sap is not None and rt.sap.logins > 1
            assert await rt.store.list_dead_letters() == []  # type: ignore[union-attr]


async def test_fakesap_backoffice_callbacks_complete_the_shop_order(sqlite_dsn: str) -> None:
    """fakesap's real back office sends signed callbacks; no poller role runs."""
    from sapchaos.net import free_port

    port, secret = free_port(), "cb-secret"
    backoffice = {
        "enabled": True,
        "tick_s": 0.2,
        "delay_s": 0.2,
        "callback_secret": secret,
        "callback_url": f"http://127.0.0.1:{port}/callbacks/sap",
    }
    async with stack(backoffice=backoffice) as st:
        cfg = bridge_config(
            sqlite_dsn,
            st.sap_url,
            st.shop_url,
            port=port,
            sap_callback_secret=secret,
            roles=("ingress", "worker"),
        )
        async with BridgeRuntime(cfg) as rt:
            await st.subscribe(rt.url)
            [oid] = await st.generate(1)
            await settle(st, rt)
            await st.woo.update_order(
                oid, {"status": "processing", "set_paid": True, "transaction_id": "tx_cb"}
            )
            assert await wait_until(lambda: _shop_status(st, oid, "completed"), 20, 0.3)
            dlv = await rt.store.get_ledger(f"wc:{oid}:delivery")  # type: ignore[union-attr]
            assert dlv is not None and dlv.status == "done"
            assert rt.poller is None
