"""Line and document totals as SAP Business One computes them, in Decimal.

Line net = Quantity × Price (Price = UnitPrice × (1 − DiscountPercent/100)), rounded
half-up to the 2 currency decimals. The header ``DiscountPercent`` applies to the sum of
line nets; each line's VAT is computed on its net *after* that discount and rounded per
line; freight (additional expenses) is added after the discount with its own VAT.
``DocTotal`` = (sum of line nets − header discount) + freight + ``VatSum``.

A line priced gross (``PriceAfterVAT``) keeps its gross line total exact: net =
round(gross / (1 + rate)), VAT = gross − net (when no header discount applies), which is
how B1 avoids the 0.01 differences of gross shop prices.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

CENT = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)
ONE = Decimal(1)


def round_money(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


_QUANTA = {n: Decimal(1).scaleb(-n) for n in range(0, 10)}


def round_price(x: Decimal, decimals: int) -> Decimal:
    return x.quantize(_QUANTA.get(decimals) or Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


class LinePricing(NamedTuple):
    """What a client sent for a line's price; exactly one basis is used, in this order:
    ``line_total``, ``price_after_vat``, ``unit_price`` (+ discount), ``price``."""

    quantity: Decimal
    rate: Decimal  # VAT percent of the line's VatGroup
    discount: Decimal = ZERO
    unit_price: Decimal | None = None
    price: Decimal | None = None
    price_after_vat: Decimal | None = None
    line_total: Decimal | None = None


class LineAmounts(NamedTuple):
    unit_price: Decimal
    discount: Decimal
    price: Decimal
    price_after_vat: Decimal
    line_total: Decimal  # net, 2 decimals
    gross_total: Decimal  # gross before header discount, 2 decimals
    rate: Decimal
    gross_exact: bool  # priced gross: VAT = gross_total − line_total


def _unit_from_price(price: Decimal, discount: Decimal, decimals: int) -> Decimal:
    if discount == ZERO or discount >= HUNDRED:
        return price
    return round_price(price / (ONE - discount / HUNDRED), decimals)


def line_amounts(p: LinePricing, decimals: int = 6) -> LineAmounts:
    """Amounts of one line from its pricing basis."""
    factor = ONE + p.rate / HUNDRED
    gross_exact = False
    if p.line_total is not None:
        line_total = round_money(p.line_total)
        price = round_price(line_total / p.quantity, decimals)
        unit = (
            p.unit_price
            if p.unit_price is not None
            else _unit_from_price(price, p.discount, decimals)
        )
        gross_total = line_total + round_money(line_total * p.rate / HUNDRED)
    elif p.price_after_vat is not None:
        gross_total = round_money(p.price_after_vat * p.quantity)
        line_total = round_money(gross_total / factor)
        price = round_price(p.price_after_vat / factor, decimals)
        unit = _unit_from_price(price, p.discount, decimals)
        gross_exact = True
    elif p.unit_price is not None:
        exact = p.unit_price * (ONE - p.discount / HUNDRED)
        line_total = round_money(exact * p.quantity)
        price = round_price(exact, decimals)
        unit = p.unit_price
        gross_total = line_total + round_money(line_total * p.rate / HUNDRED)
    else:
        price = p.price if p.price is not None else ZERO
        line_total = round_money(price * p.quantity)
        unit = _unit_from_price(price, p.discount, decimals)
        gross_total = line_total + round_money(line_total * p.rate / HUNDRED)
    price_after_vat = (
        p.price_after_vat
        if p.price_after_vat is not None
        else round_price(price * factor, decimals)
    )
    return LineAmounts(
        unit_price=unit,
        discount=p.discount,
        price=price,
        price_after_vat=price_after_vat,
        line_total=line_total,
        gross_total=gross_total,
        rate=p.rate,
        gross_exact=gross_exact,
    )


def line_vat(line: LineAmounts, header_discount: Decimal) -> Decimal:
    """VAT of one line after the header discount, rounded per line."""
    if line.gross_exact and header_discount == ZERO:
        return line.gross_total - line.line_total
    return round_money(line.line_total * (ONE - header_discount / HUNDRED) * line.rate / HUNDRED)


class ExpenseAmounts(NamedTuple):
    line_total: Decimal
    vat: Decimal
    rate: Decimal


def expense_amounts(
    rate: Decimal, line_total: Decimal | None = None, line_gross: Decimal | None = None
) -> ExpenseAmounts:
    """Freight: net given (VAT on top) or gross given (net derived, gross kept exact)."""
    if line_total is not None:
        net = round_money(line_total)
        return ExpenseAmounts(net, round_money(net * rate / HUNDRED), rate)
    gross = round_money(line_gross if line_gross is not None else ZERO)
    net = round_money(gross / (ONE + rate / HUNDRED))
    return ExpenseAmounts(net, gross - net, rate)


class DocumentTotals(NamedTuple):
    subtotal: Decimal  # sum of line nets, before header discount
    total_discount: Decimal
    freight: Decimal
    line_vats: tuple[Decimal, ...]
    vat_sum: Decimal
    doc_total: Decimal


def document_totals(
    lines: list[LineAmounts], header_discount: Decimal, expenses: list[ExpenseAmounts]
) -> DocumentTotals:
    subtotal = sum((ln.line_total for ln in lines), ZERO)
    total_discount = round_money(subtotal * header_discount / HUNDRED)
    vats = tuple(line_vat(ln, header_discount) for ln in lines)
    freight = sum((e.line_total for e in expenses), ZERO)
    vat_sum = sum(vats, ZERO) + sum((e.vat for e in expenses), ZERO)
    doc_total = subtotal - total_discount + freight + vat_sum
    return DocumentTotals(subtotal, total_discount, freight, vats, vat_sum, doc_total)
