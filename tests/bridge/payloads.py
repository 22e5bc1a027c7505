"""WooCommerce order payloads for bridge tests (REST v3 shape, money as strings)."""

from __future__ import annotations

import json
from typing import Any

from bridge.signature import sign


def order_payload(
    order_id: int,
    *,
    status: str = "processing",
    modified: str = "2026-11-23T20:11:19",
    customer_id: int = 11,
    tax_class: str = "reduced-rate",
    sku2: str = "FOOD-OLIVE-1L",
    transaction_id: str = "",
    refunds: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": order_id,
        "number": str(order_id),
        "status": status,
        "currency": "EUR",
        "prices_include_tax": False,
        "date_created_gmt": "2026-11-23T20:11:00",
        "date_modified_gmt": modified,
        "date_paid_gmt": "2026-11-23T20:11:05" if transaction_id else None,
        "customer_id": customer_id,
        "billing": {"first_name": "Lucía", "email": "lucia@example.es"},
        "payment_method": "stripe",
        "transaction_id": transaction_id,
        "total": "64.23",
        "line_items": [
            {
                "id": 1,
                "sku": "TSH-RED-M",
                "quantity": 2,
                "total": "39.98",
                "total_tax": "8.40",
                "tax_class": "",
            },
            {
                "id": 2,
                "sku": sku2,
                "quantity": 1,
                "total": "11.95",
                "total_tax": "1.20",
                "tax_class": tax_class,
            },
        ],
        "shipping_lines": [
            {"id": 3, "method_id": "flat_rate", "total": "4.95", "total_tax": "1.04"}
        ],
        "fee_lines": [],
        "refunds": refunds or [],
    }


def signed(payload: Any, secret: str = "sapchaos-secret") -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return body, {
        "Content-Type": "application/json",
        "X-WC-Webhook-Signature": sign(secret, body),
        "X-WC-Webhook-Topic": "order.created",
        "X-WC-Webhook-Resource": "order",
        "X-WC-Webhook-Event": "created",
        "X-WC-Webhook-ID": "1",
        "X-WC-Webhook-Delivery-ID": "abc",
        "X-WC-Webhook-Source": "http://shop.example/",
    }
