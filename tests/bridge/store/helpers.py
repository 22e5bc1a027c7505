"""Builders for store tests."""

from __future__ import annotations

from typing import Any

from bridge.store import InboundDelivery


def order(order_id: int, modified: str, **extra: Any) -> dict[str, Any]:
    return {"id": order_id, "status": "processing", "date_modified_gmt": modified, **extra}


def delivery(
    order_id: int,
    modified: str = "2026-11-23T20:11:19",
    *,
    received_at: float = 1_800_000_000.0,
    delivery_id: str | None = "1",
    topic: str = "order.updated",
    **extra: Any,
) -> InboundDelivery:
    return InboundDelivery(
        source="woocommerce",
        topic=topic,
        order_id=order_id,
        date_modified_gmt=modified,
        payload=order(order_id, modified, **extra),
        received_at=received_at,
        delivery_id=delivery_id,
        webhook_id="1",
    )
