"""WooCommerce order → Service Layer ``Orders`` body."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shopbridge.settings import Settings


def idem_key(order_id: int) -> str:
    """What we write in U_IdemKey so a retry can find the document it may have created."""
    return f"wc:{order_id}:order"


def _money(value: Any) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _doc_date(order: dict[str, Any]) -> date:
    raw = str(order.get("date_created_gmt") or "")
    return datetime.fromisoformat(raw).date() if raw else date.today()


def to_sap_order(order: dict[str, Any], s: Settings) -> dict[str, Any]:
    day = _doc_date(order)
    lines = [
        {
            "ItemCode": item["sku"],
            "Quantity": item["quantity"],
            # WooCommerce's line total is net and after coupons; SAP adds the VAT
            "LineTotal": _money(item["total"]),
            "VatGroup": s.vat_groups[item.get("tax_class") or ""],
            "WarehouseCode": s.warehouse,
        }
        for item in order.get("line_items", [])
    ]
    expenses = []
    for ship in order.get("shipping_lines", []):
        if (
            Decimal(str(ship.get("total") or 0)) == 0
            and Decimal(str(ship.get("total_tax") or 0)) == 0
        ):
            continue
        taxed = Decimal(str(ship.get("total_tax") or 0)) != 0
        expenses.append(
            {
                "ExpenseCode": s.freight_code,
                "LineTotal": _money(ship["total"]),
                "VatGroup": s.vat_groups[""] if taxed else s.zero_vat_group,
            }
        )
    for fee in order.get("fee_lines", []):
        taxed = fee.get("tax_status") == "taxable"
        expenses.append(
            {
                "ExpenseCode": s.freight_code,
                "LineTotal": _money(fee["total"]),
                "VatGroup": s.vat_groups[fee.get("tax_class") or ""] if taxed else s.zero_vat_group,
            }
        )
    body: dict[str, Any] = {
        "CardCode": s.card_code,
        "DocDate": day.isoformat(),
        "DocDueDate": (day + timedelta(days=s.due_days)).isoformat(),
        "NumAtCard": str(order.get("number") or order["id"]),
        "U_IdemKey": idem_key(int(order["id"])),
        "Comments": f"WooCommerce order {order.get('number') or order['id']}",
        "DocumentLines": lines,
    }
    if expenses:
        body["DocumentAdditionalExpenses"] = expenses
    return body
