"""Property: for any valid document, fakesap's totals are what SAP computes — each line
net rounded half-up to cents, VAT per line after the header discount, freight with its
own VAT, DocTotal = nets − header discount + freight + VatSum; gross-priced lines keep
their gross exact. The expected values are computed here independently."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakesap.backend import FakeSap
from fakesap.config import FakeSapConfig

RATES = {"R3": Decimal(21), "R2": Decimal(10), "R1": Decimal(4), "EXE": Decimal(0)}
ITEMS = ["TSH-RED-M", "MUG-LOGO", "BOOK-ES-01", "FOOD-OLIVE-1L", "GIFT-CARD-25", "SOCKS-3PK"]
C = Decimal("0.01")


def cents(x: Decimal) -> Decimal:
    return x.quantize(C, rounding=ROUND_HALF_UP)


money = st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=2)
qty = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("500"), places=3)
pct = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)


@st.composite
def lines(draw: st.DrawFn) -> dict[str, Any]:
    line: dict[str, Any] = {
        "ItemCode": draw(st.sampled_from(ITEMS)),
        "Quantity": draw(qty),
        "VatGroup": draw(st.sampled_from(sorted(RATES))),
    }
    basis = draw(st.sampled_from(["Price", "UnitPrice", "LineTotal", "PriceAfterVAT"]))
    line[basis] = draw(money)
    if basis == "UnitPrice":
        line["DiscountPercent"] = draw(pct)
    return line


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "CardCode": "C10011",
        "DocDueDate": "2026-12-01",
        "DocumentLines": draw(st.lists(lines(), min_size=1, max_size=6)),
    }
    if draw(st.booleans()):
        doc["DiscountPercent"] = draw(pct)
    doc["DocumentAdditionalExpenses"] = [
        {
            "ExpenseCode": 1,
            draw(st.sampled_from(["LineTotal", "LineGross"])): draw(money),
            "VatGroup": draw(st.sampled_from(sorted(RATES))),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    return doc


def expected_line(line: dict[str, Any]) -> tuple[Decimal, Decimal | None]:
    """(net line total, gross total when priced gross)."""
    q, rate = line["Quantity"], RATES[line["VatGroup"]]
    if "LineTotal" in line:
        return cents(line["LineTotal"]), None
    if "PriceAfterVAT" in line:
        gross = cents(line["PriceAfterVAT"] * q)
        return cents(gross / (1 + rate / 100)), gross
    if "UnitPrice" in line:
        return cents(line["UnitPrice"] * (1 - line["DiscountPercent"] / 100) * q), None
    return cents(line["Price"] * q), None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_totals_are_computed_as_sap_does(body: dict[str, Any]) -> None:
    sap = FakeSap(FakeSapConfig(allow_negative_stock=True))
    doc = sap.create_document_now("Orders", body)
    hd = body.get("DiscountPercent", Decimal(0))
    nets, vats = [], []
    for sent, got in zip(body["DocumentLines"], doc["DocumentLines"], strict=True):
        net, gross = expected_line(sent)
        rate = RATES[sent["VatGroup"]]
        vat = (
            gross - net
            if gross is not None and hd == 0
            else cents(net * (1 - hd / 100) * rate / 100)
        )
        assert got["LineTotal"] == net
        assert got["TaxTotal"] == vat
        assert got["LineTotal"].as_tuple().exponent == -2
        nets.append(net)
        vats.append(vat)
    freight = Decimal(0)
    for sent, got in zip(
        body["DocumentAdditionalExpenses"], doc["DocumentAdditionalExpenses"], strict=True
    ):
        rate = RATES[sent["VatGroup"]]
        if "LineTotal" in sent:
            net, vat = cents(sent["LineTotal"]), cents(cents(sent["LineTotal"]) * rate / 100)
        else:
            net = cents(sent["LineGross"] / (1 + rate / 100))
            vat = cents(sent["LineGross"]) - net
        assert (got["LineTotal"], got["TaxSum"]) == (net, vat)
        freight += net
        vats.append(vat)
    subtotal = sum(nets, Decimal(0))
    discount = cents(subtotal * hd / 100)
    assert doc["TotalDiscount"] == discount
    assert doc["VatSum"] == sum(vats, Decimal(0))
    assert doc["DocTotal"] == subtotal - discount + freight + doc["VatSum"]
    if (
        hd == 0
        and all("PriceAfterVAT" in ln for ln in body["DocumentLines"])
        and not body["DocumentAdditionalExpenses"]
    ):
        assert doc["DocTotal"] == sum(
            (cents(ln["PriceAfterVAT"] * ln["Quantity"]) for ln in body["DocumentLines"]),
            Decimal(0),
        )


@settings(max_examples=100, deadline=None)
@given(documents())
def test_a_document_read_back_after_restart_has_the_same_totals(
    tmp_path_factory: Any, body: dict[str, Any]
) -> None:
    path = tmp_path_factory.mktemp("p") / "sap.sqlite"
    sap = FakeSap(FakeSapConfig(allow_negative_stock=True, persist_path=str(path)))
    doc = sap.create_document_now("Orders", body)
    sap.close()
    again = FakeSap(FakeSapConfig(allow_negative_stock=True, persist_path=str(path)))
    back = again.get_entity("Orders", doc["DocEntry"])
    assert back == doc
    again.close()
