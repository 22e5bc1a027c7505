"""Money: each SAP document booked for a shop order carries the shop's totals to the cent.

WooCommerce computes ``total`` and ``total_tax`` with its own rounding (per line, then
summed); SAP Business One recomputes ``DocTotal`` and ``VatSum`` from the lines, the
freight and the VAT groups. A bridge that maps gross prices as net, books shipping
without its tax group, forgets a fee or rounds differently shows up here.
"""

from __future__ import annotations

from typing import Any

from scenarios.oracle.contract import Contract
from scenarios.oracle.histories import Histories, money

Violation = dict[str, Any]


def amounts_match(h: Histories, c: Contract) -> list[Violation]:
    """``DocTotal`` = the order's ``total`` and ``VatSum`` = its ``total_tax``, to the cent."""
    by_order = h.sap_orders_by_order(c)
    out: list[Violation] = []
    for oid, rec in sorted(h.orders_by_id().items()):
        order = rec.get("order") or {}
        want_total, want_tax = money(order.get("total")), money(order.get("total_tax"))
        if want_total is None:
            continue  # a history without amounts (hand-written) has nothing to compare
        for doc in by_order.get(oid, []):
            d = doc.get("document") or {}
            got_total, got_tax = money(d.get("DocTotal")), money(d.get("VatSum"))
            wrong = {}
            if got_total != want_total:
                wrong["DocTotal"] = {"expected": str(want_total), "found": str(got_total)}
            if want_tax is not None and got_tax != want_tax:
                wrong["VatSum"] = {"expected": str(want_tax), "found": str(got_tax)}
            if wrong:
                out.append({"order_id": oid, "doc_entry": doc.get("DocEntry"), **wrong})
    return out
