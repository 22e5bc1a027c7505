"""Review fixes on the worker side: cancel after delivery waits, lookups before create,
lease fencing, deterministic event ids, money, refund lines, graceful stop, poller."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from bridge.config import BridgeConfig
from bridge.mapping import MappingError, _money
from bridge.order import parse_order
from bridge.poller import LRU, Poller
from bridge.sap.errors import DuplicateRefused, Permanent, classify_status
from bridge.store import open_store
from bridge.store.base import Lease
from bridge.worker.deps import LeaseTooShort, StepContext, WorkerDeps
from bridge.worker.loop import Worker
from bridge.worker.plan import next_step
from bridge.worker.steps import _refunded_sku, event_id_for
from fakeshop.lifecycle import compute_refund

from .payloads import order_payload
from .test_e2e import post_webhook
from .test_plan import done, ledger
from .test_worker import mini, shop_order


async def _wait_for(pred: Any, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await pred():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


# -- 1. a failed cancel never undoes the customer's cancel -----------------------------


def test_cancelled_after_delivery_waits_for_the_invoice() -> None:
    order = parse_order(order_payload(1, status="cancelled"))
    base = ledger(done("wc:1:order"), done("wc:1:note:confirmed"), done("wc:1:delivery"))
    step = next_step(order, base)
    assert step is not None and step.name == "await_invoice"
    step = next_step(order, {**base, **ledger(done("wc:1:invoice"))})
    assert step is not None and step.name == "credit_note"


async def test_cancel_of_a_delivered_order_waits_and_keeps_the_shop_cancelled(
    sqlite_dsn: str,
) -> None:
    async with mini(sqlite_dsn) as m:
        order = await shop_order(m)
        oid = int(order["id"])
        await post_webhook(m.rt.url, order, "order.created")
        assert await m.rt.wait_idle(15)
        [doc] = m.sl.orders.values()
        doc["DocumentStatus"] = "bost_Close"  # the warehouse delivered it
        shop = m.rt.shop
        store = m.rt.store
        assert shop is not None and store is not None
        cancelled = await shop.update_order(oid, {"status": "cancelled"})
        await post_webhook(m.rt.url, cancelled, "order.updated")

        async def released() -> bool:
            job = await store.get_job(oid)
            return job is not None and job.status == "pending" and job.run_at > time.time() + 1

        await _wait_for(released)
        assert await store.list_dead_letters() == []
        assert doc.get("Cancelled") == "tNO"
        assert ("POST", f"Orders({doc['DocEntry']})/Cancel") not in m.sl.calls
        assert (await shop.get_order(oid))["status"] == "cancelled"


async def test_dead_letter_of_a_non_create_step_adds_a_note_only(sqlite_dsn: str) -> None:
    async with mini(sqlite_dsn) as m:
        order = await shop_order(m)
        oid = int(order["id"])
        shop, store = m.rt.shop, m.rt.store
        assert shop is not None and store is not None
        await shop.update_order(oid, {"status": "cancelled"})
        await post_webhook(m.rt.url, await shop.get_order(oid), "order.created")
        assert await m.rt.wait_idle(15)
        await store.request_sync(oid)
        worker = m.rt.workers[0]
        for w in m.rt.workers:
            w.stop.set()
        await asyncio.sleep(0.5)
        [lease] = await store.claim_jobs("t", 1, 30, now=time.time())
        from bridge.keys import OrderRef

        await worker._dead(
            lease, "cancel_order", f"wc:{oid}:cancel", "-4006", "cannot cancel", ref=OrderRef(oid)
        )
        assert (await shop.get_order(oid))["status"] == "cancelled"
        notes = await shop.list_notes(oid)
        assert any("SAP refused cancel_order" in n["note"] for n in notes)


# -- 2. lookup before create for any non-fresh row; configurable duplicate markers -------


async def test_failed_row_is_looked_up_before_a_new_create(sqlite_dsn: str) -> None:
    async with mini(sqlite_dsn) as m:
        m.sl.script = ["reject"]
        order = await shop_order(m)
        key = f"wc:{order['id']}:order"
        await post_webhook(m.rt.url, order, "order.created")
        assert await m.rt.wait_idle(15)
        store = m.rt.store
        assert store is not None
        row = await store.get_ledger(key)
        assert row is not None and row.status == "failed"
        # the refused try committed after all (a late commit behind the refusal)
        m.sl.orders[7] = {"DocEntry": 7, "DocNum": 107, "U_IdemKey": key, "Cancelled": "tNO"}
        m.sl.orders[7]["DocumentLines"] = [{"ItemCode": "x"}] * 10
        [dl] = await store.list_dead_letters()
        posts_before = m.sl.calls.count(("POST", "Orders"))
        assert await store.replay_dead_letter(dl.id)
        assert await m.rt.wait_idle(15)
        assert m.sl.calls.count(("POST", "Orders")) == posts_before  # adopted, not created
        row = await store.get_ledger(key)
        assert row is not None and row.status == "done" and row.target_docentry == 7


def test_duplicate_markers_are_configurable() -> None:
    body = {"error": {"code": -5002, "message": {"lang": "en", "value": "U_IdemKey already used"}}}
    assert not isinstance(classify_status(400, body, wrote=True), DuplicateRefused)
    found = classify_status(400, body, wrote=True, duplicate_markers=("already used",))
    assert isinstance(found, DuplicateRefused)
    by_code = classify_status(400, body, wrote=True, duplicate_markers=("-5002",))
    assert isinstance(by_code, DuplicateRefused)
    assert BridgeConfig().sap_duplicate_markers == ("-1116", "duplicate")
    dup = {"error": {"code": -1116, "message": {"lang": "en", "value": "x"}}}
    assert isinstance(classify_status(400, dup, wrote=True), DuplicateRefused)


# -- 3. lease fencing ---------------------------------------------------------------------


class _RefusingStore:
    def __init__(self, *, renew: bool | None) -> None:
        self.renew = renew
        self.renewals = 0

    async def renew_lease(self, lease: Lease, lease_s: float) -> bool:
        self.renewals += 1
        if self.renew is None:
            raise ConnectionError("store unreachable")
        return self.renew


def _deps(store: Any, **cfg: Any) -> WorkerDeps:
    config = BridgeConfig(**cfg)
    return WorkerDeps(config, store, None, None, None, None, None, None, "w")  # type: ignore[arg-type]


def _lease(expires_in: float) -> Lease:
    now = time.time()
    return Lease(1, 1, 1, "w", now + expires_in, 1, now, 1)


async def test_write_is_refused_when_it_could_outlast_the_lease() -> None:
    store = _RefusingStore(renew=False)
    deps = _deps(store, lease_s=60.0, sap_total_timeout_s=30.0)
    order = parse_order(order_payload(1))
    ctx = StepContext(deps, _lease(20.0), order, {})
    called: list[int] = []

    async def post() -> dict[str, Any]:
        called.append(1)
        return {}

    with pytest.raises(LeaseTooShort):
        await ctx.sap_call("POST Orders", "create_order", "wc:1:order", post)
    assert called == [] and store.renewals == 1


async def test_keeper_cancels_before_expiry_when_renewal_keeps_failing() -> None:
    store = _RefusingStore(renew=None)
    worker = Worker(_deps(store, lease_s=3.0, sap_total_timeout_s=2.0))
    lease = _lease(3.0)
    work = asyncio.create_task(asyncio.sleep(30))
    await worker._keep_lease(lease, work)
    stopped_at = time.time()
    await asyncio.sleep(0)
    assert work.cancelled()
    assert stopped_at < lease.expires_at - 0.1  # before another worker could claim it
    assert store.renewals >= 2  # the failed renewal was retried


# -- 4. deterministic event ids -----------------------------------------------------------


async def test_two_observations_of_one_invoice_make_one_outbox_row(sqlite_dsn: str) -> None:
    store = await open_store(sqlite_dsn)
    try:
        pollers = [Poller(store, None, None) for _ in range(2)]  # type: ignore[arg-type]
        real_get = store.get_ledger

        async def racing(key: str) -> Any:
            return None if key.endswith(":invoice") else await real_get(key)

        store.get_ledger = racing  # type: ignore[method-assign]
        # the poller and /callbacks/sap both see the invoice before either recorded it
        for p in pollers:
            assert await p.observe(5, "invoice", 40, 400)
        events = [e for e in await store.fetch_unpublished(100) if e.type == "order.invoiced"]
        assert len(events) == 1
        assert events[0].event_id == event_id_for("wc:5:invoice", "order.invoiced")
    finally:
        await store.close()


# -- 5. money -----------------------------------------------------------------------------


def test_money_rounds_half_up_and_refuses_absurd_amounts() -> None:
    assert _money(Decimal("0.125")) == Decimal("0.13")
    assert _money(Decimal("2.675")) == Decimal("2.68")
    for bad in ("1e400", "NaN", "Infinity"):
        with pytest.raises(MappingError):
            _money(Decimal(bad))
    assert issubclass(MappingError, ValueError) and not issubclass(MappingError, Permanent)


# -- 6. partial refunds against real WooCommerce ids ------------------------------------


def test_refund_line_is_matched_through_refunded_item_id() -> None:
    shop_order_doc = order_payload(1)
    shop_order_doc.update(
        {"payment_method": "bacs", "total_tax": "10.64", "shipping_total": "4.95"}
    )
    for item in shop_order_doc["line_items"]:
        item.update({"subtotal": item["total"], "subtotal_tax": item["total_tax"], "taxes": []})
    shop_order_doc["line_items"][1]["price"] = 11.95
    refund = compute_refund(
        shop_order_doc,
        {
            "amount": "11.95",
            "api_refund": False,
            "line_items": [{"id": 2, "quantity": 1, "refund_total": "11.95"}],
        },
        refund_id=50,
        now=datetime(2026, 11, 24, tzinfo=UTC),
    )
    [line] = refund["line_items"]
    assert line["id"] != 2  # WooCommerce gives the refund line an id of its own
    sku_of = {1: "TSH-RED-M", 2: "FOOD-OLIVE-1L", line["id"]: "WRONG"}
    assert _refunded_sku(line, sku_of) == "FOOD-OLIVE-1L"
    # fallbacks: the order item's own id, then the sku
    assert _refunded_sku({"id": 1}, {1: "TSH-RED-M"}) == "TSH-RED-M"
    assert _refunded_sku({"id": 99, "sku": "TSH-RED-M"}, {1: "TSH-RED-M"}) == "TSH-RED-M"
    assert _refunded_sku({"id": 99, "sku": "OTHER"}, {1: "TSH-RED-M"}) is None


# -- 7. graceful stop releases claims -----------------------------------------------------


async def test_graceful_stop_releases_claimed_jobs(sqlite_dsn: str) -> None:
    async with mini(sqlite_dsn) as m:
        sap = m.rt.sap
        store = m.rt.store
        assert sap is not None and store is not None

        async def hang(*_a: Any, **_k: Any) -> Any:
            await asyncio.sleep(60)

        sap.create = hang  # type: ignore[method-assign]
        order = await shop_order(m)
        oid = int(order["id"])
        await post_webhook(m.rt.url, order, "order.created")

        async def claimed() -> bool:
            job = await store.get_job(oid)
            return job is not None and job.status == "claimed"

        await _wait_for(claimed)
        await m.rt.stop()
        check = await open_store(sqlite_dsn)
        try:
            job = await check.get_job(oid)
            assert job is not None and job.status == "pending"
            assert job.run_at <= time.time()
        finally:
            await check.close()


# -- 8. poller robustness -----------------------------------------------------------------


class _PollSAP:
    """Two invoices of two orders; tracing the first one's order fails."""

    def __init__(self) -> None:
        self.bad = True

    async def query(self, entity: str, flt: str, **_k: Any) -> list[dict[str, Any]]:
        if entity != "Invoices":
            return []
        line = {"BaseType": 17}
        return [
            {"DocEntry": 1, "DocNum": 11, "DocumentLines": [{**line, "BaseEntry": 1}]},
            {"DocEntry": 2, "DocNum": 12, "DocumentLines": [{**line, "BaseEntry": 2}]},
        ]

    async def get(self, entity: str, entry: int, select: str = "") -> dict[str, Any]:
        if entry == 1 and self.bad:
            raise ValueError("corrupt document")
        return {"DocEntry": entry, "U_IdemKey": f"wc:{entry}:order"}


class _Shop:
    async def update_order(self, *_a: Any, **_k: Any) -> None:
        return None

    async def add_note(self, *_a: Any, **_k: Any) -> None:
        return None


async def test_one_bad_document_does_not_stop_the_poll(sqlite_dsn: str) -> None:
    store = await open_store(sqlite_dsn)
    try:
        sap = _PollSAP()
        poller = Poller(store, sap, _Shop())  # type: ignore[arg-type]
        assert await poller.poll_once() == 1
        assert poller.errors == 1
        row = await store.get_ledger("wc:2:invoice")
        assert row is not None and row.status == "done"
        assert poller.high_water["Invoices"] == 0  # held below the failed document
        sap.bad = False
        assert await poller.poll_once() == 1
        assert (await store.get_ledger("wc:1:invoice")) is not None
    finally:
        await store.close()


def test_caches_are_bounded() -> None:
    cache: LRU[int, int] = LRU(3)
    for i in range(10):
        cache[i] = i
    assert list(cache) == [7, 8, 9]
    assert cache.get_fresh(7) == 7 and list(cache) == [8, 9, 7]
    assert Poller(None, None, None).seen.maxsize == 10_000  # type: ignore[arg-type]
