"""Incoming payments (ORCT, ``IncomingPayments``): money received from a customer and
applied to its open A/R invoices.

Applying a payment raises the invoice's ``PaidToDate``; a fully paid invoice closes, as in
B1. More money than applied stays on account; applying more than an invoice's open
balance is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fakesap.documents.builder import BuildContext, HeaderBuilder, check_properties
from fakesap.documents.schema import (
    INVOICE_TYPES,
    PAYMENT_COMPUTED,
    PAYMENT_INPUTS,
    PAYMENT_INVOICE_INPUTS,
)
from fakesap.documents.totals import ZERO, round_money
from fakesap.documents.values import invalid, to_date, to_decimal, to_key, to_text
from fakesap.errors import SLError

PAYMENT_ALLOWED = PAYMENT_INPUTS | PAYMENT_COMPUTED
SUM_FIELDS = ("CashSum", "TransferSum")


@dataclass
class PreparedPayment:
    document: dict[str, Any]
    applied: list[tuple[int, Decimal]]  # (invoice DocEntry, SumApplied)


def prepare_payment(body: Any, ctx: BuildContext) -> PreparedPayment:
    if not isinstance(body, dict):
        raise SLError.of("invalid_json", detail="the body must be a JSON object")
    check_properties(body, PAYMENT_ALLOWED, ctx.header_udfs, "Payment")
    header = HeaderBuilder(ctx)
    bp = header.card(body)
    doc: dict[str, Any] = {
        "DocEntry": None,
        "DocNum": None,
        "DocType": "rCustomer",
        "DocDate": ctx.today,
        "CardCode": bp["CardCode"],
        "CardName": bp.get("CardName"),
        "DocCurrency": ctx.md.currency,
    }
    for name in ("DocDate", "TaxDate", "DueDate", "TransferDate"):
        if body.get(name) is not None:
            doc[name] = to_date(body[name], name)
    doc.setdefault("TaxDate", doc["DocDate"])
    doc.setdefault("DueDate", doc["DocDate"])
    if body.get("DocType") not in (None, "rCustomer"):
        raise invalid("DocType", body["DocType"])
    if body.get("DocCurrency") not in (None, ctx.md.currency):
        raise invalid("DocCurrency", body["DocCurrency"])
    for name in (
        "TransferAccount",
        "TransferReference",
        "CashAccount",
        "CheckAccount",
        "CounterReference",
        "Reference1",
        "Reference2",
    ):
        if body.get(name) is not None:
            doc[name] = to_text(body[name], name, "Payment", 100)
    for name in ("Remarks", "JournalRemarks"):
        if body.get(name) is not None:
            doc[name] = to_text(body[name], name, "Payment", 254)
    total = ZERO
    for name in SUM_FIELDS:
        value = ZERO if body.get(name) is None else round_money(to_decimal(body[name], name))
        if value < 0:
            raise invalid(name, body[name])
        doc[name] = value
        total += value
    if total <= 0:
        raise SLError.of(
            "business_rule",
            message="Total payment amount must be greater than zero  [ORCT.DocTotal]",
        )
    raw = body.get("PaymentInvoices") or []
    if not isinstance(raw, list):
        raise invalid("PaymentInvoices", raw)
    applied: list[tuple[int, Decimal]] = []
    lines: list[dict[str, Any]] = []
    pending: dict[int, Decimal] = {}
    for i, pi in enumerate(raw):
        if not isinstance(pi, dict):
            raise invalid("PaymentInvoices", pi)
        check_properties(pi, PAYMENT_INVOICE_INPUTS, frozenset(), "PaymentInvoice")
        if pi.get("DocEntry") is None:
            raise SLError.of("missing_field", field="DocEntry", table="RCT2", column="DocEntry")
        entry = to_key(pi["DocEntry"], "DocEntry")
        inv_type = pi.get("InvoiceType", "it_Invoice")
        if inv_type not in INVOICE_TYPES:
            raise invalid("InvoiceType", inv_type)
        if pi.get("SumApplied") is None:
            raise SLError.of("missing_field", field="SumApplied", table="RCT2", column="SumApplied")
        amount = round_money(to_decimal(pi["SumApplied"], "SumApplied"))
        if amount <= 0:
            raise invalid("SumApplied", pi["SumApplied"])
        invoice = ctx.find(INVOICE_TYPES[inv_type], entry)
        if (
            invoice is None
            or invoice.get("Cancelled") == "tYES"
            or invoice.get("CardCode") != bp["CardCode"]
        ):
            raise SLError.of(
                "base_document_not_found", base_type=13, base_entry=entry, table="RCT2", line=i + 1
            )
        open_balance = invoice["DocTotal"] - invoice["PaidToDate"] - pending.get(entry, ZERO)
        if amount > open_balance:
            raise SLError.of("payment_exceeds_open", doc_entry=entry, line=i + 1)
        pending[entry] = pending.get(entry, ZERO) + amount
        applied.append((entry, amount))
        lines.append(
            {"LineNum": i, "DocEntry": entry, "SumApplied": amount, "InvoiceType": inv_type}
        )
    applied_total = sum((a for _, a in applied), ZERO)
    if applied_total > total:
        raise SLError.of("payment_unbalanced", total=total, applied=applied_total)
    doc["PaymentInvoices"] = lines
    doc["DocTotal"] = total
    doc["Cancelled"] = "tNO"
    for name in ctx.header_udf_order:
        udf_value = body.get(name)
        if udf_value is not None and not isinstance(udf_value, str | int | float | Decimal):
            raise invalid(name, udf_value)
        doc[name] = udf_value
    return PreparedPayment(doc, applied)
