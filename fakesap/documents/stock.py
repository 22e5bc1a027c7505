"""Stock moves of marketing documents, per item and warehouse (OITW in B1).

An open sales order raises ``Committed``; a delivery (or an invoice not based on a
delivery) lowers ``InStock`` and, when copied from an order, ``Committed``; a credit note
puts stock back. Going below zero is refused unless negative inventory is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from fakesap.documents.schema import DELIVERY, ORDER, DocKind
from fakesap.errors import SLError
from fakesap.masterdata import MasterData, refresh_item_totals, stock_row

ZERO = Decimal(0)
#: (ItemCode, WarehouseCode) -> [InStock delta, Committed delta]
Deltas = dict[tuple[str, str], list[Decimal]]


class StockLine(NamedTuple):
    """One document line as far as stock is concerned (1-based ``line`` for errors)."""

    item: str
    warehouse: str
    quantity: Decimal
    base_type: int
    line: int


def creation_deltas(kind: DocKind, lines: Iterable[StockLine], md: MasterData) -> Deltas:
    """The stock change of posting a document with these lines (inventory items only)."""
    deltas: Deltas = {}
    items = md.items
    effect = kind.stock
    for ln in lines:
        item = items.get(ln.item)
        if item is None or item.get("InventoryItem") != "tYES":
            continue
        key = (ln.item, ln.warehouse)
        d = deltas.get(key)
        if d is None:
            d = deltas[key] = [ZERO, ZERO]
        if effect == "commit":
            d[1] += ln.quantity
        elif effect == "issue":
            if kind.object_type != DELIVERY and ln.base_type == DELIVERY:
                continue  # invoice copied from a delivery: the delivery moved the stock
            d[0] -= ln.quantity
            if ln.base_type == ORDER:
                d[1] -= ln.quantity
        elif effect == "receive":
            d[0] += ln.quantity
    return deltas


def negate(deltas: Deltas) -> Deltas:
    return {k: [-v[0], -v[1]] for k, v in deltas.items()}


def merge(a: Deltas, b: Deltas) -> Deltas:
    out = {k: list(v) for k, v in a.items()}
    for k, v in b.items():
        d = out.setdefault(k, [ZERO, ZERO])
        d[0] += v[0]
        d[1] += v[1]
    return out


def check(
    md: MasterData, deltas: Deltas, lines: Iterable[StockLine], table: str, allow_negative: bool
) -> None:
    """Refuse a move that would take ``InStock`` below zero; the error names the first line."""
    if allow_negative:
        return
    short = None
    for key, d in deltas.items():
        d_stock = d[0]
        if d_stock < ZERO and _in_stock(md, key) + d_stock < ZERO:
            if short is None:
                short = set()
            short.add(key)
    if not short:
        return
    for ln in lines:
        if (ln.item, ln.warehouse) in short:
            raise SLError.of("negative_inventory", table=table, line=ln.line)
    raise SLError.of("negative_inventory", table=table, line=1)


def _in_stock(md: MasterData, key: tuple[str, str]) -> Decimal:
    row = md.stock.get(key)
    return row["InStock"] if row is not None else ZERO


def apply(md: MasterData, deltas: Deltas) -> set[str]:
    """Apply the deltas; returns the item codes touched (for persistence)."""
    touched: set[str] = set()
    rows = md.stock
    items = md.items
    for key, (d_stock, d_committed) in deltas.items():
        if d_stock == ZERO and d_committed == ZERO:
            continue
        code = key[0]
        row = rows.get(key)
        item = items[code]
        if row is None:
            row = stock_row(key[1], ZERO)
            item["ItemWarehouseInfoCollection"].append(row)
            rows[key] = row
        row["InStock"] += d_stock
        committed = row["Committed"] + d_committed
        row["Committed"] = committed if committed > ZERO else ZERO
        if code in touched or committed < ZERO:
            refresh_item_totals(item)  # recompute when in doubt (several rows, clamping)
        else:
            item["QuantityOnStock"] += d_stock
            item["QuantityOrderedByCustomers"] += d_committed
        touched.add(code)
    return touched
