"""``Deadlines``: one timer bounds every in-flight request, each by the same number of
seconds; an overdue request gets ``TimeoutError``, other cancellations stay cancellations."""

from __future__ import annotations

import asyncio

import pytest

from bridge.ingress.deadline import Deadlines


async def _after(seconds: float, value: str) -> str:
    await asyncio.sleep(seconds)
    return value


async def test_requests_within_the_bound_return_and_overdue_ones_time_out() -> None:
    deadlines = Deadlines(0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    fast = asyncio.create_task(deadlines.run(_after(0.01, "fast")))
    slow = asyncio.create_task(deadlines.run(_after(30, "slow")))
    await asyncio.sleep(0.05)
    later_started = loop.time()
    later = asyncio.create_task(deadlines.run(_after(30, "later")))  # due 0.05 s after slow
    assert await fast == "fast"
    with pytest.raises(TimeoutError):
        await slow
    assert 0.15 < loop.time() - started < 2.0
    if loop.time() < later_started + 0.15:  # (a loaded machine may have passed it already)
        assert not later.done()  # its own bound has not passed yet
    with pytest.raises(TimeoutError):
        await later
    assert await deadlines.run(_after(0.01, "again")) == "again"  # the timer re-arms


async def test_a_task_cancelled_from_outside_stays_cancelled() -> None:
    deadlines = Deadlines(5.0)
    task = asyncio.create_task(deadlines.run(_after(30, "x")))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_overdue_and_cancelled_from_outside_is_a_cancellation() -> None:
    deadlines = Deadlines(0.05)
    cancelled_too = False

    async def stubborn() -> str:
        nonlocal cancelled_too
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            asyncio.current_task().cancel()  # type: ignore[union-attr]  # a second canceller
            cancelled_too = True
            raise
        return "never"

    task = asyncio.create_task(deadlines.run(stubborn()))
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled_too


async def test_many_requests_each_finish_or_time_out_on_their_own_bound() -> None:
    deadlines = Deadlines(0.15)
    results = await asyncio.gather(
        *(deadlines.run(_after(0.3 if i % 3 == 0 else 0.01, str(i))) for i in range(30)),
        return_exceptions=True,
    )
    for i, r in enumerate(results):
        if i % 3 == 0:
            assert isinstance(r, TimeoutError)
        else:
            assert r == str(i)


async def test_finished_requests_leave_the_queue_at_once() -> None:
    deadlines = Deadlines(30.0)
    slow = asyncio.create_task(deadlines.run(_after(0.2, "slow")))
    await asyncio.sleep(0)
    await asyncio.gather(*(deadlines.run(_after(0.001, str(i))) for i in range(50)))
    assert deadlines.tracked == 51  # finished behind the slow one, which is still running
    assert await slow == "slow"
    assert deadlines.tracked == 0
    await asyncio.gather(*(deadlines.run(_after(0.001, str(i))) for i in range(50)))
    assert deadlines.tracked == 0
