"""Contract v1.1 rules (the ones that differ from v1; the rest are v1's own).

* ``references``: ``U_ShopOrderId`` dropped (deprecated in v1: ``U_IdemKey`` and
  ``NumAtCard`` already carry the order id); ``Comments`` = the customer's note plus
  machine hints — payment reference, coupons, shipping method — within SAP's 254
  characters.
* ``national_id``: the buyer's NIF (``_billing_nif``) validated as a DNI, NIE or CIF
  (``sapchaos.nationalid``) and booked in the new UDF ``U_NationalId``; an invalid one is
  a contract error naming the id and why.
* ``charges``: shipping and fees booked **gross** in the VAT group of the rate the shop
  charged (``taxes[].id``), so SAP's VAT equals the shop's to the cent whatever the
  shipping tax class ("inherit", reduced …); shipping as freight or as a line of a
  non-inventory item (``MappingContext.shipping_as``).
"""

from __future__ import annotations

from typing import Any

from bridge.contract.base import ContractError
from bridge.keys import SHOP_NAMES, key_order
from bridge.mapping import MappingContext, _money, charge_vat_group
from bridge.order import OrderPayload
from sapchaos.nationalid import NationalIdError, validate_national_id

__all__ = ["card_code", "charges", "national_id", "references"]

#: ``ORDR.Comments`` is NVARCHAR(254) in SAP Business One
COMMENTS_MAX = 254


def _comments(order: OrderPayload, ctx: MappingContext) -> str:
    parts = [f"{SHOP_NAMES[ctx.prefix]} order {order.order_number}"]
    if order.transaction_id:
        parts.append(f"payment {order.payment_method or '?'} {order.transaction_id}")
    elif order.payment_method:
        parts.append(f"payment {order.payment_method}")
    codes = [c.code for c in order.coupon_lines if c.code]
    if codes:
        parts.append("coupons " + ",".join(codes))
    methods = [s.method_title or s.method_id for s in order.shipping_lines if s.method_id]
    if methods:
        parts.append("shipping " + ",".join(methods))
    problem = _id_problem(order, ctx)
    if problem:
        parts.append(problem)
    text = " | ".join(parts)
    note = " ".join(order.customer_note.split())
    if note:
        text = f"{text} | note: {note}"
    return text if len(text) <= COMMENTS_MAX else text[: COMMENTS_MAX - 1] + "…"


def card_code(order: OrderPayload, ctx: MappingContext) -> dict[str, Any]:
    """The customer's business partner matched by customer id, else by billing email
    (case-insensitive; a guest checkout by a known customer), else the generic web
    account."""
    if order.customer_id:
        for c in ctx.catalog.customers:
            if c.id == order.customer_id:
                return {"CardCode": c.card_code}
    email = order.billing.email.strip().lower()
    if email:
        for c in ctx.catalog.customers:
            if c.email.strip().lower() == email and c.card_code:
                return {"CardCode": c.card_code}
    return {"CardCode": ctx.guest_card_code}


def references(order: OrderPayload, ctx: MappingContext) -> dict[str, Any]:
    """NumAtCard = shop order number; U_IdemKey = idempotency key; Comments with hints."""
    return {
        "NumAtCard": order.order_number,
        "U_IdemKey": key_order(ctx.prefix, order.id),
        "Comments": _comments(order, ctx),
    }


def national_id(order: OrderPayload, ctx: MappingContext) -> dict[str, Any]:
    """``U_NationalId`` from the NIF custom field, validated (check letter / digit). An
    invalid one: ``national_id_policy`` "reject" → a contract error (DLQ, the reason
    without the id, which is personal data); "omit" → booked without the UDF, the
    reason in ``Comments`` (``references`` adds it)."""
    raw = order.meta(ctx.national_id_key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    try:
        nid = validate_national_id(str(raw))
    except NationalIdError as exc:
        if ctx.national_id_policy == "reject":
            raise ContractError(
                f"national id ({ctx.national_id_key}) invalid: {exc.reason}"
            ) from None
        return {}
    return {"U_NationalId": nid.value}


def _id_problem(order: OrderPayload, ctx: MappingContext) -> str | None:
    raw = order.meta(ctx.national_id_key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        validate_national_id(str(raw))
    except NationalIdError as exc:
        return f"NIF invalid ({exc.reason})"
    return None


def charges(order: OrderPayload, ctx: MappingContext) -> dict[str, Any]:
    """Shipping (freight or an item line) and fees (freight), booked gross by rate."""
    expenses: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    ship_class = ctx.catalog.shipping.tax_class
    for ship in order.shipping_lines:
        if ship.total == 0 and ship.total_tax == 0:
            continue
        group = charge_vat_group(ctx, ship.taxes, ship.total, ship.total_tax, ship_class)
        gross = _money(ship.total) + _money(ship.total_tax)
        if ctx.shipping_as == "item":
            items.append(
                {
                    "ItemCode": ctx.shipping_item_code,
                    "Quantity": 1,
                    "PriceAfterVAT": gross,
                    "VatGroup": group,
                    "ItemDescription": (ship.method_title or ship.method_id or "shipping")[:100],
                }
            )
        else:
            expenses.append(
                {
                    "ExpenseCode": ctx.catalog.shipping.sap_expense_code,
                    "LineGross": gross,
                    "VatGroup": group,
                }
            )
    for fee in order.fee_lines:
        if fee.total < 0:
            raise ContractError(
                f"fee {fee.name!r} is negative ({fee.total}): SAP freight cannot be negative;"
                " book discounts as coupons"
            )
        group = charge_vat_group(ctx, fee.taxes, fee.total, fee.total_tax, fee.tax_class)
        expenses.append(
            {
                "ExpenseCode": ctx.fee_expense_code,
                "LineGross": _money(fee.total) + _money(fee.total_tax),
                "VatGroup": group,
            }
        )
    out: dict[str, Any] = {}
    if expenses:
        out["DocumentAdditionalExpenses"] = expenses
    if items:
        out["DocumentLines"] = items  # after the item lines (``Contract.build`` appends)
    return out
