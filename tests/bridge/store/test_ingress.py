"""Ingress transaction: content dedup, last-writer-wins snapshots, group commit, quarantine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest

from bridge.store import InboundDelivery, InvalidDelivery, QuarantineEntry, Store

from .helpers import delivery, order


async def test_same_delivery_id_different_content_is_not_a_duplicate(store: Store) -> None:
    a = await store.accept_delivery(delivery(7, "2026-11-23T20:11:19", delivery_id="42"))
    b = await store.accept_delivery(
        delivery(7, "2026-11-23T20:11:20", delivery_id="42", status="completed")
    )
    assert not a.duplicate and not b.duplicate
    assert b.snapshot_changed
    snap = await store.get_snapshot(7)
    assert snap is not None and snap.payload["status"] == "completed" and snap.version == 2
    assert (await store.counts())["inbox"] == 2


async def test_same_content_different_delivery_id_is_a_duplicate(store: Store) -> None:
    first = await store.accept_delivery(delivery(7, delivery_id="1"))
    again = await store.accept_delivery(delivery(7, delivery_id="2", received_at=1_800_000_050.0))
    assert first.snapshot_changed and first.job_id is not None
    assert again == type(again)(duplicate=True)
    counts = await store.counts()
    assert counts["inbox"] == 1 and counts["duplicates"] == 1
    assert counts["jobs"]["pending"] == 1


async def test_newer_replaces_older_is_stale(store: Store) -> None:
    await store.accept_delivery(delivery(3, "2026-11-23T20:00:00", status="pending"))
    newer = await store.accept_delivery(delivery(3, "2026-11-23T20:05:00", status="processing"))
    older = await store.accept_delivery(delivery(3, "2026-11-23T20:01:00", status="on-hold"))
    assert newer.snapshot_changed and not newer.stale
    assert older.stale and not older.snapshot_changed and older.job_id is None
    snap = await store.get_snapshot(3)
    assert snap is not None
    assert snap.payload["status"] == "processing"
    assert snap.date_modified_gmt == "2026-11-23T20:05:00"
    assert (await store.counts())["inbox"] == 3  # the stale copy is kept in the inbox


async def test_tie_with_different_content_asks_for_a_fetch(store: Store) -> None:
    await store.accept_delivery(delivery(5, "2026-11-23T20:00:00", status="processing"))
    tie = await store.accept_delivery(delivery(5, "2026-11-23T20:00:00", status="completed"))
    assert tie.needs_fetch and not tie.snapshot_changed and not tie.duplicate
    snap = await store.get_snapshot(5)
    assert snap is not None and snap.payload["status"] == "processing"
    fetched = await store.replace_snapshot(
        5, order(5, "2026-11-23T20:00:00", status="completed"), "2026-11-23T20:00:00"
    )
    assert fetched.snapshot_changed and fetched.job_id is not None
    snap = await store.get_snapshot(5)
    assert snap is not None
    assert snap.payload["status"] == "completed" and snap.source == "rest" and snap.version == 2


async def test_replace_snapshot_never_goes_back_in_time(store: Store) -> None:
    await store.accept_delivery(delivery(5, "2026-11-23T20:10:00", status="completed"))
    out = await store.replace_snapshot(5, order(5, "2026-11-23T20:00:00"), "2026-11-23T20:00:00")
    assert out.stale and not out.snapshot_changed
    same = await store.replace_snapshot(
        5, order(5, "2026-11-23T20:10:00", status="completed"), "2026-11-23T20:10:00"
    )
    assert not same.snapshot_changed  # identical content: nothing to do
    snap = await store.get_snapshot(5)
    assert snap is not None and snap.payload["status"] == "completed" and snap.version == 1


async def test_raw_body_is_stored_and_hashed(store: Store) -> None:
    body = json.dumps(order(9, "2026-11-23T20:00:00")).encode()
    d = InboundDelivery(
        "woocommerce", "order.created", 9, "2026-11-23T20:00:00", json.loads(body), 1.0, raw=body
    )
    assert (await store.accept_delivery(d)).snapshot_changed
    assert (await store.accept_delivery(d)).duplicate
    snap = await store.get_snapshot(9)
    assert snap is not None and snap.payload == json.loads(body)
    assert len(snap.payload_sha256) == 64


async def test_invalid_delivery_is_rejected_before_anything_is_stored(store: Store) -> None:
    with pytest.raises(InvalidDelivery, match="date_modified_gmt"):
        await store.accept_delivery(delivery(1, "yesterday"))
    with pytest.raises(InvalidDelivery, match="order_id"):
        await store.accept_delivery(delivery(0))
    assert (await store.counts())["inbox"] == 0


async def test_accept_many_is_per_item(store: Store) -> None:
    items = [
        delivery(1, "2026-11-23T20:00:00"),
        delivery(2, "not a date"),
        delivery(1, "2026-11-23T20:00:00", delivery_id="9"),  # same content: duplicate
        delivery(3, "2026-11-23T20:00:00"),
        delivery(1, "2026-11-23T20:00:05", status="completed"),
    ]
    out = await store.accept_many(items)
    assert len(out) == 5
    assert out[0].snapshot_changed and out[0].job_id is not None
    assert out[1].error is not None and "date_modified_gmt" in out[1].error
    assert out[2].duplicate
    assert out[3].snapshot_changed
    assert out[4].snapshot_changed and out[4].job_id == out[0].job_id
    assert await store.get_snapshot(2) is None
    snap = await store.get_snapshot(1)
    assert snap is not None and snap.payload["status"] == "completed"
    counts = await store.counts()
    assert counts["inbox"] == 3 and counts["duplicates"] == 1 and counts["jobs"]["pending"] == 2


async def test_concurrent_writers_on_one_new_order_keep_the_newest(
    store: Store, open_another: Callable[[], Awaitable[Store]]
) -> None:
    other = await open_another()
    stamps = [f"2026-11-23T20:00:{s:02d}" for s in range(20)]
    tasks = [
        (store if i % 2 else other).accept_delivery(delivery(77, ts, status=f"s{i}"))
        for i, ts in enumerate(reversed(stamps))
    ]
    await asyncio.gather(*tasks)
    snap = await store.get_snapshot(77)
    assert snap is not None and snap.date_modified_gmt == stamps[-1]
    job = await store.get_job(77)
    assert job is not None and job.status == "pending"
    assert (await store.counts())["jobs"]["pending"] == 1


async def test_bus_events_dedup_by_event_id_and_order_by_time(store: Store) -> None:
    a = await store.accept_event("magento", "ev-1", 12, {"state": "new"}, 100.0)
    dup = await store.accept_event("magento", "ev-1", 12, {"state": "new"}, 100.0)
    late = await store.accept_event("magento", "ev-0", 12, {"state": "pending"}, 90.0)
    newer = await store.accept_event("magento", "ev-2", 12, {"state": "processing"}, 110.0)
    assert a.snapshot_changed and dup.duplicate and late.stale and newer.snapshot_changed
    snap = await store.get_snapshot(12)
    assert snap is not None and snap.payload == {"state": "processing"} and snap.source == "magento"
    counts = await store.counts()
    assert counts["events_inbox"] == 3 and counts["event_duplicates"] == 1
    assert counts["jobs"]["pending"] == 1


async def test_quarantine_keeps_body_headers_and_reason(store: Store) -> None:
    body = b'{"id": "not-a-number", \xff'
    qid = await store.quarantine(
        QuarantineEntry(
            "woocommerce", "order.created", {"X-WC-Webhook-ID": "3"}, body, "invalid JSON", 5.0
        )
    )
    ign = await store.quarantine(
        QuarantineEntry(
            "woocommerce",
            "coupon.created",
            {},
            b"{}",
            "topic not handled",
            6.0,
            kind="ignored_topic",
        )
    )
    row = await store.get_quarantine(qid)
    assert row is not None and row.body == body and row.headers == {"X-WC-Webhook-ID": "3"}
    assert row.reason == "invalid JSON" and row.kind == "invalid" and row.received_at == 5.0
    listed = await store.list_quarantine()
    assert [q.id for q in listed] == [ign, qid]  # newest first
    only = await store.list_quarantine(kind="ignored_topic")
    assert [q.topic for q in only] == ["coupon.created"]
    assert await store.get_quarantine(999_999) is None
    assert (await store.counts())["quarantine"] == 2


async def test_unstorable_bodies_fail_alone_in_a_batch(store: Store) -> None:
    nul = b'{"id": 2, "note": "a\\u0000b"}'
    bad_utf8 = b'{"id": 3, "note": "\xff"}'
    items = [
        delivery(1),
        InboundDelivery(
            "woocommerce", "order.updated", 2, "2026-11-23T20:00:00", {"id": 2}, 1.0, raw=nul
        ),
        InboundDelivery(
            "woocommerce", "order.updated", 3, "2026-11-23T20:00:00", {"id": 3}, 1.0, raw=bad_utf8
        ),
        delivery(4),
    ]
    out = await store.accept_many(items)
    assert out[0].snapshot_changed and out[3].snapshot_changed
    assert out[1].error is not None and "NUL" in out[1].error
    assert out[2].error is not None and "UTF-8" in out[2].error
    assert (await store.counts())["snapshots"] == 2
    with pytest.raises(InvalidDelivery, match="NUL"):
        await store.accept_event("magento", "ev-9", 9, {"x": "a\x00b"}, 1.0)
    assert (await store.counts())["events_inbox"] == 0
