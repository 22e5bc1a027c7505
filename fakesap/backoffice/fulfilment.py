"""Deliveries and invoices made by the warehouse and accounting inside SAP.

Imitates what B1 users do after a sales order arrives: pick and ship what stock allows
(a DeliveryNotes document copied from the order, a carrier tracking number in a UDF; the
rest stays open as a back order), then post the A/R invoice copied from the delivery.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fakesap.backoffice.documents import (
    DELIVERY,
    ORDER,
    dec,
    in_stock,
    is_inventory_item,
    open_quantity,
    sl_date,
    wire_quantity,
)


@dataclass
class DeliveryPlan:
    """Lines to deliver for one order; ``partial`` when some open quantity stays behind."""

    order: dict[str, Any]
    lines: list[tuple[dict[str, Any], Decimal]]
    partial: bool


def tracking_number(rng: random.Random) -> str:
    """A carrier-style tracking number (seeded): ``1Z`` + 16 digits."""
    return "1Z" + "".join(str(rng.randrange(10)) for _ in range(16))


def plan_delivery(
    order: dict[str, Any], state: Any, reserved: dict[tuple[str, str], Decimal], allow_partial: bool
) -> DeliveryPlan | None:
    """What can ship now from ``order``; ``reserved`` tracks stock already promised this tick."""
    lines: list[tuple[dict[str, Any], Decimal]] = []
    partial = False
    for line in order.get("DocumentLines") or []:
        wanted = open_quantity(line)
        if wanted <= 0:
            continue
        code = str(line.get("ItemCode", ""))
        warehouse = str(line.get("WarehouseCode") or "01")
        try:
            item = state.get_entity("Items", code)
        except Exception:
            item = {}
        if item and not is_inventory_item(item):
            lines.append((line, wanted))
            continue
        available = in_stock(item, warehouse) - reserved.get((code, warehouse), Decimal(0))
        qty = min(wanted, max(available, Decimal(0))).to_integral_value(rounding="ROUND_FLOOR")
        if qty < wanted:
            partial = True
        if qty > 0:
            lines.append((line, qty))
    if not lines or (partial and not allow_partial):
        return None
    for line, qty in lines:
        key = (str(line.get("ItemCode", "")), str(line.get("WarehouseCode") or "01"))
        reserved[key] = reserved.get(key, Decimal(0)) + qty
    return DeliveryPlan(order, lines, partial)


def delivery_body(plan: DeliveryPlan, tracking_no: str, now: float) -> dict[str, Any]:
    order = plan.order
    return {
        "CardCode": order.get("CardCode"),
        "DocDate": sl_date(now),
        "NumAtCard": order.get("NumAtCard"),
        "Comments": f"Based On Sales Orders {order.get('DocNum')}.",
        "U_TrackingNo": tracking_no,
        "DocumentLines": [
            {
                "BaseType": ORDER,
                "BaseEntry": order["DocEntry"],
                "BaseLine": line.get("LineNum", i),
                "Quantity": wire_quantity(qty),
            }
            for i, (line, qty) in enumerate(plan.lines)
        ],
    }


def invoice_body(delivery: dict[str, Any], now: float) -> dict[str, Any]:
    return {
        "CardCode": delivery.get("CardCode"),
        "DocDate": sl_date(now),
        "NumAtCard": delivery.get("NumAtCard"),
        "Comments": f"Based On Deliveries {delivery.get('DocNum')}.",
        "DocumentLines": [
            {
                "BaseType": DELIVERY,
                "BaseEntry": delivery["DocEntry"],
                "BaseLine": line.get("LineNum", i),
                "Quantity": wire_quantity(dec(line.get("Quantity"))),
            }
            for i, line in enumerate(delivery.get("DocumentLines") or [])
        ],
    }
