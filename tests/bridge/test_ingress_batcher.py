"""The ingress's group committer: a window per batch, closed early by a full batch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bridge.ingress.batcher import GroupCommitter


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.fail = fail

    async def __call__(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        if self.fail:
            raise RuntimeError("store down")
        return [i * 10 for i in items]


async def test_a_full_batch_does_not_wait_for_the_window() -> None:
    rec = Recorder()
    committer: GroupCommitter[int, int] = GroupCommitter(rec, window_s=30.0, max_items=3)
    results = await asyncio.wait_for(
        asyncio.gather(*(committer.submit(i) for i in (1, 2, 3))), timeout=5.0
    )
    assert results == [10, 20, 30]
    assert rec.batches == [[1, 2, 3]]
    assert (committer.batches, committer.items) == (1, 3)


async def test_requests_within_the_window_share_a_batch_and_later_ones_do_not() -> None:
    rec = Recorder()
    sizes: list[int] = []
    committer: GroupCommitter[int, int] = GroupCommitter(rec, 0.05, 64, sizes.append)
    assert await asyncio.gather(committer.submit(1), committer.submit(2)) == [10, 20]
    assert await committer.submit(3) == 30
    assert rec.batches == [[1, 2], [3]] and sizes == [2, 1]
    await committer.close()


async def test_a_failed_commit_fails_every_request_in_it() -> None:
    committer: GroupCommitter[int, int] = GroupCommitter(Recorder(fail=True), 0.01, 64)
    outcomes = await asyncio.gather(
        committer.submit(1), committer.submit(2), return_exceptions=True
    )
    assert all(isinstance(o, RuntimeError) for o in outcomes)
    with pytest.raises(RuntimeError):
        await committer.submit(3)  # the committer still works after a failed batch


async def test_a_lone_request_commits_at_once_and_concurrency_brings_the_window_back() -> None:
    rec = Recorder()
    committer: GroupCommitter[int, int] = GroupCommitter(rec, window_s=30.0, max_items=64)
    # one at a time (a steady trickle): no window is waited, whatever its length
    for i in (1, 2, 3):
        assert await asyncio.wait_for(committer.submit(i), timeout=5.0) == i * 10
    assert rec.batches == [[1], [2], [3]]
    # two at once form a batch; after it, the window is waited again (closed by a full batch)
    assert await asyncio.gather(committer.submit(4), committer.submit(5)) == [40, 50]
    committer.max_items = 3
    late = [asyncio.create_task(committer.submit(i)) for i in (6, 7)]
    await asyncio.sleep(0.05)
    assert not any(t.done() for t in late)  # waiting in the window for more
    assert await asyncio.wait_for(committer.submit(8), timeout=5.0) == 80
    assert [await t for t in late] == [60, 70]
    assert rec.batches[-2:] == [[4, 5], [6, 7, 8]]
