"""Document actions ``Cancel``, ``Close`` and ``Reopen`` (``POST Orders(1)/Cancel``).

B1 cancels a document only while nothing was copied from it; cancelling an order releases
its committed stock, cancelling a delivery or invoice reverses its stock move and gives the
quantities back to its base. Close ends an open document (an order releases what is still
committed); Reopen undoes a Close while quantities remain open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fakesap.documents import stock
from fakesap.documents.schema import BY_OBJECT_TYPE, DocKind
from fakesap.documents.totals import ZERO
from fakesap.errors import SLError
from fakesap.masterdata import MasterData

ACTIONS = ("Cancel", "Close", "Reopen")


@dataclass
class ActionPlan:
    """The status changes and stock deltas of one action, applied atomically by the backend."""

    status: str  # new DocumentStatus
    cancelled: bool
    line_status: str | None  # new LineStatus for lines with open quantity
    deltas: stock.Deltas
    give_back: list[tuple[str, int, int, Decimal]] = field(default_factory=list)  # base restores


def open_commitments(doc: dict[str, Any], md: MasterData) -> stock.Deltas:
    deltas: stock.Deltas = {}
    for ln in doc["DocumentLines"]:
        item = md.items.get(ln["ItemCode"])
        if (
            item is None
            or item.get("InventoryItem") != "tYES"
            or ln.get("LineStatus") != "bost_Open"
        ):
            continue
        d = deltas.setdefault((ln["ItemCode"], ln["WarehouseCode"]), [ZERO, ZERO])
        d[1] += ln["RemainingOpenQuantity"]
    return deltas


def _stock_lines(doc: dict[str, Any]) -> list[stock.StockLine]:
    return [
        stock.StockLine(ln["ItemCode"], ln["WarehouseCode"], ln["Quantity"], ln["BaseType"], i + 1)
        for i, ln in enumerate(doc["DocumentLines"])
    ]


def plan_action(
    kind: DocKind, doc: dict[str, Any], action: str, md: MasterData, allow_negative: bool
) -> ActionPlan:
    cancelled = doc.get("Cancelled") == "tYES"
    is_open = doc.get("DocumentStatus") == "bost_Open" and not cancelled
    if action == "Cancel":
        copied = not kind.closes_lines_on_create and any(
            ln["RemainingOpenQuantity"] < ln["Quantity"] for ln in doc["DocumentLines"]
        )
        paid = doc.get("PaidToDate", ZERO) > 0
        if cancelled or copied or paid or (kind.stock == "commit" and not is_open):
            raise SLError.of("cannot_cancel")
        if kind.stock == "commit":
            deltas = stock.negate(open_commitments(doc, md))
        else:
            deltas = stock.negate(stock.creation_deltas(kind, _stock_lines(doc), md))
            stock.check(md, deltas, _stock_lines(doc), kind.line_table, allow_negative)
        give_back = [
            (
                BY_OBJECT_TYPE[ln["BaseType"]].entity_set,
                ln["BaseEntry"],
                ln["BaseLine"],
                ln["Quantity"],
            )
            for ln in doc["DocumentLines"]
            if ln.get("BaseEntry") is not None and ln["BaseType"] in BY_OBJECT_TYPE
        ]
        return ActionPlan("bost_Close", True, "bost_Close", deltas, give_back)
    if action == "Close":
        if not is_open:
            raise SLError.of("cannot_close")
        deltas = stock.negate(open_commitments(doc, md)) if kind.stock == "commit" else {}
        return ActionPlan("bost_Close", False, "bost_Close", deltas)
    if action == "Reopen":
        has_open = any(ln["RemainingOpenQuantity"] > 0 for ln in doc["DocumentLines"])
        if cancelled or doc.get("DocumentStatus") == "bost_Open" or not has_open:
            raise SLError.of("cannot_reopen")
        reopened = {
            **doc,
            "DocumentLines": [
                {
                    **ln,
                    "LineStatus": "bost_Open"
                    if ln["RemainingOpenQuantity"] > 0
                    else ln["LineStatus"],
                }
                for ln in doc["DocumentLines"]
            ],
        }
        deltas = open_commitments(reopened, md) if kind.stock == "commit" else {}
        return ActionPlan("bost_Open", False, "bost_Open", deltas)
    raise SLError.of("resource_not_found", segment=action)
