"""The poller re-queues an order whose cancel arrived before SAP's invoice (real stores)."""

from __future__ import annotations

from typing import Any, cast

from bridge.poller import Poller
from bridge.sap.client import ServiceLayerClient
from bridge.shop.client import WooClient
from bridge.store import InboundDelivery, Store


def _delivery(order_id: int, status: str, modified: str) -> InboundDelivery:
    payload: dict[str, Any] = {"id": order_id, "status": status, "date_modified_gmt": modified}
    return InboundDelivery(
        source="woocommerce",
        topic="order.updated",
        order_id=order_id,
        date_modified_gmt=modified,
        payload=payload,
        received_at=1_800_000_000.0,
    )


async def test_invoice_after_a_cancel_wakes_the_worker(store: Store) -> None:
    # the order was created and confirmed; its job finished
    await store.accept_delivery(_delivery(31, "processing", "2026-11-23T20:00:00"))
    (lease,) = await store.claim_jobs("w", 1, 30)
    await store.complete_job(lease)
    # the shop cancels it; the worker found nothing to do yet (waits for the invoice)
    await store.accept_delivery(_delivery(31, "cancelled", "2026-11-23T20:05:00"))
    (lease,) = await store.claim_jobs("w", 1, 30)
    await store.complete_job(lease)
    job = await store.get_job(31)
    assert job is not None and job.status == "done"

    # SAP and the shop are never called on this path (the shop is told after the credit note)
    poller = Poller(store, cast(ServiceLayerClient, None), cast(WooClient, None))
    assert await poller.observe(31, "invoice", 77, 1077)
    await poller.tell_shop(31)

    job = await store.get_job(31)
    assert job is not None and job.status == "pending"  # the credit note gets booked now
    (again,) = await store.claim_jobs("w", 1, 30)
    assert again.order_id == 31
    row = await store.get_ledger("wc:31:invoice")
    assert row is not None and row.status == "done" and row.target_docnum == 1077
