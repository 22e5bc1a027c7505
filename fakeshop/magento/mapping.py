"""A WooCommerce order resource seen as a Magento 2 ``salesOrderRepositoryV1`` order:
state + status, zero-padded ``increment_id``, UTC ``YYYY-MM-DD HH:MM:SS`` dates, money as
JSON numbers, items with invoiced/shipped/refunded quantities derived from the state."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from sapchaos.catalog import Catalog

#: Woo status -> (Magento state, default status)
STATE_MAP: dict[str, tuple[str, str]] = {
    "pending": ("new", "pending"),
    "checkout-draft": ("pending_payment", "pending_payment"),
    "processing": ("processing", "processing"),
    "on-hold": ("holded", "holded"),
    "completed": ("complete", "complete"),
    "cancelled": ("canceled", "canceled"),
    "failed": ("canceled", "canceled"),
    "refunded": ("closed", "closed"),
    "trash": ("canceled", "canceled"),
}
_NUM = "\u0000N:"
_NUM_RE = re.compile(r'"\\u0000N:([-0-9.]+)"')


def num(value: Any) -> str:
    """Mark a Decimal amount to be written as a bare JSON number (Magento sends numbers)."""
    return f"{_NUM}{Decimal(str(value or '0'))}"


def dumps(data: Any) -> str:
    return _NUM_RE.sub(r"\1", json.dumps(data))


def increment_id(order_id: int) -> str:
    return f"{order_id:09d}"


def _gmt(text: str | None) -> str | None:
    return text.replace("T", " ") if text else None


def to_magento(
    order: dict[str, Any],
    catalog: Catalog,
    comments: list[dict[str, Any]] | None = None,
    status_override: str | None = None,
) -> dict[str, Any]:
    woo_status = str(order.get("status", "pending"))
    state, status = STATE_MAP.get(woo_status, ("new", "pending"))
    paid = bool(order.get("date_paid_gmt"))
    shipped = woo_status == "completed"
    refunded_total = sum(
        (-Decimal(r.get("total", "0")) for r in order.get("refunds", [])), Decimal("0")
    )
    billing = order.get("billing", {})
    shipping = order.get("shipping", {})
    items = []
    subtotal = Decimal("0")
    subtotal_tax = Decimal("0")
    for li in order.get("line_items", []):
        qty = int(li.get("quantity", 0))
        sub = Decimal(li.get("subtotal", "0"))
        sub_tax = Decimal(li.get("subtotal_tax", "0"))
        subtotal += sub
        subtotal_tax += sub_tax
        try:
            rate = catalog.tax_class(str(li.get("tax_class", ""))).rate
        except KeyError:
            rate = Decimal("0")
        unit = (sub / qty).quantize(Decimal("0.01")) if qty else Decimal("0")
        unit_tax = (sub_tax / qty).quantize(Decimal("0.01")) if qty else Decimal("0")
        discount = sub - Decimal(li.get("total", "0"))
        items.append(
            {
                "item_id": li.get("id"),
                "order_id": order["id"],
                "sku": li.get("sku"),
                "name": li.get("name"),
                "product_id": li.get("product_id"),
                "product_type": "simple",
                "parent_item_id": None,
                "qty_ordered": qty,
                "qty_invoiced": qty if paid else 0,
                "qty_shipped": qty if shipped else 0,
                "qty_canceled": qty if state == "canceled" else 0,
                "qty_refunded": qty if state == "closed" else 0,
                "price": num(unit),
                "base_price": num(unit),
                "price_incl_tax": num(unit + unit_tax),
                "row_total": num(sub),
                "row_total_incl_tax": num(sub + sub_tax),
                "tax_percent": num(rate),
                "tax_amount": num(li.get("total_tax", "0")),
                "discount_amount": num(discount),
                "discount_percent": num(
                    (discount * 100 / sub).quantize(Decimal("0.01")) if sub else 0
                ),
            }
        )
    shipping_amount = Decimal(order.get("shipping_total", "0"))
    shipping_tax = Decimal(order.get("shipping_tax", "0"))
    total = Decimal(order.get("total", "0"))
    address = {
        "address_type": "billing",
        "firstname": billing.get("first_name"),
        "lastname": billing.get("last_name"),
        "company": billing.get("company"),
        "street": [s for s in (billing.get("address_1"), billing.get("address_2")) if s],
        "city": billing.get("city"),
        "region": billing.get("state"),
        "postcode": billing.get("postcode"),
        "country_id": billing.get("country"),
        "email": billing.get("email"),
        "telephone": billing.get("phone"),
        "parent_id": order["id"],
    }
    ship_address = {
        **address,
        "address_type": "shipping",
        "firstname": shipping.get("first_name"),
        "lastname": shipping.get("last_name"),
        "street": [s for s in (shipping.get("address_1"), shipping.get("address_2")) if s],
        "city": shipping.get("city"),
        "postcode": shipping.get("postcode"),
        "country_id": shipping.get("country"),
    }
    ship_lines = order.get("shipping_lines", [])
    coupons = order.get("coupon_lines", [])
    customer_id = int(order.get("customer_id", 0) or 0)
    return {
        "entity_id": order["id"],
        "increment_id": increment_id(int(order["id"])),
        "state": state,
        "status": status_override or status,
        "created_at": _gmt(order.get("date_created_gmt")),
        "updated_at": _gmt(order.get("date_modified_gmt")),
        "customer_email": billing.get("email"),
        "customer_firstname": billing.get("first_name"),
        "customer_lastname": billing.get("last_name"),
        "customer_is_guest": 1 if customer_id == 0 else 0,
        "customer_id": customer_id or None,
        "customer_note": order.get("customer_note") or None,
        "order_currency_code": order.get("currency"),
        "base_currency_code": order.get("currency"),
        "grand_total": num(total),
        "base_grand_total": num(total),
        "subtotal": num(subtotal),
        "subtotal_incl_tax": num(subtotal + subtotal_tax),
        "tax_amount": num(order.get("total_tax", "0")),
        "shipping_amount": num(shipping_amount),
        "shipping_incl_tax": num(shipping_amount + shipping_tax),
        "shipping_tax_amount": num(shipping_tax),
        "shipping_description": ship_lines[0].get("method_title") if ship_lines else None,
        "discount_amount": num(-Decimal(order.get("discount_total", "0"))),
        "coupon_code": coupons[0].get("code") if coupons else None,
        "total_paid": num(total if paid else 0),
        "total_refunded": num(refunded_total),
        "total_qty_ordered": sum(i["qty_ordered"] for i in items),
        "items": items,
        "billing_address": address,
        "payment": {
            "method": order.get("payment_method"),
            "last_trans_id": order.get("transaction_id") or None,
            "amount_ordered": num(total),
            "amount_paid": num(total if paid else 0),
            "additional_information": [order.get("payment_method_title", "")],
        },
        "status_histories": list(reversed(comments or [])),
        "extension_attributes": {
            "shipping_assignments": [
                {
                    "shipping": {
                        "address": ship_address,
                        "method": ship_lines[0].get("method_id") if ship_lines else None,
                        "total": {
                            "shipping_amount": num(shipping_amount),
                            "shipping_tax_amount": num(shipping_tax),
                        },
                    },
                    "items": items,
                }
            ]
        },
    }
