"""Stock drift: goods receipts and goods issues per warehouse, made inside SAP.

Imitates purchasing receiving stock and the warehouse writing off breakage or moving
goods, so the stock a shop shows drifts from SAP's and stock sync has something to follow.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from fakesap.backoffice.documents import in_stock, is_inventory_item


def pick_stock_move(
    state: Any, rng: random.Random, max_units: int
) -> tuple[str, str, Decimal, str] | None:
    """One seeded move: (item, warehouse, delta, reason); receipts twice as likely as issues."""
    items = sorted(
        (i for i in state.list_entities("Items") if is_inventory_item(i)),
        key=lambda i: str(i.get("ItemCode")),
    )
    if not items or max_units <= 0:
        return None
    item = rng.choice(items)
    warehouses = sorted(
        str(r.get("WarehouseCode")) for r in item.get("ItemWarehouseInfoCollection") or []
    )
    if not warehouses:
        return None
    warehouse = rng.choice(warehouses)
    units = rng.randint(1, max_units)
    if rng.random() < 2 / 3:
        return str(item["ItemCode"]), warehouse, Decimal(units), "goods_receipt"
    available = in_stock(item, warehouse)
    units = min(units, int(max(available, Decimal(0))))
    if units == 0:
        return None
    return str(item["ItemCode"]), warehouse, Decimal(-units), "goods_issue"
