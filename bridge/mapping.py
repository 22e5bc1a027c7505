"""Mapping contract v1: a WooCommerce order → a Service Layer ``Orders`` document.

(The versioned contracts live in ``bridge.contract``; v1 is this module's ``RULES``.)

Each concern is one small rule registered in ``RULES``: who the business partner is,
which dates, the customer reference, the idempotency key, the item lines (net totals,
VAT group from the tax class), shipping and fees as additional expenses. All money is
Decimal and travels as strings-turned-numbers exactly as the shop computed it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from bridge.keys import SHOP_NAMES, Prefix, key_order
from bridge.order import OrderPayload, TaxRef, parse_wc_datetime
from sapchaos.catalog import Catalog


class MappingError(ValueError):
    """The order cannot be expressed in SAP with the current master data (permanent)."""


@dataclass(frozen=True)
class MappingContext:
    catalog: Catalog
    due_days: int = 3
    guest_card_code: str = "WEB-GUEST"
    #: the shop the order came from: ``U_IdemKey`` prefix and the ``Comments`` wording
    prefix: Prefix = "wc"
    #: the contract version (``bridge.contract.CONTRACTS``): "1" is this module's RULES
    contract: str = "1"
    #: v1.1: shipping booked as freight (``DocumentAdditionalExpenses``) or as a line of
    #: the non-inventory item ``shipping_item_code``
    shipping_as: str = "freight"
    shipping_item_code: str = "WEB-SHIP"
    #: v1.1: the order custom field holding the buyer's NIF (DNI, NIE or CIF), and what
    #: an invalid one does: "reject" (contract error → DLQ) or "omit" (booked without
    #: ``U_NationalId``, the reason in ``Comments``)
    national_id_key: str = "_billing_nif"
    national_id_policy: str = "omit"

    def vat_group(self, tax_class: str) -> str:
        try:
            return self.catalog.tax_class(tax_class).vat_group
        except KeyError:
            raise MappingError(f"no SAP VAT group for tax class {tax_class!r}") from None

    @property
    def zero_vat_group(self) -> str:
        for tc in self.catalog.tax_classes:
            if tc.rate == 0:
                return tc.vat_group
        return self.vat_group("")

    @property
    def fee_expense_code(self) -> int:
        raw = self.catalog.raw.get("fees", {})
        if isinstance(raw, dict) and "sap_expense_code" in raw:
            return int(raw["sap_expense_code"])
        return self.catalog.shipping.sap_expense_code


def _money(value: Decimal) -> Decimal:
    """Two decimals, half up (as WooCommerce and SAP B1 round amounts); a value no
    document can carry (``1e400``, NaN, infinity) is a ``MappingError`` (permanent)."""
    try:
        if not value.is_finite():
            raise InvalidOperation
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, OverflowError):
        raise MappingError(f"amount {value} cannot be booked (not a money value)") from None


Rule = Callable[[OrderPayload, MappingContext], dict[str, Any]]


def charge_vat_group(
    ctx: MappingContext,
    taxes: Sequence[TaxRef],
    total: Decimal,
    total_tax: Decimal,
    fallback_class: str,
) -> str:
    """The VAT group of a shipping or fee line (contract v1.1): the rate the shop actually
    charged (``taxes[].id`` → catalog tax rate), else the catalog rate that yields the
    line's tax to the cent, else ``fallback_class``; no tax → the zero-rate group.
    (WooCommerce's shipping tax class may be fixed, or "inherit" the cart's — the
    catalog's shipping class alone is not enough.)"""
    if total_tax == 0:
        return ctx.zero_vat_group
    for tax in taxes:
        for tc in ctx.catalog.tax_classes:
            if tax.id and tc.rate_id == tax.id:
                return tc.vat_group
    for tc in ctx.catalog.tax_classes:
        if tc.rate and _money(total * tc.rate / 100) == _money(total_tax):
            return tc.vat_group
    return ctx.vat_group(fallback_class)


def card_code(order: OrderPayload, ctx: MappingContext) -> dict[str, Any]:
    """Registered customer → its BusinessPartners key; guests (id 0) → the web-guest account."""
    if order.customer_id:
        try:
            return {"CardCode": ctx.catalog.customer_by_id(order.customer_id).card_code}
        except KeyError:
            pass  # documented: an unknown registered customer books on the guest account
    return {"CardCode": ctx.guest_card_code}


def dates(order: OrderPayload, ctx: MappingContext) -> dict[str, Any]:
    """DocDate = the shop's creation date (UTC); DocDueDate = DocDate + due days."""
    created = parse_wc_datetime(order.date_created_gmt).date()
    return {
        "DocDate": created.isoformat(),
        "DocDueDate": (created + timedelta(days=ctx.due_days)).isoformat(),
        "TaxDate": created.isoformat(),
    }


def references(order: OrderPayload, ctx: MappingContext) -> dict[str, Any]:
    """NumAtCard = shop order number (for people); U_IdemKey = the idempotency key (for code)."""
    return {
        "NumAtCard": order.order_number,
        "U_IdemKey": key_order(ctx.prefix, order.id),
        "U_ShopOrderId": str(order.id),
        "Comments": f"{SHOP_NAMES[ctx.prefix]} order {order.order_number}",
    }


def lines(order: OrderPayload, ctx: MappingContext) -> dict[str, Any]:
    """One line per item: ItemCode = sku, net LineTotal (after coupons), VatGroup by tax class."""
    out = []
    for item in order.line_items:
        line: dict[str, Any] = {"ItemCode": item.sku, "Quantity": item.quantity}
        if order.prices_include_tax:
            # gross shop prices: book the gross (PriceAfterVAT) so SAP derives net and VAT
            # from it as the shop did — a net LineTotal would let SAP recompute the VAT
            # and miss the shop's total by a cent
            gross = _money(item.total) + _money(item.total_tax)
            line["PriceAfterVAT"] = (gross / item.quantity).quantize(
                Decimal("0.000001"), rounding=ROUND_HALF_UP
            )
        else:
            line["LineTotal"] = _money(item.total)
        line["VatGroup"] = ctx.vat_group(item.tax_class)
        line["WarehouseCode"] = ctx.catalog.default_warehouse
        out.append(line)
    return {"DocumentLines": out}


def expenses(order: OrderPayload, ctx: MappingContext) -> dict[str, Any]:
    """Shipping (and fees) as freight: ``DocumentAdditionalExpenses`` with the catalog's code."""
    out: list[dict[str, Any]] = []
    ship_vat = ctx.vat_group(ctx.catalog.shipping.tax_class)
    for ship in order.shipping_lines:
        if ship.total == 0 and ship.total_tax == 0:
            continue
        group = ship_vat if ship.total_tax != 0 else ctx.zero_vat_group
        out.append(
            {
                "ExpenseCode": ctx.catalog.shipping.sap_expense_code,
                "LineTotal": _money(ship.total),
                "VatGroup": group,
            }
        )
    for fee in order.fee_lines:
        group = ctx.vat_group(fee.tax_class) if fee.tax_status == "taxable" else ctx.zero_vat_group
        out.append(
            {"ExpenseCode": ctx.fee_expense_code, "LineTotal": _money(fee.total), "VatGroup": group}
        )
    return {"DocumentAdditionalExpenses": out} if out else {}


#: the mapping, one rule per concern, applied in order
RULES: dict[str, Rule] = {
    "card_code": card_code,
    "dates": dates,
    "references": references,
    "lines": lines,
    "expenses": expenses,
}


def to_sap_order(
    order: OrderPayload, ctx: MappingContext, prefix: Prefix | None = None
) -> dict[str, Any]:
    """The ``POST /Orders`` body (money as Decimal; serialise with ``jsonable``).
    ``prefix`` overrides ``ctx.prefix`` (the order's shop, ``bridge.keys``)."""
    if prefix is not None and prefix != ctx.prefix:
        ctx = dataclasses.replace(ctx, prefix=prefix)
    doc: dict[str, Any] = {}
    for name, rule in RULES.items():
        try:
            doc.update(rule(order, ctx))
        except (InvalidOperation, OverflowError) as exc:  # e.g. a quantity of 1e400
            raise MappingError(f"{name}: a number cannot be booked ({exc!r})") from None
    return doc
