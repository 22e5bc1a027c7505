"""Oracle invariants: each a small pure function registered by name in ``INVARIANTS``.

An invariant takes the histories and returns the list of its violations (empty = ok).
Violations are short dicts a person can act on: which order, what was expected, what
was found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from scenarios.oracle.histories import Histories, order_key

Violation = dict[str, Any]
Invariant = Callable[[Histories], list[Violation]]


@dataclass(frozen=True)
class InvariantResult:
    name: str
    ok: bool
    violations: list[Violation]

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "violations": self.violations}


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


#: shop statuses in which an order may end without a SAP sales order (cancelled before
#: it reached SAP is "just a state": the bridge creates nothing and tells the shop)
UNSYNCED_OK = frozenset({"cancelled", "failed"})


def _status(rec: dict[str, Any]) -> str:
    return str((rec.get("order") or {}).get("status", ""))


def no_lost_order(h: Histories) -> list[Violation]:
    """Every shop order that still stands has a SAP sales order carrying its key."""
    by_key = h.sap_orders_by_key()
    return [
        {"order_id": oid, "idem_key": order_key(oid), "found": 0}
        for oid, rec in sorted(h.orders_by_id().items())
        if not by_key.get(order_key(oid)) and _status(rec) not in UNSYNCED_OK
    ]


def cancelled_in_sap(h: Histories) -> list[Violation]:
    """A shop order that ended cancelled has no live SAP order: none, cancelled, or credited."""
    by_key = h.sap_orders_by_key()
    credited = {
        str((d.get("document") or {}).get("U_IdemKey", "")).rsplit(":refund:", 1)[0]
        for d in h.sap_documents
        if d.get("entity_set") == "CreditNotes"
    }
    out: list[Violation] = []
    for oid, rec in sorted(h.orders_by_id().items()):
        if _status(rec) != "cancelled":
            continue
        live = [
            d.get("DocEntry")
            for d in by_key.get(order_key(oid), [])
            if (d.get("document") or {}).get("Cancelled") != "tYES"
        ]
        if live and f"wc:{oid}" not in credited:
            out.append(
                {
                    "order_id": oid,
                    "problem": "cancelled in the shop, open in SAP",
                    "doc_entries": live,
                }
            )
    return out


def no_duplicate_order(h: Histories) -> list[Violation]:
    """No idempotency key appears on more than one SAP sales order (ghost duplicates)."""
    return [
        {
            "idem_key": key,
            "found": len(docs),
            "doc_entries": [d.get("DocEntry") for d in docs],
            "committed_at": [d.get("committed_at") for d in docs],
        }
        for key, docs in sorted(h.sap_orders_by_key().items())
        if len(docs) > 1
    ]


def no_orphan_order(h: Histories) -> list[Violation]:
    """No SAP sales order claims a shop order that does not exist."""
    known = {order_key(oid) for oid in h.orders_by_id()}
    return [
        {"idem_key": key, "doc_entries": [d.get("DocEntry") for d in docs]}
        for key, docs in sorted(h.sap_orders_by_key().items())
        if key.startswith("wc:") and key.endswith(":order") and key not in known
    ]


def lines_match(h: Histories) -> list[Violation]:
    """Each SAP order has exactly the shop order's items and quantities."""
    by_key = h.sap_orders_by_key()
    out: list[Violation] = []
    for oid, rec in sorted(h.orders_by_id().items()):
        docs = by_key.get(order_key(oid))
        if not docs:
            continue  # reported by no_lost_order
        want = _sum_by_item(
            (str(li.get("sku")), li.get("quantity")) for li in rec["order"].get("line_items", [])
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


def confirmation_note(h: Histories) -> list[Violation]:
    """Every order that reached SAP got a note back naming the right SAP DocNum."""
    by_key = h.sap_orders_by_key()
    notes = h.confirmation_notes()
    out: list[Violation] = []
    for oid in sorted(h.orders_by_id()):
        docs = by_key.get(order_key(oid), [])
        got = notes.get(oid, [])
        if not docs and _status(h.orders_by_id()[oid]) in UNSYNCED_OK:
            continue  # nothing reached SAP, so there is nothing to confirm
        if not got:
            out.append({"order_id": oid, "problem": "no confirmation note"})
            continue
        docnums = {int(d["DocNum"]) for d in docs if d.get("DocNum") is not None}
        wrong = [n for _, n in got if n not in docnums]
        if wrong:
            out.append(
                {
                    "order_id": oid,
                    "problem": "note names a DocNum SAP does not have for this key",
                    "named": wrong,
                    "sap_docnums": sorted(docnums),
                }
            )
    return out


#: the walking skeleton's invariants, in report order
INVARIANTS: dict[str, Invariant] = {
    "no_lost_order": no_lost_order,
    "no_duplicate_order": no_duplicate_order,
    "no_orphan_order": no_orphan_order,
    "cancelled_in_sap": cancelled_in_sap,
    "lines_match": lines_match,
    "confirmation_note": confirmation_note,
}
