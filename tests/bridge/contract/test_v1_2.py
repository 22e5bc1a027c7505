"""Contract v1.2: marketing source, consent flags, the quantity policy per unit of measure;
the invoice document type; the oracle's contract for each document type."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from bridge.contract import CONTRACTS, ContractError, build_document, oracle_contract
from bridge.contract.v1_2 import uom_of, uom_policies
from bridge.mapping import MappingContext
from bridge.order import parse_order
from sapchaos.catalog import load_catalog, parse_catalog
from scenarios.oracle.contract import Contract
from tests.bridge.contract.cases import GOLDEN


def _order(case: str = "attribution-consent") -> dict[str, Any]:
    return dict(json.loads((GOLDEN / f"{case}.order.json").read_text(encoding="utf-8")))


def _ctx(version: str = "1.2", catalog: Any = None) -> MappingContext:
    return MappingContext(catalog or load_catalog(), contract=version)


def _with_meta(raw: dict[str, Any], **meta: str) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    keep = [m for m in out["meta_data"] if m["key"] not in meta]
    out["meta_data"] = keep + [
        {"id": 900 + i, "key": k, "value": v} for i, (k, v) in enumerate(meta.items())
    ]
    return out


def test_v1_2_adds_exactly_its_udfs_to_v1_1() -> None:
    order = parse_order(_order())
    v11 = build_document(order, _ctx("1.1"))
    v12 = build_document(order, _ctx("1.2"))
    added = {k: v for k, v in v12.items() if k not in v11}
    assert added == {
        "U_MarketingSource": "newsletter-noviembre",
        "U_ConsentMarketing": "Y",
        "U_ConsentTerms": "N",
    }
    assert {k: v for k, v in v12.items() if k in v11} == v11
    assert "1.2" in CONTRACTS and "marketing" in CONTRACTS["1.2"].changes.lower()


def test_utm_source_wins_over_source_type_and_is_bounded() -> None:
    raw = _with_meta(_order(), _wc_order_attribution_utm_source="x" * 80)
    doc = build_document(parse_order(raw), _ctx())
    assert doc["U_MarketingSource"] == "x" * 50
    raw = _order("net-prices-coupon")  # only _wc_order_attribution_source_type = utm
    assert build_document(parse_order(raw), _ctx())["U_MarketingSource"] == "utm"


@pytest.mark.parametrize(
    ("value", "flag"),
    [("yes", "Y"), ("1", "Y"), ("on", "Y"), ("no", "N"), ("0", "N"), ("", "N"), ("maybe", None)],
)
def test_consent_values(value: str, flag: str | None) -> None:
    raw = _with_meta(_order(), _marketing_consent=value)
    doc = build_document(parse_order(raw), _ctx())
    assert doc.get("U_ConsentMarketing") == flag


def test_no_consent_field_no_udf() -> None:
    doc = build_document(parse_order(_order("net-prices-coupon")), _ctx())
    assert "U_ConsentMarketing" not in doc and "U_ConsentTerms" not in doc


def _catalog_with_kg(sku: str) -> Any:
    raw = json.loads(json.dumps(load_catalog().raw))
    for p in raw["products"]:
        if p["sku"] == sku:
            p["uom"] = "kg"
    return parse_catalog(raw)


def test_catalog_uoms_and_fakesap_sales_unit() -> None:
    from fakesap.masterdata import masterdata_from_catalog

    policies = uom_policies(load_catalog())
    assert policies["Unit"].decimals == 0 and str(policies["kg"].max) == "500"
    sku = parse_order(_order()).line_items[0].sku
    cat = _catalog_with_kg(sku)
    assert uom_of(cat, sku) == "kg"
    assert masterdata_from_catalog(cat).items[sku]["SalesUnit"] == "kg"
    assert masterdata_from_catalog(load_catalog()).items[sku]["SalesUnit"] == "Unit"


def test_quantity_beyond_its_unit_bounds_is_a_contract_error_naming_the_line() -> None:
    raw = _order()
    raw["line_items"][0]["quantity"] = 10000  # a valid shop quantity, not a sane Unit one
    with pytest.raises(ContractError, match=r"line 1 \(.+\): quantity 10000 Unit is outside"):
        build_document(parse_order(raw), _ctx(), check=False)
    # v1.1 has no quantity policy: the same order maps (the totals check is separate)
    build_document(parse_order(raw), _ctx("1.1"), check=False)
    sku = raw["line_items"][0]["sku"]
    raw["line_items"][0]["quantity"] = 501
    with pytest.raises(ContractError, match=r"kg is outside 0\.001\.\.500"):
        build_document(parse_order(raw), _ctx(catalog=_catalog_with_kg(sku)), check=False)


def test_invoice_document_carries_invoice_key_and_payment() -> None:
    raw = _order()
    raw["transaction_id"] = "pi_3NxY"
    raw["date_paid_gmt"] = "2026-11-23T20:12:00"
    order = parse_order(raw)
    as_order = build_document(order, _ctx())
    as_invoice = build_document(order, _ctx(), document="invoice")
    assert as_order["U_IdemKey"] == f"wc:{order.id}:order"
    assert as_invoice["U_IdemKey"] == f"wc:{order.id}:invoice"
    assert as_invoice["U_TransactionId"] == "pi_3NxY"
    assert as_invoice["U_DatePaid"] == "2026-11-23"
    same = {k for k in as_order if k != "U_IdemKey"}
    assert {k: as_invoice[k] for k in same} == {k: as_order[k] for k in same}
    with pytest.raises(ValueError, match="document must be one of"):
        build_document(order, _ctx(), document="delivery")
    assert build_document(order, _ctx(), card_code="WC11")["CardCode"] == "WC11"


@pytest.mark.parametrize("document", ["order", "invoice"])
def test_oracle_contract_is_valid_and_matches_what_the_bridge_writes(document: str) -> None:
    c = Contract.from_mapping(oracle_contract(document))
    raw = _order()
    raw["transaction_id"] = "pi_1"
    order = parse_order(raw)
    doc = build_document(order, _ctx(), document=document)
    assert doc[c.key_field] == c.order_key(order.id, order.order_number)
    assert c.document_type == ("Invoices" if document == "invoice" else "Orders")
    note = "SAP A/R invoice 7 created" if document == "invoice" else "SAP sales order 7 created"
    assert c.ack_docnum(note) == 7
