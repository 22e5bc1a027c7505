"""Property: for every order fakeshop's generator makes, the document fakesap computes from
the bridge's mapping (contract 1.1) has ``DocTotal`` and ``VatSum`` equal to the shop's
``total`` and ``total_tax`` to the cent — prices with and without VAT, every tax class,
coupons, fees, shipping as freight and as an item, every shipping tax class option. And
the bridge's own model of SAP's rules (the pre-write check) agrees with fakesap's on
every document, whichever contract wrote it — so the check refuses exactly the
documents SAP would book at a different total."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.contract import ContractError, build_document, sap_totals
from bridge.jsonwire import dumps
from bridge.mapping import MappingContext
from bridge.order import parse_order
from fakesap.backend import FakeSap
from fakeshop.generator.order import OrderGenerator
from fakeshop.generator.settings import GeneratorSettings
from sapchaos.catalog import load_catalog

CATALOG = load_catalog()
NOW = datetime(2026, 11, 23, 20, 11, 19, tzinfo=UTC)
SHIPPING_CLASSES = [None, "inherit", *(tc.slug for tc in CATALOG.tax_classes)]


def _sap() -> FakeSap:
    sap = FakeSap(catalog=CATALOG)
    sap.load_master_data(
        {
            "Items": [
                {
                    "ItemCode": "WEB-SHIP",
                    "ItemName": "Shipping",
                    "InventoryItem": "tNO",
                    "SalesVATGroup": "R3",
                }
            ]
        }
    )
    return sap


SAP = _sap()


def _orders(seed: int, n: int, **knobs: Any) -> list[dict[str, Any]]:
    gen = OrderGenerator(CATALOG, random.Random(seed), GeneratorSettings(**knobs))
    return [gen.new_order(9000 + i, NOW) for i in range(n)]


def _booked(body: dict[str, Any]) -> dict[str, Any]:
    return SAP.create_document_now("Orders", json.loads(dumps(body)))


knobs = st.fixed_dictionaries(
    {
        "prices_include_tax": st.booleans(),
        "shipping_tax_class": st.sampled_from(SHIPPING_CLASSES),
        "coupon_share": st.sampled_from([0.0, 0.5, 1.0]),
        "fee_share": st.sampled_from([0.0, 0.5, 1.0]),
        "raw_line_tax_data": st.booleans(),
        "max_qty": st.integers(min_value=1, max_value=9),
        "invalid_tax_id_share": st.just(0.0),
    }
)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), knobs=knobs, item=st.booleans())
def test_sap_totals_equal_the_shops_to_the_cent(
    seed: int, knobs: dict[str, Any], item: bool
) -> None:
    ctx = MappingContext(CATALOG, contract="1.1", shipping_as="item" if item else "freight")
    for order in _orders(seed, 8, **knobs):
        body = build_document(parse_order(order), ctx)  # the pre-write check passes
        doc = _booked(body)
        assert Decimal(str(doc["DocTotal"])) == Decimal(order["total"]), order["id"]
        assert Decimal(str(doc["VatSum"])) == Decimal(order["total_tax"]), order["id"]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    knobs=knobs,
    version=st.sampled_from(["1", "1.1"]),
)
def test_the_pre_write_check_models_sap_exactly(
    seed: int, knobs: dict[str, Any], version: str
) -> None:
    ctx = MappingContext(CATALOG, contract=version)
    for order in _orders(seed, 8, **knobs):
        parsed = parse_order(order)
        body = build_document(parsed, ctx, check=False)
        doc = _booked(body)
        mine = sap_totals(body, ctx)
        assert mine.doc_total == Decimal(str(doc["DocTotal"]))
        assert mine.vat_sum == Decimal(str(doc["VatSum"]))
        matches = mine.doc_total == parsed.total and mine.vat_sum == parsed.total_tax
        try:
            build_document(parsed, ctx)
            refused = False
        except ContractError:
            refused = True
        assert refused == (not matches)
