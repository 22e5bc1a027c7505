"""The ``stock_drift`` invariant: registered, silent when stock sync is not under test, and
naming every product whose shop stock differs from the rule's result over SAP's stock."""

from __future__ import annotations

from typing import Any

from scenarios.oracle.contract import Contract
from scenarios.oracle.histories import Histories
from scenarios.oracle.invariants import INVARIANTS


def _h(products: list[dict[str, Any]], rule: dict[str, Any] | None) -> Histories:
    items: list[dict[str, Any]] = [
        {
            "ItemCode": "A",
            "ItemWarehouseInfoCollection": [
                {"WarehouseCode": "01", "InStock": "10", "Committed": "2"},
                {"WarehouseCode": "02", "InStock": "4", "Committed": "0"},
            ],
        },
        {"ItemCode": "B", "ItemWarehouseInfoCollection": []},
    ]
    return Histories([], [], [], sap_items=items, shop_products=products, stock_rule=rule)


def test_registered_and_silent_without_a_rule() -> None:
    check = INVARIANTS["stock_drift"]
    products = [{"id": 1, "sku": "A", "manage_stock": True, "stock_quantity": 99}]
    assert check(_h(products, None), Contract()) == []


def test_drift_is_reported_per_product() -> None:
    check = INVARIANTS["stock_drift"]
    rule = {"warehouses": ["01"], "subtract_committed": True, "safety_buffer": 1}
    products = [
        {"id": 1, "sku": "A", "manage_stock": True, "stock_quantity": 7},  # 10 - 2 - 1
        {"id": 2, "sku": "B", "manage_stock": True, "stock_quantity": 3},  # SAP has 0
        {"id": 3, "sku": "C", "manage_stock": True, "stock_quantity": 5},  # unknown to SAP
        {"id": 4, "sku": "A", "manage_stock": False, "stock_quantity": None},
    ]
    violations = check(_h(products, rule), Contract())
    assert [(v["sku"], v["expected"], v["found"]) for v in violations] == [("B", 0, 3)]
    every = {"warehouses": [], "subtract_committed": False, "safety_buffer": 0}
    assert [v["expected"] for v in check(_h(products[:1], every), Contract())] == [14]
