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
#: builds a NamedTuple from a full plain tuple, skipping its Python-level ``__new__``
_new_tuple = tuple.__new__


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
    # hot path (every document line): Decimal methods called directly, quantum looked up once
    quantum = _QUANTA.get(decimals) or Decimal(1).scaleb(-decimals)
    quantity, rate, discount, unit_price, price, price_after_vat, line_total = p
    gross_exact = False
    if line_total is not None:
        line_total = line_total.quantize(CENT, ROUND_HALF_UP)
        price = (line_total / quantity).quantize(quantum, ROUND_HALF_UP)
        unit = unit_price if unit_price is not None else _unit_from_price(price, discount, decimals)
        gross_total = line_total + (line_total * rate / HUNDRED).quantize(CENT, ROUND_HALF_UP)
    elif price_after_vat is not None:
        factor = ONE + rate / HUNDRED
        gross_total = (price_after_vat * quantity).quantize(CENT, ROUND_HALF_UP)
        line_total = (gross_total / factor).quantize(CENT, ROUND_HALF_UP)
        price = (price_after_vat / factor).quantize(quantum, ROUND_HALF_UP)
        unit = _unit_from_price(price, discount, decimals)
        gross_exact = True
    elif unit_price is not None:
        exact = unit_price * (ONE - discount / HUNDRED)
        line_total = (exact * quantity).quantize(CENT, ROUND_HALF_UP)
        price = exact.quantize(quantum, ROUND_HALF_UP)
        unit = unit_price
        gross_total = line_total + (line_total * rate / HUNDRED).quantize(CENT, ROUND_HALF_UP)
    else:
        price = price if price is not None else ZERO
        line_total = (price * quantity).quantize(CENT, ROUND_HALF_UP)
        unit = _unit_from_price(price, discount, decimals)
        gross_total = line_total + (line_total * rate / HUNDRED).quantize(CENT, ROUND_HALF_UP)
    if price_after_vat is None:
        price_after_vat = (price * (ONE + rate / HUNDRED)).quantize(quantum, ROUND_HALF_UP)
    return _new_tuple(
        LineAmounts,
        (unit, discount, price, price_after_vat, line_total, gross_total, rate, gross_exact),
    )


def line_vat(line: LineAmounts, header_discount: Decimal) -> Decimal:
    """VAT of one line after the header discount, rounded per line."""
    if header_discount == ZERO:
        if line.gross_exact:
            return line.gross_total - line.line_total
        # the same value as the general formula below with a discount factor of exactly 1
        return (line.line_total * line.rate / HUNDRED).quantize(CENT, ROUND_HALF_UP)
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
    subtotal = ZERO
    vats: list[Decimal] = []
    vat_sum = ZERO
    for ln in lines:
        subtotal += ln.line_total
    total_discount = round_money(subtotal * header_discount / HUNDRED)
    for ln in lines:
        vat = line_vat(ln, header_discount)
        vats.append(vat)
        vat_sum += vat
    freight = ZERO
    for e in expenses:
        freight += e.line_total
    for e in expenses:
        vat_sum += e.vat
    doc_total = subtotal - total_discount + freight + vat_sum
    return DocumentTotals(subtotal, total_discount, freight, tuple(vats), vat_sum, doc_total)
