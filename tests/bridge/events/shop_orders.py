"""Shop orders for the Magento-mode tests: a WooCommerce REST order, and the Magento
event fakeshop's Magento mode would publish for it (built with fakeshop's own mapping)."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from fakeshop.magento.mapping import dumps, increment_id, to_magento
from sapchaos.catalog import Catalog


def woo_order(
    order_id: int, status: str = "processing", modified: str = "2026-11-23T20:11:19"
) -> dict[str, Any]:
    paid = status in ("processing", "completed")
    return {
        "id": order_id,
        "number": str(order_id),
        "status": status,
        "currency": "EUR",
        "date_created_gmt": "2026-11-23T20:10:00",
        "date_modified_gmt": modified,
        "date_paid_gmt": modified if paid else None,
        "customer_id": 0,
        "transaction_id": f"pi_{order_id}" if paid else "",
        "payment_method": "stripe",
        "payment_method_title": "Card",
        "discount_total": "3.30",
        "shipping_total": "4.95",
        "shipping_tax": "1.04",
        "total_tax": "7.53",
        "total": "48.22",
        "billing": {
            "first_name": "Ana",
            "last_name": "Pérez",
            "email": "ana@example.com",
            "country": "ES",
        },
        "shipping": {"first_name": "Ana", "last_name": "Pérez", "country": "ES"},
        "line_items": [
            {
                "id": 11,
                "sku": "TSH-RED-M",
                "name": "T-shirt",
                "product_id": 1,
                "quantity": 2,
                "tax_class": "",
                "subtotal": "33.04",
                "subtotal_tax": "6.94",
                "total": "29.74",
                "total_tax": "6.25",
            },
            {
                "id": 12,
                "sku": "BOOK-ES-01",
                "name": "Libro",
                "product_id": 4,
                "quantity": 1,
                "tax_class": "super-reduced-rate",
                "subtotal": "6.00",
                "subtotal_tax": "0.24",
                "total": "6.00",
                "total_tax": "0.24",
            },
        ],
        "shipping_lines": [
            {
                "id": 21,
                "method_id": "flat_rate",
                "method_title": "Tarifa plana",
                "total": "4.95",
                "total_tax": "1.04",
            }
        ],
        "fee_lines": [],
        "coupon_lines": [{"code": "WELCOME10"}],
        "refunds": [],
    }


def magento_event(
    catalog: Catalog,
    order: dict[str, Any],
    event_type: str = "order.created",
    event_id: str | None = None,
    occurred_at: str = "2026-11-23T20:11:19.123Z",
) -> tuple[dict[str, Any], bytes]:
    """(the Magento order as a consumer decodes it, the MQTT body exactly as fakeshop's
    publisher writes it)."""
    mg = to_magento(order, catalog)
    body = {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": event_type,
        "occurred_at": occurred_at,
        "correlation_id": f"mg:{increment_id(int(order['id']))}",
        "order": mg,
    }
    raw = dumps(body).encode()
    return json.loads(raw, parse_float=Decimal)["order"], raw
