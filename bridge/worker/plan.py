"""Desired state vs actual state: which step an order needs next (level-triggered).

Webhooks are notifications, not commands: the planner looks only at the newest snapshot
and the ledger, so duplicates, reordering and a cancel that arrives before its create are
just states. The worker runs ``next_step`` → execute → reload until nothing is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bridge.order import OrderPayload
from bridge.store.base import LedgerRow

#: shop statuses for which an SAP sales order should exist
CREATE_STATUSES = frozenset({"pending", "processing", "on-hold", "completed"})
#: shop statuses that mean "this order will not be fulfilled"
CANCEL_STATUSES = frozenset({"cancelled", "failed", "refunded", "trash"})


def key_order(order_id: int) -> str:
    return f"wc:{order_id}:order"


def key_payment(order_id: int) -> str:
    return f"wc:{order_id}:payment"


def key_cancel(order_id: int) -> str:
    return f"wc:{order_id}:cancel"


def key_skip(order_id: int) -> str:
    return f"wc:{order_id}:skip"


def key_invoice(order_id: int) -> str:
    return f"wc:{order_id}:invoice"


def key_refund(order_id: int, refund_id: int | str) -> str:
    return f"wc:{order_id}:refund:{refund_id}"


def key_note(order_id: int, what: str) -> str:
    return f"wc:{order_id}:note:{what}"


@dataclass(frozen=True)
class Step:
    """One missing effect: the step's name (``STEPS`` table), its key and parameters."""

    name: str
    idem_key: str
    params: Mapping[str, Any] = field(default_factory=dict)


def _done(ledger: Mapping[str, LedgerRow], key: str) -> bool:
    row = ledger.get(key)
    return row is not None and row.status == "done"


def next_step(order: OrderPayload, ledger: Mapping[str, LedgerRow]) -> Step | None:
    """The first missing step for this order, or None when SAP and the shop agree."""
    oid = order.id
    okey = key_order(oid)
    cancelled = order.status in CANCEL_STATUSES
    if not _done(ledger, okey):
        if cancelled:
            if _done(ledger, key_skip(oid)):
                return None
            # documented rule: cancelled before it reached SAP → create nothing, tell the shop
            return Step("skip_order", okey)
        if order.status in CREATE_STATUSES:
            return Step("create_order", okey)
        return None  # drafts and unknown statuses: wait for a status SAP cares about
    order_row = ledger[okey]
    if not _done(ledger, key_note(oid, "confirmed")):
        return Step(
            "confirm_to_shop", key_note(oid, "confirmed"), {"docnum": order_row.target_docnum}
        )
    paid = bool(order.transaction_id or order.date_paid_gmt)
    if paid and not cancelled and not _done(ledger, key_payment(oid)):
        return Step("record_payment", key_payment(oid))
    invoiced = _done(ledger, key_invoice(oid))
    if cancelled:
        if invoiced:
            # after invoicing nothing is deleted or cancelled: a credit note reverses it
            if not order.refunds:
                key = key_refund(oid, "cancel")
                return None if _done(ledger, key) else Step("credit_note", key, {"full": True})
            return _next_refund(order, ledger)
        if not _done(ledger, key_cancel(oid)):
            return Step("cancel_order", key_cancel(oid))
        return None
    if invoiced:
        return _next_refund(order, ledger)
    return None


def _next_refund(order: OrderPayload, ledger: Mapping[str, LedgerRow]) -> Step | None:
    """The oldest refund without its credit note (WooCommerce lists refunds newest first)."""
    keys = {r.id: key_refund(order.id, r.id) for r in order.refunds}
    any_done = any(_done(ledger, k) for k in keys.values())
    for refund in reversed(order.refunds):
        if not _done(ledger, keys[refund.id]):
            full = not any_done and abs(refund.total) >= abs(order.total)
            return Step("credit_note", keys[refund.id], {"full": full, "refund_id": refund.id})
    return None
