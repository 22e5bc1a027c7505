"""Ledger (intent before the SAP call), events outbox and audit trail."""

from __future__ import annotations

import pytest

from bridge.store import Lease, LeaseLost, OutboxEvent, Store, StoreError

from .conftest import FakeClock
from .helpers import delivery


async def _lease(store: Store, order_id: int = 1) -> Lease:
    await store.accept_delivery(delivery(order_id))
    (lease,) = await store.claim_jobs("w1", 1, 30)
    return lease


def _event(n: int, order_id: int = 1) -> OutboxEvent:
    return OutboxEvent(
        f"00000000-0000-4000-8000-{n:012d}", "order.confirmed", f"wc:{order_id}", {"n": n}
    )


async def test_intent_then_done_with_events_in_one_transaction(store: Store) -> None:
    lease = await _lease(store)
    row = await store.record_intent(lease, "wc:1:order", 1, "create_order", "Orders")
    assert row.fresh and row.status == "intent" and row.attempts == 1
    await store.mark_done(lease, "wc:1:order", 321, 1001, [_event(1), _event(2)])
    done = await store.get_ledger("wc:1:order")
    assert done is not None and done.status == "done"
    assert (done.target_docentry, done.target_docnum, done.target_entity) == (321, 1001, "Orders")
    events = await store.fetch_unpublished()
    assert [e.payload["n"] for e in events] == [1, 2]
    assert events[0].correlation_id == "wc:1" and events[0].created_at is not None
    # a later intent for a done key reports done and keeps it done
    again = await store.record_intent(lease, "wc:1:order", 1, "create_order", "Orders")
    assert again.status == "done" and not again.fresh and again.attempts == 2
    await store.mark_failed(lease, "wc:1:order", "late error report")
    still = await store.get_ledger("wc:1:order")
    assert still is not None and still.status == "done"


async def test_mark_done_under_a_lost_lease_writes_nothing(store: Store, clock: FakeClock) -> None:
    lease = await _lease(store)
    await store.record_intent(lease, "wc:1:order", 1, "create_order", "Orders")
    clock.advance(60)
    await store.claim_jobs("w2", 1, 30)
    with pytest.raises(LeaseLost):
        await store.mark_done(lease, "wc:1:order", 5, 5, [_event(1)])
    row = await store.get_ledger("wc:1:order")
    assert row is not None and row.status == "intent"
    assert await store.fetch_unpublished() == []


async def test_ambiguous_and_failed_are_reported_to_the_next_attempt(store: Store) -> None:
    lease = await _lease(store)
    await store.record_intent(lease, "wc:1:order", 1, "create_order", "Orders")
    await store.mark_ambiguous(lease, "wc:1:order", "timeout after 30 s")
    row = await store.record_intent(lease, "wc:1:order", 1, "create_order", "Orders")
    assert (
        row.status == "ambiguous" and row.attempts == 2 and row.last_error == "timeout after 30 s"
    )
    stored = await store.get_ledger("wc:1:order")
    assert stored is not None and stored.status == "ambiguous"
    await store.record_intent(None, "wc:1:invoice", 1, "record_payment", "Invoices")
    await store.mark_failed(None, "wc:1:invoice", "-5002 line 2 rejected")
    row = await store.record_intent(None, "wc:1:invoice", 1, "record_payment", "Invoices")
    assert row.status == "failed" and row.attempts == 2
    stored = await store.get_ledger("wc:1:invoice")
    assert stored is not None and stored.status == "intent"
    keys = [r.idem_key for r in await store.ledger_for_order(1)]
    assert sorted(keys) == ["wc:1:invoice", "wc:1:order"]
    assert (await store.counts())["ledger"] == {"ambiguous": 1, "intent": 1}
    with pytest.raises(StoreError, match="record_intent"):
        await store.mark_done(None, "wc:404:order", 1, 1)


async def test_outbox_publish_marking(store: Store, clock: FakeClock) -> None:
    await store.enqueue_events([_event(i) for i in range(1, 5)])
    await store.enqueue_events([_event(2)])  # same event id: ignored
    assert await store.pending_work() == 4
    first = await store.fetch_unpublished(limit=2)
    assert [e.payload["n"] for e in first] == [1, 2]
    clock.advance(1)
    assert await store.mark_published([e.event_id for e in first]) == 2
    assert await store.mark_published([first[0].event_id]) == 0
    rest = await store.fetch_unpublished()
    assert [e.payload["n"] for e in rest] == [3, 4] and rest[0].published_at is None
    assert (await store.counts())["outbox_unpublished"] == 2
    assert await store.mark_published([e.event_id for e in rest]) == 2
    assert await store.pending_work() == 0


async def test_attempts_are_append_only_audit(store: Store) -> None:
    lease = await _lease(store, 3)
    a = await store.append_attempt(
        lease, 3, "create_order", "wc:3:order", "timeout", {"ms": 30000}, 30000.5
    )
    b = await store.append_attempt(None, 3, "reconcile", None, "ok", {"found": True}, 12)
    rows = await store.list_attempts(3)
    assert [r.id for r in rows] == [a, b]
    assert rows[0].worker_id == "w1" and rows[0].token == lease.token
    assert rows[0].detail == {"ms": 30000} and rows[0].duration_ms == 30000.5
    assert rows[1].worker_id is None and rows[1].idem_key is None
    assert await store.list_attempts(4) == []
