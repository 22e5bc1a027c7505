"""Reading SL documents the way the back office needs: open quantities, payment facts,
stock per warehouse, base links. Tolerant of numbers sent as int, float or string."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

ORDER, DELIVERY, INVOICE = 17, 15, 13


def dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def wire_quantity(q: Decimal) -> int | float:
    """A quantity as JSON: an integer when whole (the usual case), else a float."""
    return int(q) if q == q.to_integral_value() else float(q)


def is_open(doc: dict[str, Any]) -> bool:
    return (
        doc.get("DocumentStatus", "bost_Open") == "bost_Open"
        and doc.get("Cancelled", "tNO") != "tYES"
    )


def is_paid(order: dict[str, Any]) -> bool:
    """Paid = the shop's payment facts reached SAP: ``U_TransactionId`` or ``U_DatePaid`` set."""
    return bool(order.get("U_TransactionId")) or bool(order.get("U_DatePaid"))


def open_quantity(line: dict[str, Any]) -> Decimal:
    if line.get("LineStatus") == "bost_Close":
        return Decimal(0)
    for name in ("RemainingOpenQuantity", "OpenQuantity"):
        if line.get(name) is not None:
            return dec(line[name])
    return dec(line.get("Quantity"))


def in_stock(item: dict[str, Any], warehouse: str) -> Decimal:
    for row in item.get("ItemWarehouseInfoCollection") or []:
        if row.get("WarehouseCode") == warehouse:
            return dec(row.get("InStock"))
    return Decimal(0)


def is_inventory_item(item: dict[str, Any]) -> bool:
    return item.get("InventoryItem", "tYES") != "tNO"


def base_entry(doc: dict[str, Any], base_type: int) -> int | None:
    for line in doc.get("DocumentLines") or []:
        if line.get("BaseType") == base_type and line.get("BaseEntry") is not None:
            return int(line["BaseEntry"])
    return None


def iso_now(clock_value: float) -> str:
    """ISO 8601 UTC with milliseconds and ``Z``, as every sapchaos ground truth."""
    moment = datetime.fromtimestamp(clock_value, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def sl_date(clock_value: float) -> str:
    return datetime.fromtimestamp(clock_value, tz=UTC).strftime("%Y-%m-%d")
