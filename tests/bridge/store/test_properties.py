"""Property: any interleaving of duplicate and out-of-order deliveries for one order ends
with the newest snapshot and exactly one job."""

from __future__ import annotations

import asyncio
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.store import AcceptOutcome, InboundDelivery, open_store

from .helpers import delivery

# up to 6 distinct versions (seconds 0..5), each delivered 1-3 times, in any order
deliveries = st.lists(
    st.tuples(st.integers(min_value=0, max_value=5), st.integers(min_value=1, max_value=3)),
    min_size=1,
    max_size=6,
    unique_by=lambda t: t[0],
).flatmap(lambda versions: st.permutations([v for v, copies in versions for _ in range(copies)]))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=deliveries, batch=st.booleans())
def test_newest_snapshot_and_one_job_whatever_the_order(
    dsn: str, sequence: list[int], batch: bool, order_ids: itertools.count[int]
) -> None:
    order_id = next(order_ids)

    async def run() -> None:
        store = await open_store(dsn)
        try:
            items = [
                delivery(order_id, f"2026-11-23T20:00:0{v}", delivery_id=str(i), version=v)
                for i, v in enumerate(sequence)
            ]
            if batch:
                outs = await store.accept_many(items)
            else:
                outs = [await store.accept_delivery(d) for d in items]
            snap = await store.get_snapshot(order_id)
            assert snap is not None and snap.payload["version"] == max(sequence)
            job = await store.get_job(order_id)
            assert job is not None and job.status == "pending"
            assert sum(o.duplicate for o in outs) == len(sequence) - len(set(sequence))
            assert sum(o.snapshot_changed for o in outs) == snap.version
            assert len({o.job_id for o in outs if o.job_id is not None}) == 1
        finally:
            await store.close()

    asyncio.run(run())


# (order 0-2, second 0-3, content variant 0-1): ties with different content included
mixed = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=2),
        st.integers(min_value=0, max_value=3),
        st.integers(min_value=0, max_value=1),
    ),
    min_size=1,
    max_size=14,
)


def _norm(o: AcceptOutcome) -> tuple[bool, bool, bool, bool, bool]:
    return (o.duplicate, o.snapshot_changed, o.needs_fetch, o.stale, o.job_id is not None)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=mixed, cuts=st.lists(st.integers(min_value=1, max_value=13), max_size=4))
def test_group_commit_equals_one_by_one(
    dsn: str, sequence: list[tuple[int, int, int]], cuts: list[int], order_ids: itertools.count[int]
) -> None:
    """accept_many over any batching gives the outcomes of accepting one at a time."""
    base_batched, base_single = next(order_ids) * 10, next(order_ids) * 10

    def items(base: int) -> list[InboundDelivery]:
        return [
            delivery(base + o, f"2026-11-23T20:00:0{s}", delivery_id=str(i), variant=v)
            for i, (o, s, v) in enumerate(sequence)
        ]

    async def run() -> None:
        store = await open_store(dsn)
        try:
            batched: list[AcceptOutcome] = []
            edges = [0, *sorted({c for c in cuts if c < len(sequence)}), len(sequence)]
            todo = items(base_batched)
            for a, b in itertools.pairwise(edges):
                batched += await store.accept_many(todo[a:b])
            single = [await store.accept_delivery(d) for d in items(base_single)]
            assert [_norm(o) for o in batched] == [_norm(o) for o in single]
            for o in range(3):
                x = await store.get_snapshot(base_batched + o)
                y = await store.get_snapshot(base_single + o)
                assert (x is None) == (y is None)
                if x is not None and y is not None:
                    assert (x.payload["variant"], x.date_modified_gmt, x.version) == (
                        y.payload["variant"],
                        y.date_modified_gmt,
                        y.version,
                    )
                    jx = await store.get_job(base_batched + o)
                    jy = await store.get_job(base_single + o)
                    assert jx is not None and jy is not None
                    assert jx.desired_version == jy.desired_version == x.version
        finally:
            await store.close()

    asyncio.run(run())
