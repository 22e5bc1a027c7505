"""Invariants about the SAP order each shop order needs: none lost, none twice, none
invented, ended orders not live, lines as sold, an acknowledgement naming the right DocNum.

Which shop orders need a SAP document is ``sapchaos.policy`` (shared with the bridge).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from sapchaos.policy import Need, order_need
from scenarios.oracle.contract import Contract
from scenarios.oracle.histories import Histories, is_cancelled

Violation = dict[str, Any]


def order_need_for(rec: dict[str, Any], c: Contract) -> Need:
    return order_need(rec.get("order") or {}, paid_only=c.sync_when == "paid")


def _qty(value: Any) -> Decimal:
    try:
        return Decimal(str(value)).normalize()
    except (InvalidOperation, ValueError):
        return Decimal("NaN")


def _sum_by_item(pairs: Iterable[tuple[str, Any]]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for sku, qty in pairs:
        out[sku] = (out.get(sku, Decimal(0)) + _qty(qty)).normalize()
    return out


def no_lost_order(h: Histories, c: Contract) -> list[Violation]:
    """Every shop order that stands (policy SYNC) has a SAP document carrying its key —
    unless the bridge dead-lettered it and told the shop (a compensated order, judged by
    ``dlq_explained`` and the scenario's DLQ expectation instead)."""
    by_order = h.sap_orders_by_order(c)
    orders = h.orders_by_id()
    dead = h.dlq_orders(c)
    return [
        {
            "order_id": oid,
            "status": (rec.get("order") or {}).get("status"),
            "idem_key": c.order_key(oid, str((rec.get("order") or {}).get("number") or oid)),
            "found": 0,
        }
        for oid, rec in sorted(orders.items())
        if order_need_for(rec, c) is Need.SYNC and not by_order.get(oid) and oid not in dead
    ]


def no_duplicate_order(h: Histories, c: Contract) -> list[Violation]:
    """No shop order is named by more than one SAP document (ghost duplicates)."""
    out: list[Violation] = []
    keys = {v: k for k, v in h.expected_keys(c).items()}
    for oid, docs in sorted(h.sap_orders_by_order(c).items()):
        if len(docs) > 1:
            out.append(
                {
                    "order_id": oid,
                    "idem_key": keys.get(oid),
                    "found": len(docs),
                    "doc_entries": [d.get("DocEntry") for d in docs],
                    "committed_at": [d.get("committed_at") for d in docs],
                }
            )
    return out


def no_orphan_order(h: Histories, c: Contract) -> list[Violation]:
    """No SAP document claims (by the contract's key pattern) a shop order that does not exist."""
    known = h.expected_keys(c)
    probe = c.order_key(987654321, "987654321")
    head, _, tail = probe.partition("987654321")
    return [
        {"idem_key": key, "doc_entries": [d.get("DocEntry") for d in docs]}
        for key, docs in sorted(h.docs_by_field(c.document_type, c.key_field).items())
        if key not in known and key.startswith(head) and key.endswith(tail)
    ]


def _credited(h: Histories, c: Contract, oid: int) -> bool:
    """Some credit note names this order (a refund or the cancel of an invoiced order)."""
    prefix = c.refund_key(oid, "")
    return any(
        str((d.get("document") or {}).get(c.key_field, "")).startswith(prefix)
        for d in h.docs("CreditNotes")
    )


def cancelled_in_sap(h: Histories, c: Contract) -> list[Violation]:
    """A shop order that ended (cancelled, failed, refunded, trash) has no live SAP order:
    none, cancelled, or reversed by a credit note."""
    by_order = h.sap_orders_by_order(c)
    out: list[Violation] = []
    for oid, rec in sorted(h.orders_by_id().items()):
        if order_need_for(rec, c) is not Need.END:
            continue
        live = [d.get("DocEntry") for d in by_order.get(oid, []) if not is_cancelled(d)]
        if live and not _credited(h, c, oid):
            out.append(
                {
                    "order_id": oid,
                    "status": (rec.get("order") or {}).get("status"),
                    "problem": "ended in the shop, open in SAP",
                    "doc_entries": live,
                }
            )
    return out


def standing_not_cancelled(h: Histories, c: Contract) -> list[Violation]:
    """A shop order that still stands is not cancelled in SAP (a cancel applied to the wrong
    order, or applied although the shop never cancelled)."""
    out: list[Violation] = []
    orders = h.orders_by_id()
    for oid, docs in sorted(h.sap_orders_by_order(c).items()):
        rec = orders.get(oid)
        if rec is None or order_need_for(rec, c) is not Need.SYNC:
            continue
        if docs and all(is_cancelled(d) for d in docs):
            out.append(
                {
                    "order_id": oid,
                    "status": (rec.get("order") or {}).get("status"),
                    "problem": "standing in the shop, cancelled in SAP",
                    "doc_entries": [d.get("DocEntry") for d in docs],
                }
            )
    return out


def lines_match(h: Histories, c: Contract) -> list[Violation]:
    """Each SAP document for an order has exactly the shop order's items and quantities."""
    by_order = h.sap_orders_by_order(c)
    out: list[Violation] = []
    for oid, rec in sorted(h.orders_by_id().items()):
        docs = by_order.get(oid)
        if not docs:
            continue  # reported by no_lost_order
        want = _sum_by_item(
            (str(li.get("sku")), li.get("quantity"))
            for li in (rec.get("order") or {}).get("line_items", [])
        )
        for doc in docs:
            got = _sum_by_item(
                (str(line.get("ItemCode")), line.get("Quantity"))
                for line in (doc.get("document") or {}).get("DocumentLines", [])
            )
            if got != want:
                out.append(
                    {
                        "order_id": oid,
                        "doc_entry": doc.get("DocEntry"),
                        "expected": {k: str(v) for k, v in sorted(want.items())},
                        "found": {k: str(v) for k, v in sorted(got.items())},
                    }
                )
    return out


def confirmation_note(h: Histories, c: Contract) -> list[Violation]:
    """Every order that reached SAP got an acknowledgement naming the right SAP DocNum."""
    by_order = h.sap_orders_by_order(c)
    notes = h.confirmation_notes(c)
    dead = h.dlq_orders(c)
    out: list[Violation] = []
    for oid, rec in sorted(h.orders_by_id().items()):
        docs = by_order.get(oid, [])
        got = notes.get(oid, [])
        if not docs and (order_need_for(rec, c) is not Need.SYNC or oid in dead):
            continue  # nothing reached SAP and nothing had to (or it was dead-lettered)
        if not got:
            out.append({"order_id": oid, "problem": "no acknowledgement"})
            continue
        docnums = {int(d["DocNum"]) for d in docs if d.get("DocNum") is not None}
        wrong = [n for _, n in got if n not in docnums]
        if wrong:
            out.append(
                {
                    "order_id": oid,
                    "problem": "acknowledgement names a DocNum SAP does not have for this order",
                    "named": wrong,
                    "sap_docnums": sorted(docnums),
                }
            )
    return out
