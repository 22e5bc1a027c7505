"""Stock reduction when an order is paid (``wc_maybe_reduce_stock_levels`` /
``wc_reduce_stock_levels``): each line's product (or variation) with managed stock loses
its quantity once, the line records ``_reduced_stock``, and the order gets the note
"Stock levels reduced: Name (SKU) 10&rarr;8"."""

from __future__ import annotations

from typing import Any

from fakeshop.store import ShopState

#: statuses whose transition reduces stock (``woocommerce_payment_complete``,
#: ``woocommerce_order_status_processing/completed/on-hold``)
REDUCING_STATUSES = ("processing", "completed", "on-hold")


def _stock_status(prod: dict[str, Any]) -> str:
    qty = prod.get("stock_quantity")
    if qty is None or qty > 0:
        return "instock"
    return "onbackorder" if prod.get("backorders", "no") != "no" else "outofstock"


def reduce_order_stock(state: ShopState, order: dict[str, Any], ts: float) -> list[str]:
    """Reduce stock for every line of ``order`` not reduced yet; returns the note parts
    (``Name (SKU) 10&rarr;8``). Also counts ``total_sales`` as payment does."""
    changes: list[str] = []
    for item in order.get("line_items", []):
        if any(m.get("key") == "_reduced_stock" for m in item.get("meta_data", [])):
            continue
        pid = int(item.get("variation_id") or item.get("product_id") or 0)
        prod = state.sellable(pid)
        if prod is None:
            continue
        qty = int(item.get("quantity", 0))
        if not prod.get("manage_stock") or prod.get("stock_quantity") is None:
            continue
        before = int(prod["stock_quantity"])
        prod["stock_quantity"] = before - qty
        prod["stock_status"] = _stock_status(prod)
        prod.update(state.dates("date_modified", ts))
        item.setdefault("meta_data", []).append(
            {
                "id": state.next_meta_id(),
                "key": "_reduced_stock",
                "value": str(qty),
                "display_key": "_reduced_stock",
                "display_value": str(qty),
            }
        )
        label = f"{prod.get('name', '')} ({prod['sku']})" if prod.get("sku") else str(prod["id"])
        changes.append(f"{label} {before}&rarr;{before - qty}")
    return changes


def count_sales(state: ShopState, order: dict[str, Any]) -> None:
    """``wc_update_total_sales_counts``: ``total_sales`` of each product grows by its qty."""
    for item in order.get("line_items", []):
        prod = state.products.get(int(item.get("product_id") or 0))
        if prod is not None:
            prod["total_sales"] = int(prod.get("total_sales", 0)) + int(item.get("quantity", 0))
