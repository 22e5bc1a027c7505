"""JobSignal: idle workers are woken by commits, as many as jobs became runnable."""

from __future__ import annotations

import asyncio

from bridge.store.signal import JobSignal


async def test_notify_wakes_only_as_many_waiters_as_jobs() -> None:
    sig = JobSignal()
    mark = sig.mark()
    waiters = [asyncio.create_task(sig.wait(mark, 5.0)) for _ in range(4)]
    await asyncio.sleep(0.01)
    sig.notify(2)
    await asyncio.sleep(0.01)
    assert sum(t.done() for t in waiters) == 2
    sig.wake_all()
    await asyncio.gather(*waiters)


async def test_a_notify_between_claim_and_wait_is_not_missed() -> None:
    sig = JobSignal()
    mark = sig.mark()  # taken before the (empty) claim
    sig.notify(1)  # the commit lands before the worker starts waiting
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await sig.wait(mark, 5.0)
    assert loop.time() - t0 < 1.0  # returned at once, not after the 5 s poll


async def test_wait_ends_at_the_timeout_without_notification() -> None:
    sig = JobSignal()
    await asyncio.wait_for(sig.wait(sig.mark(), 0.05), 5.0)
    assert not sig._waiters


async def test_ingress_commit_wakes_a_waiting_worker(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bridge.store import open_store

    store = await open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        sig = store.job_signal  # type: ignore[attr-defined]
        waiter = asyncio.create_task(sig.wait(sig.mark(), 30.0))
        await asyncio.sleep(0.01)
        await store.request_sync(42)
        await asyncio.wait_for(waiter, 5.0)
    finally:
        await store.close()
