"""Magento mode books the whole grand total: a fee the Magento payload only carries inside
``grand_total`` becomes an expense, so SAP's DocTotal equals the shop's total (the
oracle's ``amounts_match`` caught it missing in the ``magento-events`` scenario)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

from bridge.events.magento import magento_to_woo
from bridge.events.subscriber import parse_event
from bridge.mapping import MappingContext, to_sap_order
from bridge.order import parse_order
from sapchaos.catalog import load_catalog
from tests.bridge.events.shop_orders import magento_event, woo_order

CATALOG = load_catalog()


def _via_magento(order: dict[str, object]) -> dict[str, object]:
    _, body = magento_event(CATALOG, order, "order.created")
    event = parse_event(body if isinstance(body, bytes) else json.dumps(body).encode())
    return magento_to_woo(event.order, CATALOG)


def test_a_fee_inside_grand_total_becomes_an_expense() -> None:
    woo = copy.deepcopy(woo_order(2001))
    woo["fee_lines"] = [
        {
            "id": 9,
            "name": "Gift wrap",
            "total": "3.99",
            "total_tax": "0.84",
            "tax_status": "taxable",
            "tax_class": "",
        }
    ]
    woo["total"] = str(Decimal(str(woo["total"])) + Decimal("4.83"))
    woo["total_tax"] = str(Decimal(str(woo["total_tax"])) + Decimal("0.84"))
    out = _via_magento(woo)
    assert out["fee_lines"] == [
        {
            "id": 1,
            "name": "Other charges",
            "total": "3.99",
            "total_tax": "0.84",
            "tax_status": "taxable",
            "tax_class": "",
        }
    ]
    doc = to_sap_order(parse_order(out), MappingContext(CATALOG))
    fee = doc["DocumentAdditionalExpenses"][-1]
    assert fee["LineTotal"] == Decimal("3.99")


def test_no_fee_line_when_items_and_shipping_make_the_total() -> None:
    assert _via_magento(woo_order(2002))["fee_lines"] == []
