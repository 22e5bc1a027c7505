"""Worked examples of WooCommerce's tax and coupon arithmetic, with exact numbers."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeshop.generator.cart import CartLine, calculate
from fakeshop.generator.coupons import Coupon, DiscountItem, Discounts
from fakeshop.taxes import (
    MoneyError,
    money_str,
    parse_money,
    round_tax,
    split_gross,
    tax_of_net,
)
from sapchaos.catalog import load_catalog

CAT = load_catalog()


def line(sku: str, qty: int) -> CartLine:
    p = CAT.product_by_sku(sku)
    return CartLine(p, qty, CAT.tax_class(p.tax_class))


def test_net_line_standard_rate() -> None:
    cart = calculate([line("TSH-RED-M", 3)], prices_include_tax=False)
    lt = cart.lines[0]
    assert (lt.subtotal, lt.subtotal_tax, lt.total, lt.total_tax) == (
        D("59.97"),
        D("12.59"),
        D("59.97"),
        D("12.59"),
    )
    assert cart.totals["total"] == D("72.56")


def test_tax_of_net_rounds_half_up_for_net_stores_and_half_down_for_gross_stores() -> None:
    assert tax_of_net(D("2.50"), D("21")) == D("0.53")  # 0.525 → up
    assert round_tax(D("0.525"), prices_include_tax=True) == D("0.52")
    assert tax_of_net(D("4.95"), D("21")) == D("1.04")  # 1.0395


def test_gross_price_split() -> None:
    s = split_gross(D("24.19"), D("21"))
    assert (s.net, s.tax) == (D("19.99"), D("4.20"))
    assert s.net + s.tax == D("24.19")
    # 0.13 at 4 % contains exactly half a cent of tax: WooCommerce rounds it down
    s = split_gross(D("0.13"), D("4"))
    assert s.tax_exact == D("0.005")
    assert (s.net, s.tax) == (D("0.13"), D("0.00"))


def test_gross_split_can_be_a_cent_off_and_that_is_woocommerce() -> None:
    offs = {
        split_gross(D(c) / 100, D("21")).net + split_gross(D(c) / 100, D("21")).tax - D(c) / 100
        for c in range(1, 3000)
    }
    assert offs <= {D("-0.01"), D("0"), D("0.01")}
    assert D("0") in offs


def test_shipping_tax_on_its_own_line() -> None:
    cart = calculate(
        [line("MUG-LOGO", 1)],
        prices_include_tax=False,
        shipping=[("Tarifa plana", D("4.95"), CAT.tax_class(""))],
    )
    assert cart.shipping[0].tax == D("1.04")
    assert cart.totals["shipping_tax"] == D("1.04")
    assert cart.totals["total"] == D("8.50") + D("1.79") + D("4.95") + D("1.04")


def test_percent_coupon_distributes_missing_cent_to_largest_line_first() -> None:
    # 10 % of 7.33 floors to 0.73, of 2.15 to 0.21: 0.94, but 10 % of 9.48 is 0.948 → 0.95
    cart = calculate(
        [line("BREAD-MIX", 1), line("CABLE-USBC-2M", 1)],
        prices_include_tax=False,
        coupon=Coupon("diez", "percent", D("10")),
    )
    bread, cable = cart.lines
    assert cable.discount_cents == 74 and bread.discount_cents == 21
    assert (cable.total, bread.total) == (D("6.59"), D("1.94"))
    assert cart.totals["discount_total"] == D("0.95")
    assert cart.coupon_cents == 95


def test_fixed_cart_coupon_per_unit_then_remainder() -> None:
    cart = calculate(
        [line("SOCKS-3PK", 2), line("CABLE-USBC-2M", 3)],
        prices_include_tax=False,
        coupon=Coupon("regalo", "fixed_cart", D("7.77")),
    )
    socks, cable = cart.lines
    # 777 cents / 5 units = 155 each (775), the 2 left go one per unit to the bigger line
    assert (socks.discount_cents, cable.discount_cents) == (310, 467)
    assert (socks.total, cable.total) == (D("20.90"), D("17.32"))
    assert cart.totals["discount_total"] == D("7.77")


def test_fixed_cart_coupon_larger_than_cart_stops_at_zero() -> None:
    cart = calculate(
        [line("BREAD-MIX", 2)],
        prices_include_tax=False,
        coupon=Coupon("big", "fixed_cart", D("50")),
    )
    assert cart.lines[0].total == D("0.00")
    assert cart.coupon_cents == 430


def test_coupon_on_gross_prices_reduces_gross_then_splits() -> None:
    cart = calculate(
        [line("TSH-RED-M", 1)], prices_include_tax=True, coupon=Coupon("diez", "percent", D("10"))
    )
    lt = cart.lines[0]
    # gross 19.99 − 2.00 (floor 1.999 = 1.99, whole 2.00 → +1 cent) = 17.99 gross
    assert lt.discount_cents == 200
    assert lt.total + lt.total_tax == D("17.99")
    assert (lt.total, lt.total_tax) == (D("14.87"), D("3.12"))
    assert (lt.subtotal, lt.subtotal_tax) == (D("16.52"), D("3.47"))


def test_money_parsing() -> None:
    assert parse_money("12.345") == D("12.35")
    assert parse_money(7) == D("7.00")
    assert money_str(D("-0.001")) == "0.00"
    for bad in (None, True, "abc", "NaN", "inf"):
        with pytest.raises(MoneyError):
            parse_money(bad)


@settings(max_examples=300, deadline=None)
@given(
    prices=st.lists(st.tuples(st.integers(1, 20000), st.integers(1, 6)), min_size=1, max_size=6),
    kind=st.sampled_from(["percent", "fixed_cart", "fixed_product"]),
    amount=st.integers(1, 9000),
)
def test_coupon_spread_invariants(prices: list[tuple[int, int]], kind: str, amount: int) -> None:
    items = [DiscountItem(i, q, p * q) for i, (p, q) in enumerate(prices)]
    d = Discounts(items)
    coupon_amount = D(amount % 100) if kind == "percent" else D(amount) / 100
    total = d.apply(Coupon("x", kind, coupon_amount))
    assert total == sum(d.by_item.values())
    for it in items:
        assert 0 <= d.by_item[it.key] <= it.price
    cart = sum(it.price for it in items)
    if kind == "fixed_cart":
        assert total == min(amount, cart)
    if kind == "percent":
        assert cart * coupon_amount / 100 - 1 < total <= cart * coupon_amount / 100 + 1


@settings(max_examples=300, deadline=None)
@given(
    picks=st.lists(
        st.tuples(st.sampled_from([p.sku for p in CAT.products]), st.integers(1, 5)),
        min_size=1,
        max_size=5,
        unique_by=lambda t: t[0],
    ),
    pct=st.integers(0, 60),
)
def test_gross_lines_equal_entered_gross_after_coupon(
    picks: list[tuple[str, int]], pct: int
) -> None:
    lines = [line(sku, q) for sku, q in picks]
    cart = calculate(lines, prices_include_tax=True, coupon=Coupon("p", "percent", D(pct)))
    for lt in cart.lines:
        entered = lt.line.product.price * lt.line.quantity
        assert abs(lt.subtotal + lt.subtotal_tax - entered) <= D("0.01")
        after = entered - D(lt.discount_cents) / 100
        assert abs(lt.total + lt.total_tax - after) <= D("0.01")
