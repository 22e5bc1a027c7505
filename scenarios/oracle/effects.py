"""Follow-up effects: invoices and credit notes exactly once per key, one credit note per
refund of an invoiced order, and no partial document left open.

SAP B1 has no idempotency header: a retried ``POST /Invoices`` or ``/CreditNotes`` after a
lost reply books the money twice, and a header accepted without all its lines (a
header-then-lines flow, or a line the SL refused) stays as a wrong open document unless
the bridge completes or cancels it.
"""

from __future__ import annotations

from typing import Any

from scenarios.oracle.contract import Contract
from scenarios.oracle.histories import Histories, is_cancelled

Violation = dict[str, Any]
ORDERS_OBJECT_TYPE = 17


def _duplicates(h: Histories, c: Contract, entity_set: str) -> list[Violation]:
    return [
        {
            "idem_key": key,
            "entity_set": entity_set,
            "found": len(docs),
            "doc_entries": [d.get("DocEntry") for d in docs],
        }
        for key, docs in sorted(h.docs_by_field(entity_set, c.key_field).items())
        if len(docs) > 1
    ]


def no_duplicate_invoice(h: Histories, c: Contract) -> list[Violation]:
    """No key appears on two A/R invoices (``{prefix}:{id}:invoice``)."""
    if c.document_type == "Invoices":
        return []  # the invoice is the primary document: no_duplicate_order covers it
    return _duplicates(h, c, "Invoices")


def no_duplicate_credit_note(h: Histories, c: Contract) -> list[Violation]:
    """One credit note per refund: no key appears on two credit notes."""
    return _duplicates(h, c, "CreditNotes")


def _invoiced_orders(h: Histories, c: Contract) -> set[int]:
    """Shop orders with a live A/R invoice in SAP (copied from their sales order, or booked
    directly when the contract's document type is Invoices)."""
    by_order = h.sap_orders_by_order(c)
    if c.document_type == "Invoices":
        return {oid for oid, docs in by_order.items() if any(not is_cancelled(d) for d in docs)}
    entry_to_order = {d.get("DocEntry"): oid for oid, docs in by_order.items() for d in docs}
    out: set[int] = set()
    for inv in h.docs("Invoices"):
        if is_cancelled(inv):
            continue
        for line in (inv.get("document") or {}).get("DocumentLines", []) or []:
            if (
                line.get("BaseType") == ORDERS_OBJECT_TYPE
                and line.get("BaseEntry") in entry_to_order
            ):
                out.add(entry_to_order[line["BaseEntry"]])
    return out


def refunds_credited(h: Histories, c: Contract) -> list[Violation]:
    """Every refund of an invoiced order is reversed by a credit note carrying its key."""
    credit_keys = set(h.docs_by_field("CreditNotes", c.key_field))
    out: list[Violation] = []
    orders = h.orders_by_id()
    for oid in sorted(_invoiced_orders(h, c)):
        rec = orders.get(oid) or {}
        for refund in rec.get("refunds") or []:
            rid = refund.get("id")
            key = c.refund_key(oid, rid)
            if key not in credit_keys:
                out.append(
                    {
                        "order_id": oid,
                        "refund_id": rid,
                        "idem_key": key,
                        "problem": "refund of an invoiced order without its credit note",
                    }
                )
    return out


def no_partial_document(h: Histories, c: Contract) -> list[Violation]:
    """No SAP document is left open without lines, or with only some of its order's items."""
    out: list[Violation] = []
    by_order = h.sap_orders_by_order(c)
    for entity_set in ("Orders", "Invoices", "CreditNotes"):
        for doc in h.docs(entity_set):
            d = doc.get("document") or {}
            if not d.get("DocumentLines") and not is_cancelled(doc):
                out.append(
                    {
                        "entity_set": entity_set,
                        "doc_entry": doc.get("DocEntry"),
                        "idem_key": d.get(c.key_field),
                        "problem": "open document without lines",
                    }
                )
    orders = h.orders_by_id()
    for oid, docs in sorted(by_order.items()):
        want = {str(li.get("sku")) for li in (orders[oid].get("order") or {}).get("line_items", [])}
        for doc in docs:
            d = doc.get("document") or {}
            got = {str(ln.get("ItemCode")) for ln in d.get("DocumentLines", []) or []}
            if got and got < want and not is_cancelled(doc):
                out.append(
                    {
                        "order_id": oid,
                        "doc_entry": doc.get("DocEntry"),
                        "problem": "open document with only some of the order's items",
                        "missing": sorted(want - got),
                    }
                )
    return out
