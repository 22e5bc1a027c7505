"""Magento 2 order (``salesOrderRepositoryV1`` resource, as fakeshop's Magento events carry
it) → the WooCommerce-shaped order snapshot the bridge's worker reads (``bridge.order``).

Mapping choices, one small rule each in ``RULES``: the order id is ``entity_id``, the number
``increment_id``; the Woo status comes from the Magento *state* (statuses are merchant
labels); line ``total`` is the net row total after discount (Woo's ``total``); the tax
class is the catalog class whose rate equals the item's ``tax_percent`` (Magento orders
carry no tax class); configurable children (``parent_item_id`` set) are skipped because
the parent line already carries the simple product's SKU and the price.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sapchaos.catalog import Catalog

__all__ = ["RULES", "STATE_TO_WOO", "MagentoOrderError", "magento_to_woo"]

#: Magento order state → WooCommerce status the planner understands
STATE_TO_WOO: dict[str, str] = {
    "new": "pending",
    "pending_payment": "pending",
    "payment_review": "on-hold",
    "processing": "processing",
    "holded": "on-hold",
    "complete": "completed",
    "closed": "refunded",
    "canceled": "cancelled",
}

CENT = Decimal("0.01")


class MagentoOrderError(ValueError):
    """The Magento order lacks what the bridge needs (quarantined with this reason)."""


def _money(value: Any, field: str) -> str:
    try:
        return str(Decimal(str(value if value is not None else "0")).quantize(CENT))
    except (InvalidOperation, ValueError) as exc:
        raise MagentoOrderError(f"{field}: not an amount: {value!r}") from exc


def _date(value: Any, field: str) -> str:
    """Magento ``YYYY-MM-DD HH:MM:SS`` (UTC) → Woo ``YYYY-MM-DDTHH:MM:SS``."""
    if not isinstance(value, str) or len(value) < 19:
        raise MagentoOrderError(f"{field}: expected 'YYYY-MM-DD HH:MM:SS', got {value!r}")
    return value[:10] + "T" + value[11:19]


Rule = Callable[[Mapping[str, Any], Catalog], dict[str, Any]]


def identity(order: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """``entity_id`` → id (the key of every idempotency key), ``increment_id`` → number."""
    entity_id = order.get("entity_id")
    if not isinstance(entity_id, int) or isinstance(entity_id, bool) or entity_id <= 0:
        raise MagentoOrderError(f"entity_id must be a positive integer, got {entity_id!r}")
    return {"id": entity_id, "number": str(order.get("increment_id") or entity_id)}


def status(order: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The Magento state decides; an unknown state keeps its status label (planner waits)."""
    state = str(order.get("state") or "")
    return {"status": STATE_TO_WOO.get(state, str(order.get("status") or state or "pending"))}


def dates(order: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    created = _date(order.get("created_at"), "created_at")
    updated = _date(order.get("updated_at") or order.get("created_at"), "updated_at")
    return {"date_created_gmt": created, "date_modified_gmt": updated}


def payment(order: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """Paid = ``total_paid`` > 0 (Magento invoiced it); the paid date is ``updated_at``."""
    pay = order.get("payment") or {}
    paid = Decimal(_money(order.get("total_paid"), "total_paid")) > 0
    return {
        "payment_method": str(pay.get("method") or ""),
        "transaction_id": str(pay.get("last_trans_id") or ""),
        "date_paid_gmt": _date(order.get("updated_at"), "updated_at") if paid else None,
    }


def customer(order: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    guest = bool(order.get("customer_is_guest"))
    cid = order.get("customer_id")
    return {"customer_id": 0 if guest or not isinstance(cid, int) else cid}


def totals(order: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    return {
        "currency": str(order.get("order_currency_code") or "EUR"),
        "total": _money(order.get("grand_total"), "grand_total"),
        "total_tax": _money(order.get("tax_amount"), "tax_amount"),
    }


def _tax_class(catalog: Catalog, percent: Any) -> str:
    try:
        rate = Decimal(str(percent if percent is not None else "0"))
    except InvalidOperation as exc:
        raise MagentoOrderError(f"tax_percent: not a number: {percent!r}") from exc
    for tc in catalog.tax_classes:
        if Decimal(tc.rate) == rate:
            return str(tc.slug)
    raise MagentoOrderError(f"no catalog tax class with rate {rate}%")


def lines(order: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """Each top-level item → a Woo line: qty, net total after discount, tax, tax class."""
    out = []
    for item in order.get("items") or []:
        if item.get("parent_item_id"):
            continue
        sku = item.get("sku")
        if not sku:
            raise MagentoOrderError(f"item {item.get('item_id')}: sku is missing")
        qty_raw = Decimal(str(item.get("qty_ordered") or 0))
        if qty_raw != qty_raw.to_integral_value() or qty_raw <= 0:
            raise MagentoOrderError(f"item {sku}: qty_ordered must be a positive whole number")
        row = Decimal(_money(item.get("row_total"), "row_total"))
        discount = Decimal(_money(item.get("discount_amount"), "discount_amount"))
        out.append(
            {
                "id": item.get("item_id") or 0,
                "sku": str(sku),
                "name": str(item.get("name") or ""),
                "quantity": int(qty_raw),
                "subtotal": str(row),
                "total": str((row - abs(discount)).quantize(CENT)),
                "total_tax": _money(item.get("tax_amount"), "tax_amount"),
                "tax_class": _tax_class(catalog, item.get("tax_percent")),
            }
        )
    if not out:
        raise MagentoOrderError("order has no items")
    return {"line_items": out}


def shipping(order: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """``shipping_amount`` (net) + ``shipping_tax_amount`` → one Woo shipping line."""
    amount = _money(order.get("shipping_amount"), "shipping_amount")
    tax = _money(order.get("shipping_tax_amount"), "shipping_tax_amount")
    if Decimal(amount) == 0 and Decimal(tax) == 0:
        return {"shipping_lines": []}
    method = ""
    for sa in (order.get("extension_attributes") or {}).get("shipping_assignments") or []:
        method = str((sa.get("shipping") or {}).get("method") or method)
    return {"shipping_lines": [{"id": 1, "method_id": method, "total": amount, "total_tax": tax}]}


def other_charges(order: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """What ``grand_total`` holds beyond items and shipping (payment surcharges, gift wrap
    — Magento extensions add them as totals, not as items) → one Woo fee line, so SAP's
    DocTotal and VatSum still equal the shop's grand total and tax to the cent."""
    grand = Decimal(_money(order.get("grand_total"), "grand_total"))
    tax = Decimal(_money(order.get("tax_amount"), "tax_amount"))
    items = [i for i in order.get("items") or [] if not i.get("parent_item_id")]
    items_net = sum(
        (
            Decimal(_money(i.get("row_total"), "row_total"))
            - abs(Decimal(_money(i.get("discount_amount"), "discount_amount")))
            for i in items
        ),
        Decimal(0),
    )
    items_tax = sum((Decimal(_money(i.get("tax_amount"), "tax_amount")) for i in items), Decimal(0))
    ship = Decimal(_money(order.get("shipping_amount"), "shipping_amount"))
    ship_tax = Decimal(_money(order.get("shipping_tax_amount"), "shipping_tax_amount"))
    rest_tax = tax - items_tax - ship_tax
    rest_net = grand - items_net - items_tax - ship - ship_tax - rest_tax
    if rest_net == 0 and rest_tax == 0:
        return {"fee_lines": []}
    tax_class = ""
    if rest_net != 0 and rest_tax != 0:
        rate = rest_tax / rest_net * 100
        best = min(catalog.tax_classes, key=lambda tc: abs(Decimal(tc.rate) - rate), default=None)
        if best is not None:
            tax_class = str(best.slug)
    fee = {
        "id": 1,
        "name": "Other charges",
        "total": str(rest_net.quantize(CENT)),
        "total_tax": str(rest_tax.quantize(CENT)),
        "tax_status": "taxable" if rest_tax != 0 else "none",
        "tax_class": tax_class,
    }
    return {"fee_lines": [fee]}


#: the conversion, one rule per concern, applied in order
RULES: dict[str, Rule] = {
    "identity": identity,
    "status": status,
    "dates": dates,
    "payment": payment,
    "customer": customer,
    "totals": totals,
    "lines": lines,
    "shipping": shipping,
    "other_charges": other_charges,
}


def magento_to_woo(order: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The Woo-shaped snapshot payload (money as 2-decimal strings) plus a ``magento``
    block (increment_id, state, status) for people reading the snapshot."""
    if not isinstance(order, Mapping):
        raise MagentoOrderError("order must be a JSON object")
    out: dict[str, Any] = {}
    for rule in RULES.values():
        out.update(rule(order, catalog))
    out["magento"] = {
        "increment_id": order.get("increment_id"),
        "state": order.get("state"),
        "status": order.get("status"),
    }
    return out
