"""A snapshot's source never changes an order's key prefix once booked (hypothesis).

Sequences mixing every source that writes snapshots — WooCommerce webhooks, authoritative
WooCommerce reads (refresher, reconciler), Magento events and Magento REST reads — are
applied to one order in a real store; at a random point the order is booked (its first
ledger key, with the prefix its snapshot then implied). Afterwards the prefix the worker
uses (``order_ref``) stays the booked one whatever arrives, in both directions
(``wc`` → never ``mg``, ``mg`` → never ``wc``); and the reconciler never replaces a
snapshot of the other shop.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.keys import key_order, key_prefix, order_ref
from bridge.reconciler import ShopPage, ShopReconciler
from bridge.store import Store, open_store
from bridge.store.base import InboundDelivery
from tests.bridge.payloads import order_payload

SOURCES = ("woocommerce", "rest", "magento", "magento-rest")
_ids = itertools.count(1)


class OneOrderReader:
    """A shop reader that returns one fixed order (the reconciler under test reads it)."""

    def __init__(self, kind: str, source: str, payload: dict[str, Any]) -> None:
        self.kind, self.source, self.payload = kind, source, payload

    async def page(self, since: float, number: int) -> ShopPage:
        p = self.payload
        return ShopPage([(int(p["id"]), p, str(p["date_modified_gmt"]))], False)


async def _apply(store: Store, order_id: int, source: str, step: int, status: str) -> None:
    payload = order_payload(order_id, status=status, modified=f"2026-11-23T20:{step:02d}:00")
    if source == "woocommerce":  # a webhook delivery
        await store.accept_delivery(
            InboundDelivery(
                source, "order.updated", order_id, payload["date_modified_gmt"], payload, 1e9
            )
        )
    elif source == "magento":  # a bus event
        await store.accept_event(source, f"ev-{order_id}-{step}", order_id, payload, 1e9 + step)
    else:
        await store.replace_snapshot(order_id, payload, payload["date_modified_gmt"], source)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    sources=st.lists(st.sampled_from(SOURCES), min_size=2, max_size=8),
    book_after=st.integers(min_value=1, max_value=8),
    statuses=st.lists(st.sampled_from(["pending", "processing", "completed"]), min_size=8),
)
def test_prefix_is_sticky_once_booked(
    tmp_path: Path, sources: list[str], book_after: int, statuses: list[str]
) -> None:
    async def run() -> None:
        store = await open_store(f"sqlite:///{tmp_path}/prefix.db")
        try:
            order_id = next(_ids)
            booked: str | None = None
            keys: list[str] = []
            for step, source in enumerate(sources, start=1):
                await _apply(store, order_id, source, step, statuses[step - 1])
                snap = await store.get_snapshot(order_id)
                assert snap is not None
                ref = order_ref(order_id, snap.source, snap.payload, keys)
                if booked is None and step >= min(book_after, len(sources)):
                    booked = ref.prefix  # the worker books under the prefix it sees now
                    keys.append(key_order(ref.prefix, order_id))
                elif booked is not None:
                    assert ref.prefix == booked, (sources, step)
                # a reconciler of either shop never flips the snapshot to the other shop
                for kind, rsource in (("woocommerce", "rest"), ("magento", "magento-rest")):
                    before = await store.get_snapshot(order_id)
                    assert before is not None
                    newer = order_payload(
                        order_id, status="on-hold", modified=f"2026-11-23T21:{step:02d}:00"
                    )
                    rec = ShopReconciler(store, OneOrderReader(kind, rsource, newer))
                    await rec.reconcile_once()
                    after = await store.get_snapshot(order_id)
                    assert after is not None
                    assert key_prefix(after.source) == key_prefix(before.source)
        finally:
            await store.close()

    asyncio.run(run())


def test_every_snapshot_source_has_its_shop() -> None:
    assert [key_prefix(s) for s in SOURCES] == ["wc", "wc", "mg", "mg"]
    assert key_prefix("reconcile") == "wc"  # rows written by older reconcilers
