"""Cart totals the way ``WC_Cart_Totals`` computes them at checkout (default store options:
taxes on, "round tax at subtotal level" off, one base-location rate per tax class).

Per line: subtotal and its tax from the entered price × quantity; coupon cents spread by
:mod:`.coupons`; the line total's tax from the discounted amount (exclusive prices: tax on
top; inclusive prices: tax extracted, net = gross − unrounded tax); each tax rounded per
line with ``wc_round_tax_total``. Shipping tax is rounded per line half-up, fee taxes like
item taxes. Order totals are sums of the rounded line figures, so they add up exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from fakeshop.generator.coupons import Coupon, DiscountItem, Discounts
from fakeshop.taxes import (
    ZERO,
    exclusive_tax,
    from_cents,
    inclusive_tax,
    round_item,
    round_tax,
    to_cents,
)
from sapchaos.catalog import Product, TaxClass


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int
    rate: TaxClass


@dataclass(frozen=True)
class FeeSpec:
    """A cart fee (``WC_Cart::add_fee``): amount entered net, optionally taxable."""

    name: str
    amount: Decimal
    tax_class: str = ""
    taxable: bool = True
    payment_method: str | None = None  # only offered with this gateway (e.g. cod surcharge)


@dataclass
class LineTotals:
    line: CartLine
    subtotal_exact: Decimal
    subtotal_tax_exact: Decimal
    total_exact: Decimal
    total_tax_exact: Decimal
    subtotal: Decimal
    subtotal_tax: Decimal
    total: Decimal
    total_tax: Decimal
    discount_cents: int  # coupon cents on the entered (gross or net) price


@dataclass
class ChargeTotals:
    """A shipping or fee line: net total, its tax (exact and rounded) and its rate."""

    name: str
    total: Decimal
    tax_exact: Decimal
    tax: Decimal
    rate: TaxClass | None


@dataclass
class CartTotals:
    prices_include_tax: bool
    lines: list[LineTotals]
    shipping: list[ChargeTotals]
    fees: list[ChargeTotals]
    coupon: Coupon | None
    coupon_cents: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)


def _line_subtotals(line: CartLine, incl: bool) -> tuple[Decimal, Decimal]:
    price = line.product.price * line.quantity
    rate = line.rate.rate
    if incl:
        tax = inclusive_tax(price, rate)
        return price - tax, tax
    return price, exclusive_tax(price, rate)


def calculate(
    lines: list[CartLine],
    *,
    prices_include_tax: bool,
    coupon: Coupon | None = None,
    shipping: list[tuple[str, Decimal, TaxClass | None]] | None = None,
    fees: list[tuple[FeeSpec, TaxClass | None]] | None = None,
) -> CartTotals:
    """Totals for one checkout. ``shipping`` is ``[(title, net cost, rate or None)]``;
    ``fees`` is ``[(spec, rate or None)]``."""
    incl = prices_include_tax
    items = [
        DiscountItem(key=i, quantity=ln.quantity, price=to_cents(ln.product.price) * ln.quantity)
        for i, ln in enumerate(lines)
    ]
    discounts = Discounts(items)
    coupon_cents = discounts.apply(coupon) if coupon is not None else 0

    out_lines: list[LineTotals] = []
    for i, ln in enumerate(lines):
        sub_exact, sub_tax_exact = _line_subtotals(ln, incl)
        disc = discounts.by_item[i]
        discounted = from_cents(items[i].price - disc)
        if incl:
            tax_exact = inclusive_tax(discounted, ln.rate.rate)
            total_exact = discounted - tax_exact
        else:
            tax_exact = exclusive_tax(discounted, ln.rate.rate)
            total_exact = discounted
        out_lines.append(
            LineTotals(
                line=ln,
                subtotal_exact=sub_exact,
                subtotal_tax_exact=sub_tax_exact,
                total_exact=total_exact,
                total_tax_exact=tax_exact,
                subtotal=round_item(sub_exact),
                subtotal_tax=round_tax(sub_tax_exact, incl),
                total=round_item(total_exact),
                total_tax=round_tax(tax_exact, incl),
                discount_cents=disc,
            )
        )

    ship_out: list[ChargeTotals] = []
    for title, cost, rate in shipping or []:
        tax_exact = exclusive_tax(cost, rate.rate) if rate is not None else ZERO
        # get_shipping_from_cart rounds shipping taxes with round_item_subtotal (half up)
        ship_out.append(
            ChargeTotals(title, round_item(cost), tax_exact, round_item(tax_exact), rate)
        )

    fee_out: list[ChargeTotals] = []
    for spec, rate in fees or []:
        tax_exact = (
            exclusive_tax(spec.amount, rate.rate) if (spec.taxable and rate is not None) else ZERO
        )
        fee_out.append(
            ChargeTotals(
                spec.name, round_item(spec.amount), tax_exact, round_tax(tax_exact, incl), rate
            )
        )

    cart = CartTotals(incl, out_lines, ship_out, fee_out, coupon, coupon_cents)
    items_total = sum((ln.total for ln in out_lines), ZERO)
    items_tax = sum((ln.total_tax for ln in out_lines), ZERO)
    fees_total = sum((f.total for f in fee_out), ZERO)
    fees_tax = sum((f.tax for f in fee_out), ZERO)
    shipping_total = sum((s.total for s in ship_out), ZERO)
    shipping_tax = sum((s.tax for s in ship_out), ZERO)
    cart_tax = items_tax + fees_tax  # WC_Checkout: cart_contents_tax + fee_tax
    cart.totals = {
        "discount_total": sum((ln.subtotal - ln.total for ln in out_lines), ZERO),
        "discount_tax": sum((ln.subtotal_tax - ln.total_tax for ln in out_lines), ZERO),
        "shipping_total": shipping_total,
        "shipping_tax": shipping_tax,
        "cart_tax": cart_tax,
        "total_tax": cart_tax + shipping_tax,
        "total": items_total + fees_total + shipping_total + cart_tax + shipping_tax,
        "items_total": items_total,
        "fees_total": fees_total,
    }
    return cart
