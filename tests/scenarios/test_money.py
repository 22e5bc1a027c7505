"""Money to the cent on every path the reference bridge books. Magento mode: a fee the
Magento payload only carries inside ``grand_total`` becomes an expense. Gross shop prices:
lines go to SAP gross. (The oracle's ``amounts_match`` caught both in the catalog.)"""

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


def test_gross_prices_are_booked_gross() -> None:
    """With prices including VAT, lines go to SAP as PriceAfterVAT (per unit, gross), so
    SAP derives net and VAT from the gross as the shop did (no 0.01 drift; found by the
    oracle's amounts_match in vat-and-shipping)."""
    woo = copy.deepcopy(woo_order(2003))
    woo["prices_include_tax"] = True
    doc = to_sap_order(parse_order(woo), MappingContext(CATALOG))
    first = woo["line_items"][0]  # type: ignore[index]
    gross = (Decimal(first["total"]) + Decimal(first["total_tax"])) / first["quantity"]
    assert doc["DocumentLines"][0]["PriceAfterVAT"] == gross.quantize(Decimal("0.000001"))
    assert "LineTotal" not in doc["DocumentLines"][0]
    net_doc = to_sap_order(parse_order(woo_order(2003)), MappingContext(CATALOG))
    assert net_doc["DocumentLines"][0]["LineTotal"] == Decimal(first["total"])
