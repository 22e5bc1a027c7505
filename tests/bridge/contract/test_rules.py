"""Single v1.1 rules on hand-made orders: the business partner by email, Comments hints
and their bound, charges as an item line, a negative fee refused."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.contract import ContractError, build_document
from bridge.mapping import MappingContext
from bridge.order import parse_order
from sapchaos.catalog import load_catalog
from tests.bridge.payloads import order_payload

CATALOG = load_catalog()


def _order(**changes: Any) -> dict[str, Any]:
    p = order_payload(77, customer_id=0)
    p.update(changes)
    return p


def _doc(p: dict[str, Any], **ctx: Any) -> dict[str, Any]:
    return build_document(parse_order(p), MappingContext(CATALOG, **ctx), check=False)


def test_a_guest_with_a_known_email_books_on_that_customer() -> None:
    p = _order(billing={"email": "  Lucia@Example.ES "})
    assert _doc(p, contract="1.1")["CardCode"] == "C10011"
    assert _doc(p, contract="1")["CardCode"] == "WEB-GUEST"  # v1: by customer id only
    assert (
        _doc(_order(billing={"email": "nobody@example.org"}), contract="1.1")["CardCode"]
        == "WEB-GUEST"
    )
    assert _doc(_order(customer_id=12), contract="1.1")["CardCode"] == "C10012"


def test_comments_carry_hints_within_254_characters() -> None:
    p = _order(
        transaction_id="ch_3Nabc",
        coupon_lines=[{"code": "verano15"}, {"code": "bienvenida"}],
        customer_note="Dejar en   conserjería\\npor favor " + "x" * 400,
    )
    p["shipping_lines"][0]["method_title"] = "Tarifa plana"
    comments = _doc(p, contract="1.1")["Comments"]
    assert comments.startswith(
        "WooCommerce order 77 | payment stripe ch_3Nabc | coupons verano15,bienvenida"
        " | shipping Tarifa plana | note: Dejar en conserjería"
    )
    assert len(comments) == 254 and comments.endswith("…")


def test_shipping_as_an_item_line() -> None:
    doc = _doc(_order(), contract="1.1", shipping_as="item")
    assert "DocumentAdditionalExpenses" not in doc
    ship = doc["DocumentLines"][-1]
    assert ship["ItemCode"] == "WEB-SHIP" and ship["Quantity"] == 1
    assert str(ship["PriceAfterVAT"]) == "5.99" and ship["VatGroup"] == "R3"


def test_a_negative_fee_is_a_contract_error() -> None:
    p = _order(fee_lines=[{"name": "Descuento", "total": "-2.00", "total_tax": "-0.42"}])
    with pytest.raises(ContractError, match="negative"):
        _doc(p, contract="1.1")
