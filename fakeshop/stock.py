"""Stock moves with the order status, as WooCommerce core hooks them: entering
``processing``/``completed``/``on-hold`` (or payment) runs ``wc_maybe_reduce_stock_levels``
— each line's product or variation with managed stock loses its quantity once, the line
records ``_reduced_stock``, the order gets "Stock levels reduced: Name (SKU) 10&rarr;8" —
and entering ``cancelled``/``pending`` runs ``wc_maybe_increase_stock_levels``, which gives
back what was reduced ("Stock levels increased: …")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakeshop.store import ShopState

#: statuses whose transition reduces stock (``woocommerce_payment_complete``,
#: ``woocommerce_order_status_processing/completed/on-hold``)
REDUCING_STATUSES = ("processing", "completed", "on-hold")
#: statuses whose transition gives reduced stock back (``wc_maybe_increase_stock_levels``)
RESTORING_STATUSES = ("cancelled", "pending")
REDUCED = "_reduced_stock"


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
        if any(m.get("key") == REDUCED for m in item.get("meta_data", [])):
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
                "key": REDUCED,
                "value": str(qty),
                "display_key": REDUCED,
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


def is_reduced(order: dict[str, Any]) -> bool:
    """``_order_stock_reduced``: some line carries ``_reduced_stock``."""
    return any(
        m.get("key") == REDUCED
        for item in order.get("line_items", [])
        for m in item.get("meta_data", [])
    )


def restore_order_stock(state: ShopState, order: dict[str, Any], ts: float) -> list[str]:
    """``wc_increase_stock_levels``: give back each line's ``_reduced_stock``."""
    changes: list[str] = []
    for item in order.get("line_items", []):
        metas = item.get("meta_data", [])
        reduced = next((m for m in metas if m.get("key") == REDUCED), None)
        if reduced is None:
            continue
        item["meta_data"] = [m for m in metas if m is not reduced]
        pid = int(item.get("variation_id") or item.get("product_id") or 0)
        prod = state.sellable(pid)
        if prod is None or prod.get("stock_quantity") is None:
            continue
        before = int(prod["stock_quantity"])
        prod["stock_quantity"] = before + int(str(reduced.get("value") or 0))
        prod["stock_status"] = _stock_status(prod)
        prod.update(state.dates("date_modified", ts))
        label = f"{prod.get('name', '')} ({prod['sku']})" if prod.get("sku") else str(prod["id"])
        changes.append(f"{label} {before}&rarr;{prod['stock_quantity']}")
    return changes


def on_status_change(state: ShopState, order: dict[str, Any], prev: str, ts: float) -> None:
    """Reduce or restore stock for a status transition, with WooCommerce's order note."""
    new = str(order.get("status"))
    if new == prev:
        return
    oid = int(order["id"])
    if new in REDUCING_STATUSES and not is_reduced(order):
        changes = reduce_order_stock(state, order, ts)
        if changes:
            state.system_note(oid, "Stock levels reduced: " + ", ".join(changes), ts)
    elif new in RESTORING_STATUSES and is_reduced(order):
        changes = restore_order_stock(state, order, ts)
        if changes:
            state.system_note(oid, "Stock levels increased: " + ", ".join(changes), ts)
