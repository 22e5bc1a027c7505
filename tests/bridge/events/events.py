"""Outbox events shaped exactly as the bridge's worker and poller write them."""

from __future__ import annotations

import uuid

from bridge.store.base import OutboxEvent
from bridge.worker.steps import order_event


def sample_event(i: int, order_id: int | None = None) -> OutboxEvent:
    """A mix of every type the bridge emits, cycling with ``i``."""
    oid = order_id or 1000 + i
    kind = i % 7
    if kind == 0:
        return order_event(
            oid,
            "order.confirmed",
            number=str(oid),
            doc_entry=i + 1,
            doc_num=i + 1,
            idem_key=f"wc:{oid}:order",
        )
    if kind == 1:
        return order_event(
            oid, "payment.captured", number=str(oid), doc_entry=i + 1, transaction_id=f"tx-{i}"
        )
    if kind == 2:
        return OutboxEvent(
            str(uuid.uuid4()),
            "order.shipped",
            f"wc:{oid}",
            {"order_id": oid, "doc_entry": i, "doc_num": i, "tracking": "1Z999"},
        )
    if kind == 3:
        return OutboxEvent(
            str(uuid.uuid4()),
            "order.invoiced",
            f"wc:{oid}",
            {"order_id": oid, "doc_entry": i, "doc_num": i},
        )
    if kind == 4:
        return order_event(oid, "order.canceled", number=str(oid), sap_doc_num=None, skipped=True)
    if kind == 5:
        return order_event(
            oid,
            "order.refunded",
            number=str(oid),
            doc_entry=i,
            doc_num=i,
            idem_key=f"wc:{oid}:refund:{i}",
        )
    return order_event(
        oid,
        "order.failed",
        op="create_order",
        idem_key=f"wc:{oid}:order",
        code="-10",
        message="Item not found",
        dead_letter_id=i,
    )
