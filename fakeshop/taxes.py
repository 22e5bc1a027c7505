"""WooCommerce's money and tax rounding rules, in one place.

Imitates ``WC_Tax::calc_exclusive_tax`` / ``calc_inclusive_tax`` (taxes kept unrounded at
``wc_get_rounding_precision()`` = 6 decimals of a cent), ``wc_round_tax_total`` (half-up, or
half-down when the store enters prices including tax: ``WC_TAX_ROUNDING_MODE``),
``NumberUtil::round`` for line totals and shipping taxes (PHP ``round``: half away from
zero) and ``wc_format_decimal(..., 2)`` for the wire. The generator, refunds and the REST
layer all use these helpers, so every amount is rounded the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")
#: ``WC_Tax::round``: unrounded taxes keep 6 decimals *of a cent* (WooCommerce computes in
#: cents), i.e. 8 decimals of the currency unit.
EXACT = Decimal("0.00000001")


class MoneyError(ValueError):
    """A wire value that is not a money amount."""


def round_half_up(value: Decimal, places: int = 2) -> Decimal:
    """PHP ``round($value, $places)`` (half away from zero) on a Decimal."""
    return value.quantize(CENT if places == 2 else Decimal(1).scaleb(-places), ROUND_HALF_UP)


def round_half_down(value: Decimal, places: int = 2) -> Decimal:
    """PHP ``round($value, $places, PHP_ROUND_HALF_DOWN)`` on a Decimal."""
    return value.quantize(CENT if places == 2 else Decimal(1).scaleb(-places), ROUND_HALF_DOWN)


def round_item(value: Decimal) -> Decimal:
    """``WC_Cart_Totals::round_item_subtotal``: line totals (and shipping taxes) to cents,
    half up, when the store does not round at subtotal (the default)."""
    return round_half_up(value)


def round_tax(value: Decimal, prices_include_tax: bool) -> Decimal:
    """``wc_round_tax_total`` as ``round_line_tax`` calls it: to cents, half up for stores
    entering net prices, half down for stores entering gross prices."""
    return round_half_down(value) if prices_include_tax else round_half_up(value)


def exclusive_tax(net: Decimal, rate_percent: Decimal) -> Decimal:
    """``WC_Tax::calc_exclusive_tax`` for one non-compound rate: unrounded tax on a net amount."""
    return (net * rate_percent / HUNDRED).quantize(EXACT, rounding=ROUND_HALF_UP)


def inclusive_tax(gross: Decimal, rate_percent: Decimal) -> Decimal:
    """``WC_Tax::calc_inclusive_tax`` for one non-compound rate: the unrounded tax contained
    in a gross amount (``gross - gross / (1 + rate)``)."""
    if rate_percent == ZERO:
        return ZERO
    net = gross * HUNDRED / (HUNDRED + rate_percent)
    return (gross - net).quantize(EXACT, rounding=ROUND_HALF_UP)


def tax_of_net(net: Decimal, rate_percent: Decimal, prices_include_tax: bool = False) -> Decimal:
    """The rounded tax WooCommerce puts on a net line amount (e.g. 59.97 at 21 % → 12.59)."""
    return round_tax(exclusive_tax(net, rate_percent), prices_include_tax)


@dataclass(frozen=True)
class InclusiveSplit:
    """A gross amount split the way ``WC_Cart_Totals`` does for prices entered with tax."""

    gross: Decimal
    tax_exact: Decimal  # unrounded, as stored in the line's tax data
    net_exact: Decimal  # gross minus the unrounded tax, as stored as the line total
    tax: Decimal  # rounded with the store's tax rounding mode
    net: Decimal  # rounded to cents (what the REST API shows)


def split_gross(gross: Decimal, rate_percent: Decimal) -> InclusiveSplit:
    """Split a gross amount: tax = round_half_down(inclusive tax); net = round(gross − exact tax).

    ``net + tax`` equals ``gross`` except when both roundings move the same way (±0.01).
    """
    tax_exact = inclusive_tax(gross, rate_percent)
    net_exact = gross - tax_exact
    return InclusiveSplit(
        gross=gross,
        tax_exact=tax_exact,
        net_exact=net_exact,
        tax=round_tax(tax_exact, True),
        net=round_item(net_exact),
    )


def to_cents(amount: Decimal) -> int:
    """An amount with at most 2 decimals as integer cents (``wc_add_number_precision``)."""
    return int((amount * HUNDRED).to_integral_value(rounding=ROUND_HALF_UP))


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / HUNDRED).quantize(CENT)


def money_str(value: Decimal) -> str:
    """``wc_format_decimal($value, 2)``: the 2-decimal string the REST API sends."""
    out = value.quantize(CENT, ROUND_HALF_UP)
    if out == ZERO:
        out = abs(out)  # never "-0.00"
    return str(out)  # exponent -2 after quantize: the same text as f"{out:.2f}", cheaper


def exact_str(value: Decimal) -> str:
    """An unrounded stored amount as WooCommerce prints it (trailing zeros trimmed)."""
    text = f"{value.normalize():f}"
    return text if text not in ("-0", "") else "0"


def parse_money(value: Any, field: str = "amount") -> Decimal:
    """Parse a wire money value (string or number, never bool) to a 2-decimal Decimal."""
    if value is None or isinstance(value, bool):
        raise MoneyError(f"{field} is not a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise MoneyError(f"{field} is not a number") from exc
    if not amount.is_finite():
        raise MoneyError(f"{field} is not a number")
    try:
        return round_half_up(amount)
    except InvalidOperation as exc:  # beyond Decimal precision: no shop holds such a sum
        raise MoneyError(f"{field} is not a number") from exc
