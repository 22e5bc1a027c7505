"""The pre-write check: the document the bridge is about to create must total the shop
order's total (and VAT) to the cent, computed the way SAP Business One computes it.

SAP's rules (the bridge's own copy; ``tests/bridge/contract`` checks it against
fakesap's ``fakesap/documents/totals.py`` on generated orders):

* a line given ``LineTotal`` (net): net rounded half-up to 2 decimals, VAT = round(net ×
  rate) per line;
* a line given ``PriceAfterVAT`` (gross unit price): gross = round(price × quantity),
  net = round(gross / (1 + rate)), VAT = gross − net (the gross stays exact);
* freight given ``LineTotal``: VAT = round(net × rate); given ``LineGross``: net =
  round(gross / (1 + rate)), VAT = gross − net;
* ``DocTotal`` = Σ line nets + Σ freight nets + ``VatSum`` (no header discount: coupons
  are already in the shop's line totals).

A mismatch is a ``ContractError``: the order is dead-lettered with both figures and the
difference, never booked as a silently different document.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from bridge.contract.base import ContractError
from bridge.mapping import MappingContext
from bridge.order import OrderPayload

__all__ = ["SapTotals", "check_totals", "sap_totals"]

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def _r(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class SapTotals:
    net: Decimal
    vat_sum: Decimal

    @property
    def doc_total(self) -> Decimal:
        return self.net + self.vat_sum


def _rate(ctx: MappingContext, group: Any) -> Decimal:
    for tc in ctx.catalog.tax_classes:
        if tc.vat_group == group:
            return tc.rate
    raise ContractError(f"VAT group {group!r} is not in the catalog: cannot check the total")


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _amounts(
    entry: dict[str, Any], rate: Decimal, net_key: str, gross: Decimal | None
) -> tuple[Decimal, Decimal]:
    if gross is not None:
        net = _r(gross / (1 + rate / HUNDRED))
        return net, gross - net
    net = _r(_dec(entry[net_key]))
    return net, _r(net * rate / HUNDRED)


def sap_totals(document: dict[str, Any], ctx: MappingContext) -> SapTotals:
    """``DocTotal`` and ``VatSum`` SAP will compute for ``document`` (a mapped body)."""
    net = vat = Decimal(0)
    try:
        for line in document.get("DocumentLines", []):
            rate = _rate(ctx, line.get("VatGroup"))
            gross = None
            if "LineTotal" not in line and "PriceAfterVAT" in line:
                gross = _r(_dec(line["PriceAfterVAT"]) * _dec(line["Quantity"]))
            n, v = _amounts(line, rate, "LineTotal", gross)
            net, vat = net + n, vat + v
        for exp in document.get("DocumentAdditionalExpenses", []):
            rate = _rate(ctx, exp.get("VatGroup"))
            gross = None
            if "LineTotal" not in exp and "LineGross" in exp:
                gross = _r(_dec(exp["LineGross"]))
            n, v = _amounts(exp, rate, "LineTotal", gross)
            net, vat = net + n, vat + v
    except (KeyError, InvalidOperation, ArithmeticError) as exc:
        raise ContractError(f"the document's amounts cannot be totalled ({exc!r})") from None
    return SapTotals(net, vat)


def check_totals(order: OrderPayload, document: dict[str, Any], ctx: MappingContext) -> SapTotals:
    """Raise ``ContractError`` unless SAP's totals of ``document`` equal the shop's."""
    t = sap_totals(document, ctx)
    want_total = _r(order.total)
    problems = []
    if t.doc_total != want_total:
        problems.append(
            f"DocTotal {t.doc_total} ≠ shop total {want_total} (difference "
            f"{t.doc_total - want_total:+})"
        )
    if order.total_tax is not None and t.vat_sum != _r(order.total_tax):
        problems.append(
            f"VatSum {t.vat_sum} ≠ shop total_tax {_r(order.total_tax)} (difference "
            f"{t.vat_sum - _r(order.total_tax):+})"
        )
    if problems:
        raise ContractError(
            f"totals check (contract {ctx.contract}): "
            + "; ".join(problems)
            + " — the document was not sent; fix the order or the mapping and replay"
        )
    return t
