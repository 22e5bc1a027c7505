"""Jobs: one per order, coalescing, fenced leases, retries, dead letters and replay."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bridge.store import DeadLetter, LeaseLost, OutboxEvent, Store

from .conftest import FakeClock
from .helpers import delivery


async def test_one_job_per_order_coalesces(store: Store) -> None:
    ids = set()
    for s in range(5):
        out = await store.accept_delivery(delivery(4, f"2026-11-23T20:00:0{s}"))
        ids.add(out.job_id)
    assert len(ids) == 1 and None not in ids
    job = await store.get_job(4)
    assert job is not None and job.status == "pending" and job.desired_version == 5
    counts = await store.counts()
    assert sum(counts["jobs"].values()) == 1


async def test_new_data_while_claimed_marks_dirty_and_runs_again(store: Store) -> None:
    await store.accept_delivery(delivery(4, "2026-11-23T20:00:00"))
    (lease,) = await store.claim_jobs("w1", 10, 30)
    assert lease.desired_version == 1
    out = await store.accept_delivery(delivery(4, "2026-11-23T20:00:09", status="completed"))
    assert out.job_id == lease.job_id
    job = await store.get_job(4)
    assert job is not None and job.status == "claimed" and job.dirty
    assert await store.claim_jobs("w2", 10, 30) == []  # still leased
    await store.complete_job(lease)
    job = await store.get_job(4)
    assert job is not None and job.status == "pending" and not job.dirty
    (again,) = await store.claim_jobs("w2", 10, 30)
    assert again.token > lease.token and again.desired_version == 2
    await store.complete_job(again)
    job = await store.get_job(4)
    assert job is not None and job.status == "done" and job.attempts == 0
    assert await store.pending_work() == 0
    # new data on a done job makes it pending again
    await store.accept_delivery(delivery(4, "2026-11-23T20:01:00", status="refunded"))
    job = await store.get_job(4)
    assert job is not None and job.status == "pending"


async def test_two_concurrent_claimers_never_share_a_job(
    store: Store, open_another: Callable[[], Awaitable[Store]]
) -> None:
    n = 150
    await store.accept_many([delivery(i, "2026-11-23T20:00:00") for i in range(1, n + 1)])
    other = await open_another()

    async def claimer(s: Store, name: str) -> list[int]:
        got: list[int] = []
        while True:
            leases = await s.claim_jobs(name, 7, 60)
            if not leases:
                return got
            got.extend(lease.job_id for lease in leases)
            await asyncio.sleep(0)

    results = await asyncio.gather(
        claimer(store, "a"), claimer(other, "b"), claimer(store, "c"), claimer(other, "d")
    )
    flat = [j for r in results for j in r]
    assert len(flat) == n and len(set(flat)) == n
    assert sum(1 for r in results if r) >= 2  # the work really was shared
    assert (await store.counts())["jobs"]["claimed"] == n


async def test_expired_lease_is_reclaimed_and_old_holder_is_fenced(
    store: Store, clock: FakeClock
) -> None:
    await store.accept_delivery(delivery(8))
    (old,) = await store.claim_jobs("w1", 1, 30)
    assert old.attempts == 1 and old.token == 1
    clock.advance(31)
    (new,) = await store.claim_jobs("w2", 1, 30)
    assert new.job_id == old.job_id and new.token > old.token and new.attempts == 2
    assert new.first_attempt_at == old.first_attempt_at
    with pytest.raises(LeaseLost, match="reclaimed"):
        await store.complete_job(old)
    with pytest.raises(LeaseLost):
        await store.record_intent(old, "wc:8:order", 8, "create_order", "Orders")
    with pytest.raises(LeaseLost):
        await store.append_attempt(old, 8, "create_order", "wc:8:order", "ok", {}, 1.0)
    with pytest.raises(LeaseLost):
        await store.retry_job(old, clock() + 5, "boom")
    assert not await store.renew_lease(old, 30)
    assert await store.get_ledger("wc:8:order") is None
    assert await store.list_attempts(8) == []
    assert await store.renew_lease(new, 100)
    assert new.expires_at == clock() + 100
    await store.complete_job(new)
    job = await store.get_job(8)
    assert job is not None and job.status == "done"


async def test_expired_lease_without_reclaim_is_lost_too(store: Store, clock: FakeClock) -> None:
    await store.accept_delivery(delivery(8))
    (lease,) = await store.claim_jobs("w1", 1, 10)
    clock.advance(11)
    with pytest.raises(LeaseLost, match="expired"):
        await store.complete_job(lease)
    assert not await store.renew_lease(lease, 10)


async def test_retry_waits_until_due_and_release_does_not_count(
    store: Store, clock: FakeClock
) -> None:
    await store.accept_delivery(delivery(2))
    (lease,) = await store.claim_jobs("w1", 1, 30)
    await store.retry_job(lease, clock() + 20, "HTTP 503")
    job = await store.get_job(2)
    assert job is not None and job.status == "retrying" and job.last_error == "HTTP 503"
    assert await store.next_run_at() == clock() + 20
    assert await store.claim_jobs("w1", 1, 30) == []
    clock.advance(20)
    (second,) = await store.claim_jobs("w1", 1, 30)
    assert second.attempts == 2
    await store.release_job(second)  # breaker open: not an attempt
    job = await store.get_job(2)
    assert job is not None and job.status == "pending" and job.attempts == 1
    (third,) = await store.claim_jobs("w1", 1, 30, now=clock())
    assert third.attempts == 2
    assert await store.next_run_at() == third.expires_at


async def test_dead_letter_and_replay_once(store: Store, clock: FakeClock) -> None:
    await store.accept_delivery(delivery(6))
    (lease,) = await store.claim_jobs("w1", 1, 30)
    dl_id = await store.dead_letter(
        lease,
        DeadLetter("create_order", "wc:6:order", "-5002", "Invalid BP code", {"CardCode": "C9"}),
    )
    job = await store.get_job(6)
    assert job is not None and job.status == "dead" and "-5002" in (job.last_error or "")
    assert await store.pending_work() == 0
    # new data does not revive a dead job by itself (compensations edit the order)
    out = await store.accept_delivery(delivery(6, "2026-11-23T21:00:00", status="on-hold"))
    assert out.snapshot_changed and out.job_id is None
    (row,) = await store.list_dead_letters()
    assert row.id == dl_id and row.payload == {"CardCode": "C9"} and row.replayed_at is None
    assert row.order_id == 6 and row.code == "-5002" and row.op == "create_order"
    with pytest.raises(LeaseLost):
        await store.complete_job(lease)
    clock.advance(5)
    assert await store.replay_dead_letter(dl_id)
    assert not await store.replay_dead_letter(dl_id)
    assert not await store.replay_dead_letter(424242)
    assert await store.replay_all_dead_letters() == 0
    job = await store.get_job(6)
    assert job is not None and job.status == "pending" and job.attempts == 0
    replayed = await store.get_dead_letter(dl_id)
    assert replayed is not None and replayed.replayed_at == clock() and replayed.replay_count == 1
    assert await store.list_dead_letters() == []
    assert len(await store.list_dead_letters(include_replayed=True)) == 1
    (again,) = await store.claim_jobs("w1", 1, 30)
    assert again.attempts == 1 and again.desired_version == 2


async def test_replay_all(store: Store) -> None:
    await store.accept_many([delivery(i) for i in (1, 2, 3)])
    for lease in await store.claim_jobs("w", 3, 30):
        await store.dead_letter(
            lease, DeadLetter("create_order", f"wc:{lease.order_id}:order", "-10", "x")
        )
    counts = await store.counts()
    assert counts["dlq"] == 3 and counts["dlq_unreplayed"] == 3 and counts["jobs"]["dead"] == 3
    assert await store.replay_all_dead_letters() == 3
    assert await store.replay_all_dead_letters() == 0
    assert (await store.counts())["jobs"]["pending"] == 3


async def test_list_jobs_and_prune(store: Store, clock: FakeClock) -> None:
    await store.accept_many([delivery(i, received_at=clock()) for i in (1, 2, 3)])
    (lease,) = await store.claim_jobs("w", 1, 30)
    assert [j.order_id for j in await store.list_jobs("pending")] == [2, 3]
    assert [j.status for j in await store.list_jobs("claimed")] == ["claimed"]
    assert len(await store.list_jobs(limit=2)) == 2
    await store.enqueue_events(
        [
            OutboxEvent("e1", "order.confirmed", "wc:1", {}),
            OutboxEvent("e2", "order.confirmed", "wc:2", {}),
        ]
    )
    await store.mark_published(["e1"])
    clock.advance(3600)
    assert await store.prune(clock() - 60) == {"inbox": 3, "event_inbox": 0, "outbox": 1}
    # a late duplicate of a pruned delivery changes nothing
    late = await store.accept_delivery(delivery(2))
    assert not late.snapshot_changed and late.job_id is None
    assert await store.pending_work() == 4  # 3 jobs not done + e2 unpublished
    assert lease.order_id == 1


async def test_request_sync_requeues_by_status(store: Store, clock: FakeClock) -> None:
    """pending/retrying/done → pending now; claimed → dirty; dead → untouched."""
    await store.accept_many([delivery(i) for i in (1, 2, 3, 4)])
    leases = {lease.order_id: lease for lease in await store.claim_jobs("w", 4, 30)}
    await store.complete_job(leases[1])  # done
    await store.retry_job(leases[2], clock() + 600, "HTTP 503")  # retrying, far in the future
    await store.dead_letter(leases[3], DeadLetter("create_order", "wc:3:order", "-10", "x"))
    # order 4 stays claimed
    clock.advance(5)
    for order_id in (1, 2, 3, 4):
        await store.request_sync(order_id)

    done = await store.get_job(1)
    assert done is not None and done.status == "pending" and done.run_at == clock()
    assert done.attempts == 0 and done.first_attempt_at is None
    retrying = await store.get_job(2)
    assert retrying is not None and retrying.status == "pending" and retrying.run_at == clock()
    assert retrying.attempts == 1  # the retry budget is not reset by a wake-up
    dead = await store.get_job(3)
    assert dead is not None and dead.status == "dead"
    claimed = await store.get_job(4)
    assert claimed is not None and claimed.status == "claimed" and claimed.dirty
    assert await store.next_run_at() == clock()

    # the claimed one runs again after its claim completes; the others are claimable now
    got = sorted(lease.order_id for lease in await store.claim_jobs("w2", 10, 30))
    assert got == [1, 2]
    await store.complete_job(leases[4])
    job4 = await store.get_job(4)
    assert job4 is not None and job4.status == "pending" and not job4.dirty
    # the snapshot is untouched: a wake-up is not new data
    snap = await store.get_snapshot(1)
    assert snap is not None and snap.version == 1


async def test_request_sync_on_a_pending_job_runs_it_now(store: Store, clock: FakeClock) -> None:
    await store.accept_delivery(delivery(5))
    (lease,) = await store.claim_jobs("w", 1, 30)
    await store.release_job(lease, clock() + 120)  # pending, but not due for two minutes
    assert await store.claim_jobs("w", 1, 30) == []
    await store.request_sync(5)
    (again,) = await store.claim_jobs("w", 1, 30)
    assert again.order_id == 5 and again.desired_version == 1
    assert (await store.counts())["jobs"]["claimed"] == 1


async def test_request_sync_creates_a_job_for_a_snapshot_without_one(
    store: Store, dsn: str
) -> None:
    await store.accept_delivery(delivery(7, status="completed"))
    await _delete_job(dsn, 7)  # e.g. a snapshot restored from a backup without its job
    assert await store.get_job(7) is None
    await store.request_sync(7)
    job = await store.get_job(7)
    assert job is not None and job.status == "pending" and job.desired_version == 1
    await store.request_sync(7)  # twice is harmless: still one job
    assert sum((await store.counts())["jobs"].values()) == 1


async def test_request_sync_for_an_unknown_order_is_a_no_op(store: Store) -> None:
    await store.request_sync(424242)
    assert await store.get_job(424242) is None
    assert await store.get_snapshot(424242) is None
    assert sum((await store.counts())["jobs"].values()) == 0


async def _delete_job(dsn: str, order_id: int) -> None:
    """Remove a job behind the store's back (a state the interface cannot produce)."""
    if dsn.startswith("sqlite:"):
        import sqlite3

        path = dsn.removeprefix("sqlite:///")
        conn = sqlite3.connect(path)
        try:
            conn.execute("DELETE FROM jobs WHERE order_id = ?", (order_id,))
            conn.commit()
        finally:
            conn.close()
        return
    import asyncpg

    base, _, query = dsn.partition("?")
    schema = dict(p.split("=", 1) for p in query.split("&"))["schema"]
    conn_pg = await asyncpg.connect(base)
    try:
        await conn_pg.execute(f'DELETE FROM "{schema}".jobs WHERE order_id = $1', order_id)
    finally:
        await conn_pg.close()
