"""``stock_drift``: after SAP's stock changed, the shop shows what the stock rule says.

Reads SAP's items (``GET Items`` with ``ItemWarehouseInfoCollection``) and the shop's
products at the end of the run — after the run has settled for at least one stock-sync
period — and checks every product whose stock the shop manages: its ``stock_quantity``
must equal the rule's result (``bridge.stock.effective_stock``: the warehouses that feed
the web, in stock − committed, minus the safety buffer, never below zero). Applicable
only when the run declares the rule (``Histories.stock_rule``); otherwise no violation.
"""

from __future__ import annotations

from typing import Any

from bridge.stock import StockRule, effective_stock
from scenarios.oracle.contract import Contract
from scenarios.oracle.histories import Histories

__all__ = ["stock_drift", "stock_rule_of"]


def stock_rule_of(raw: dict[str, Any]) -> StockRule:
    """A rule from its JSON form (``{"warehouses": [...], "subtract_committed": …,
    "safety_buffer": …}``), as ``StockSync.stats()["rule"]`` reports it."""
    return StockRule(
        tuple(str(w) for w in raw.get("warehouses") or ()),
        bool(raw.get("subtract_committed", True)),
        int(raw.get("safety_buffer", 0)),
    )


def stock_drift(h: Histories, c: Contract) -> list[dict[str, Any]]:
    if h.stock_rule is None:
        return []
    rule = stock_rule_of(h.stock_rule)
    items = {str(i.get("ItemCode")): i for i in h.sap_items if isinstance(i, dict)}
    out: list[dict[str, Any]] = []
    for p in h.shop_products:
        sku = str(p.get("sku") or "")
        if not p.get("manage_stock") or sku not in items:
            continue
        want = effective_stock(items[sku], rule)
        if p.get("stock_quantity") != want:
            out.append(
                {
                    "product_id": p.get("id"),
                    "sku": sku,
                    "expected": want,
                    "found": p.get("stock_quantity"),
                    "why": "shop stock differs from SAP's availability under the stock rule",
                }
            )
    return out
