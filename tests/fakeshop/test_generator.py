"""Generated orders: shape, internal consistency over many seeds, determinism, shares."""

from __future__ import annotations

import json
import math
import random
import re
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeshop.generator import GeneratorSettings, OrderGenerator, is_valid_nif
from sapchaos.catalog import load_catalog

CAT = load_catalog()
NOW = datetime(2026, 7, 1, 10, 0, 0, tzinfo=UTC)
MONEY = re.compile(r"^-?\d+\.\d{2}$")


def gen(seed: int, **kw: Any) -> OrderGenerator:
    return OrderGenerator(CAT, random.Random(seed), GeneratorSettings(**kw))


def m(value: str) -> D:
    assert MONEY.match(value), value
    return D(value)


def check_consistency(o: dict[str, Any]) -> None:
    lines = o["line_items"]
    fees = o["fee_lines"]
    ships = o["shipping_lines"]
    line_total = sum((m(li["total"]) for li in lines), D(0))
    line_tax = sum((m(li["total_tax"]) for li in lines), D(0))
    fee_total = sum((m(f["total"]) for f in fees), D(0))
    fee_tax = sum((m(f["total_tax"]) for f in fees), D(0))
    assert m(o["shipping_total"]) == sum((m(s["total"]) for s in ships), D(0))
    assert m(o["shipping_tax"]) == sum((m(s["total_tax"]) for s in ships), D(0))
    assert (
        m(o["total"])
        == line_total
        + line_tax
        + m(o["shipping_total"])
        + m(o["shipping_tax"])
        + fee_total
        + fee_tax
    )
    assert m(o["cart_tax"]) == line_tax + fee_tax
    assert m(o["total_tax"]) == m(o["cart_tax"]) + m(o["shipping_tax"])
    assert m(o["discount_total"]) == sum((m(li["subtotal"]) - m(li["total"]) for li in lines), D(0))
    assert m(o["discount_tax"]) == sum(
        (m(li["subtotal_tax"]) - m(li["total_tax"]) for li in lines), D(0)
    )
    per_rate: dict[int, list[D]] = defaultdict(lambda: [D(0), D(0)])
    for item in [*lines, *fees]:
        assert sum((m(t["total"]) for t in item["taxes"]), D(0)) == m(item["total_tax"])
        for t in item["taxes"]:
            per_rate[t["id"]][0] += m(t["total"])
    for li in lines:
        assert sum((m(t["subtotal"]) for t in li["taxes"]), D(0)) == m(li["subtotal_tax"])
        assert m(li["subtotal"]) >= m(li["total"]) >= 0
        assert li["price"] == pytest.approx(float(m(li["total"])) / li["quantity"], abs=0.006)
    for s in ships:
        assert sum((m(t["total"]) for t in s["taxes"]), D(0)) == m(s["total_tax"])
        for t in s["taxes"]:
            per_rate[t["id"]][1] += m(t["total"])
    assert {
        tl["rate_id"]: [m(tl["tax_total"]), m(tl["shipping_tax_total"])] for tl in o["tax_lines"]
    } == dict(per_rate)
    if o["coupon_lines"]:
        assert sum((m(c["discount"]) for c in o["coupon_lines"]), D(0)) == m(o["discount_total"])
        assert sum((m(c["discount_tax"]) for c in o["coupon_lines"]), D(0)) == m(o["discount_tax"])
    else:
        assert m(o["discount_total"]) == 0
    ids = [
        i["id"]
        for k in ("line_items", "shipping_lines", "fee_lines", "coupon_lines", "tax_lines")
        for i in o[k]
    ]
    assert len(ids) == len(set(ids))


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32), incl=st.booleans(), inherit=st.booleans())
def test_totals_are_consistent(seed: int, incl: bool, inherit: bool) -> None:
    g = gen(
        seed,
        prices_include_tax=incl,
        coupon_share=0.6,
        fee_share=0.5,
        shipping_tax_class="inherit" if inherit else None,
    )
    for i in range(5):
        check_consistency(g.new_order(1000 + i, NOW))


def test_gross_store_lines_match_entered_prices_without_coupon() -> None:
    g = gen(7, prices_include_tax=True, coupon_share=0.0)
    for i in range(300):
        o = g.new_order(i + 1, NOW)
        assert o["prices_include_tax"] is True
        for li in o["line_items"]:
            gross = CAT.product_by_sku(li["sku"]).price * li["quantity"]
            assert abs(m(li["total"]) + m(li["total_tax"]) - gross) <= D("0.01")


def test_resource_shape() -> None:
    o = gen(1).new_order(1234, NOW)
    assert o["id"] == 1234 and o["number"] == "1234" and o["parent_id"] == 0
    assert o["status"] == "pending" and o["created_via"] == "checkout"
    assert re.fullmatch(r"wc_order_[A-Za-z0-9]{13}", o["order_key"])
    assert o["currency"] == "EUR" and o["currency_symbol"] == "€"
    assert o["transaction_id"] == "" and o["date_paid"] is None and o["date_completed"] is None
    assert o["refunds"] == []
    # Madrid is UTC+2 in July; the _gmt dates are UTC, no offset
    assert (
        o["date_created"] == "2026-07-01T12:00:00"
        and o["date_created_gmt"] == "2026-07-01T10:00:00"
    )
    assert o["date_modified_gmt"] == o["date_created_gmt"]
    assert o["payment_method"] in {"bacs", "stripe", "paypal", "cod"}
    assert o["_links"]["self"][0]["href"].endswith("/wp-json/wc/v3/orders/1234")
    for key in (
        "first_name",
        "last_name",
        "company",
        "address_1",
        "address_2",
        "city",
        "state",
        "postcode",
        "country",
        "email",
        "phone",
    ):
        assert key in o["billing"]
    assert "email" not in o["shipping"]
    li = o["line_items"][0]
    assert li["variation_id"] == 0 and li["parent_name"] is None and isinstance(li["price"], float)
    assert li["sku"] == CAT.product_by_id(li["product_id"]).sku
    json.dumps(o)  # plain JSON types only


def test_winter_dates_use_madrid_standard_time_and_fixed_offset_option() -> None:
    winter = datetime(2026, 1, 15, 23, 30, tzinfo=UTC)
    o = gen(1).new_order(1, winter)
    assert (o["date_created"], o["date_created_gmt"]) == (
        "2026-01-16T00:30:00",
        "2026-01-15T23:30:00",
    )
    o = gen(1, utc_offset_hours=-5).new_order(1, winter)
    assert o["date_created"] == "2026-01-15T18:30:00"


def test_same_seed_same_orders_different_seed_different_orders() -> None:
    a = [gen(99).new_order(i, NOW) for i in range(20)]
    b = [gen(99).new_order(i, NOW) for i in range(20)]
    c = [gen(100).new_order(i, NOW) for i in range(20)]
    assert a == b
    assert a != c


def test_item_ids_unique_across_orders() -> None:
    g = gen(3)
    seen: set[int] = set()
    for i in range(100):
        o = g.new_order(i, NOW)
        for k in ("line_items", "shipping_lines", "fee_lines", "coupon_lines", "tax_lines"):
            for item in o[k]:
                assert item["id"] not in seen
                seen.add(item["id"])


def test_next_meta_id_hook_is_used() -> None:
    counter = iter(range(7000, 9000))
    g = OrderGenerator(
        CAT, random.Random(1), GeneratorSettings(), next_meta_id=lambda: next(counter)
    )
    o = g.new_order(1, NOW)
    assert all(meta["id"] >= 7000 for meta in o["meta_data"])


def test_raw_line_tax_data_keeps_unrounded_taxes() -> None:
    g = gen(5, raw_line_tax_data=True, prices_include_tax=False)
    seen_long = False
    for i in range(50):
        o = g.new_order(i, NOW)
        for li in o["line_items"]:
            t = D(li["taxes"][0]["total"])
            assert abs(t - m(li["total_tax"])) < D("0.005") + D("0.00000001")
            seen_long |= len(li["taxes"][0]["total"].split(".")[-1]) > 2
    assert seen_long


def binomial_ok(hits: int, n: int, p: float) -> bool:
    sd = math.sqrt(n * p * (1 - p))
    return abs(hits - n * p) <= 4.5 * sd


def test_shares_over_2000_orders() -> None:
    st_ = GeneratorSettings()
    g = OrderGenerator(CAT, random.Random(2024), st_)
    orders = [g.new_order(i, NOW) for i in range(2000)]
    guests = sum(o["customer_id"] == 0 for o in orders)
    coupons = sum(bool(o["coupon_lines"]) for o in orders)
    fees = sum(bool(o["fee_lines"]) for o in orders)
    nifs = [mt["value"] for o in orders for mt in o["meta_data"] if mt["key"] == "_billing_nif"]
    invalid = sum(not is_valid_nif(v) for v in nifs)
    assert binomial_ok(guests, 2000, st_.guest_share)
    assert binomial_ok(coupons, 2000, st_.coupon_share)
    assert binomial_ok(fees, 2000, st_.fee_share)
    assert binomial_ok(len(nifs), 2000, st_.tax_id_share)
    assert binomial_ok(invalid, len(nifs), st_.invalid_tax_id_share)
    registered = {o["customer_id"] for o in orders} - {0}
    assert registered <= {c.id for c in CAT.customers if c.id >= 1}
    # the hard characters do show up
    names = " ".join(o["billing"]["first_name"] + " " + o["billing"]["last_name"] for o in orders)
    addresses = " ".join(o["billing"]["address_1"] + " " + o["billing"]["city"] for o in orders)
    for needle in ("'", "ñ", "山田", "Иван", "محمد", "Αθηνά"):
        assert needle in names
    assert "'" in addresses
    for o in orders:
        local = o["billing"]["email"].split("@")[0]
        assert local.isascii() and local
        assert re.fullmatch(r"\d{5}", o["billing"]["postcode"])
        coupons_types = {c["discount_type"] for c in o["coupon_lines"]}
        assert coupons_types <= {"percent", "fixed_cart", "fixed_product"}


def test_postcodes_match_province() -> None:
    from fakeshop.generator.people import PROVINCES

    prefix = {state: pre for state, pre, _ in PROVINCES}
    g = gen(11)
    for i in range(300):
        b = g.new_order(i, NOW)["billing"]
        assert b["postcode"][:2] == prefix[b["state"]]


def test_settings_validation() -> None:
    with pytest.raises(ValueError):
        GeneratorSettings(guest_share=1.5)
    with pytest.raises(ValueError):
        GeneratorSettings(max_lines=0)


def test_inactive_products_only_on_request() -> None:
    g = gen(8)
    skus = {li["sku"] for i in range(400) for li in g.new_order(i, NOW)["line_items"]}
    assert "OLD-DISCONT" not in skus
    g = gen(8, include_inactive=True)
    skus = {li["sku"] for i in range(400) for li in g.new_order(i, NOW)["line_items"]}
    assert "OLD-DISCONT" in skus


def test_catalog_coupons_and_fees_are_used() -> None:
    from fakeshop.generator.coupons import coupons_from_catalog
    from fakeshop.generator.order import fees_from_catalog

    codes = {c.code for c in coupons_from_catalog(CAT)}
    assert {"bienvenida10", "5euros"} <= codes
    g = gen(12, coupon_share=1.0, fee_share=1.0)
    for i in range(200):
        o = g.new_order(i, NOW)
        assert o["coupon_lines"][0]["code"] in codes
        fee_names = {f["name"] for f in o["fee_lines"]}
        assert len(o["fee_lines"]) == 1
        if o["payment_method"] == "cod":
            assert fee_names == {"Recargo contra reembolso"}
        else:
            assert "Recargo contra reembolso" not in fee_names
    assert {f.name for f in fees_from_catalog(CAT)} >= {"Envoltorio de regalo"}
