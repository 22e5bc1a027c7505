"""Rules WooCommerce applies when an order changes: status transitions and the dates they
set (``date_paid``, ``date_completed``) and meta upserts (refunds: :mod:`fakeshop.generator.refunds`).

Pure functions over the REST order resource (a dict); :mod:`fakeshop.store` calls them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from fakeshop.timefmt import wp_gmt, wp_local

#: ``wc_get_order_statuses()`` without the ``wc-`` prefix, plus checkout drafts
ORDER_STATUSES = (
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
)
#: ``wc_get_is_paid_statuses()``
PAID_STATUSES = ("processing", "completed")
#: drafts fire no webhooks (``is_valid_processing_action``)
DRAFT_STATUSES = ("checkout-draft", "auto-draft", "new")
STATUS_LABELS = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
    "checkout-draft": "Draft",
}
CENT = Decimal("0.01")


def money(value: Any) -> Decimal:
    """A wire money value as Decimal (raises ``InvalidOperation`` for garbage)."""
    if isinstance(value, bool) or value is None:
        raise InvalidOperation(str(value))
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def set_dates(order: dict[str, Any], field: str, ts: float, offset_hours: int) -> None:
    order[field] = wp_local(ts, offset_hours)
    order[f"{field}_gmt"] = wp_gmt(ts)


def change_status(order: dict[str, Any], new: str, ts: float, offset_hours: int) -> str:
    """Set the status; paid statuses set ``date_paid`` once, ``completed`` sets
    ``date_completed`` (as ``WC_Order::maybe_set_date_paid/_completed``). Returns the old one."""
    old = str(order.get("status", "pending"))
    order["status"] = new
    if new in PAID_STATUSES and not order.get("date_paid"):
        set_dates(order, "date_paid", ts, offset_hours)
    if new == "completed" and old != "completed":
        set_dates(order, "date_completed", ts, offset_hours)
    return old


def upsert_meta(
    meta: list[dict[str, Any]], items: Iterable[dict[str, Any]], next_id: Callable[[], int]
) -> list[dict[str, Any]]:
    """``WC_Data::update_meta_data``: by ``id`` if given, else the first entry with that
    key, else a new entry. Returns the entries written."""
    written: list[dict[str, Any]] = []
    for item in items:
        key = str(item.get("key", ""))
        value = item.get("value")
        target: dict[str, Any] | None = None
        if item.get("id") not in (None, "", 0):
            target = next((m for m in meta if m.get("id") == item.get("id")), None)
        if target is None and key:
            target = next((m for m in meta if m.get("key") == key), None)
        if target is None:
            target = {"id": next_id(), "key": key, "value": value}
            meta.append(target)
        else:
            if key:
                target["key"] = key
            target["value"] = value
        written.append(dict(target))
    return written
