"""Desired state vs actual state: which step an order needs next (level-triggered).

Webhooks are notifications, not commands: the planner looks only at the newest snapshot
and the ledger, so duplicates, reordering and a cancel that arrives before its create are
just states. The worker runs ``next_step`` → execute → reload until nothing is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bridge.keys import (
    Prefix,
    key_cancel,
    key_delivery,
    key_invoice,
    key_note,
    key_order,
    key_payment,
    key_refund,
    key_skip,
)
from bridge.order import OrderPayload
from bridge.store.base import LedgerRow
from sapchaos.policy import END_STATUSES, SYNC_STATUSES, Need, need

#: shop statuses for which an SAP sales order should exist (the policy the oracle shares)
CREATE_STATUSES = SYNC_STATUSES
#: shop statuses that mean "this order will not be fulfilled" (``sapchaos.policy``)
CANCEL_STATUSES = END_STATUSES


@dataclass(frozen=True)
class Step:
    """One missing effect: the step's name (``STEPS`` table), its key and parameters."""

    name: str
    idem_key: str
    params: Mapping[str, Any] = field(default_factory=dict)


def _done(ledger: Mapping[str, LedgerRow], key: str) -> bool:
    row = ledger.get(key)
    return row is not None and row.status == "done"


def next_step(
    order: OrderPayload,
    ledger: Mapping[str, LedgerRow],
    prefix: Prefix = "wc",
    document: str = "order",
) -> Step | None:
    """The first missing step for this order, or None when SAP and the shop agree.
    ``prefix`` names the order's shop in every key (``bridge.keys``); ``document``
    "invoice" books an A/R invoice directly (``_next_invoice_mode``)."""
    if document == "invoice":
        return _next_invoice_mode(order, ledger, prefix)
    oid = order.id
    p = prefix
    okey = key_order(p, oid)
    cancelled = order.status in CANCEL_STATUSES
    if not _done(ledger, okey):
        if cancelled:
            if _done(ledger, key_skip(p, oid)):
                return None
            # documented rule: cancelled before it reached SAP → create nothing, tell the shop
            return Step("skip_order", okey)
        if order.status in CREATE_STATUSES:
            return Step("create_order", okey)
        return None  # drafts and unknown statuses: wait for a status SAP cares about
    order_row = ledger[okey]
    if not _done(ledger, key_note(p, oid, "confirmed")):
        return Step(
            "confirm_to_shop", key_note(p, oid, "confirmed"), {"docnum": order_row.target_docnum}
        )
    paid = bool(order.transaction_id or order.date_paid_gmt)
    if paid and not cancelled and not _done(ledger, key_payment(p, oid)):
        return Step("record_payment", key_payment(p, oid))
    invoiced = _done(ledger, key_invoice(p, oid))
    if cancelled:
        if invoiced:
            # after invoicing nothing is deleted or cancelled: a credit note reverses it
            if not order.refunds:
                key = key_refund(p, oid, "cancel")
                return None if _done(ledger, key) else Step("credit_note", key, {"full": True})
            return _next_refund(order, ledger, p)
        if not _done(ledger, key_cancel(p, oid)):
            if _done(ledger, key_delivery(p, oid)):
                # SAP refuses to cancel a delivered order (-4006): wait for the invoice,
                # then a credit note reverses it (never dead-letter, never undo the cancel)
                return Step("await_invoice", key_invoice(p, oid))
            return Step("cancel_order", key_cancel(p, oid))
        return None
    if invoiced:
        return _next_refund(order, ledger, p)
    return None


def _next_invoice_mode(
    order: OrderPayload, ledger: Mapping[str, LedgerRow], p: Prefix
) -> Step | None:
    """A store that books A/R invoices directly (the second seed's ``create_invoice``):
    once the order stands *and is paid* (``sapchaos.policy`` with ``paid_only``, the rule
    the oracle's ``sync_when = "paid"`` applies) one invoice under ``{p}:{id}:invoice``
    carrying the payment reference; the shop is told; a cancel or refund after it is a
    credit note. Unpaid orders wait; cancelled before invoicing, nothing is booked."""
    oid = order.id
    ikey = key_invoice(p, oid)
    paid = bool(order.transaction_id or order.date_paid_gmt)
    cancelled = order.status in CANCEL_STATUSES
    if not _done(ledger, ikey):
        if cancelled:
            if _done(ledger, key_skip(p, oid)):
                return None
            return Step("skip_order", ikey, {"entity_set": "Invoices"})
        if need(order.status, paid=paid, paid_only=True) is Need.SYNC:
            return Step("create_invoice", ikey, {"entity_set": "Invoices"})
        return None
    note = key_note(p, oid, "confirmed")
    if not _done(ledger, note):
        return Step(
            "confirm_to_shop",
            note,
            {"docnum": ledger[ikey].target_docnum, "primary": ikey, "entity_set": "Invoices"},
        )
    if cancelled and not order.refunds:
        key = key_refund(p, oid, "cancel")
        return None if _done(ledger, key) else Step("credit_note", key, {"full": True})
    return _next_refund(order, ledger, p)


def _next_refund(
    order: OrderPayload, ledger: Mapping[str, LedgerRow], prefix: Prefix
) -> Step | None:
    """The oldest refund without its credit note (WooCommerce lists refunds newest first)."""
    keys = {r.id: key_refund(prefix, order.id, r.id) for r in order.refunds}
    any_done = any(_done(ledger, k) for k in keys.values())
    for refund in reversed(order.refunds):
        if not _done(ledger, keys[refund.id]):
            full = not any_done and abs(refund.total) >= abs(order.total)
            return Step("credit_note", keys[refund.id], {"full": full, "refund_id": refund.id})
    return None
