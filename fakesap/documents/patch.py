"""``PATCH Orders(n)``: partial update of a document, as the Service Layer does it.

Header properties present in the body are replaced; ``DocumentLines`` are merged by
``LineNum`` (an unknown or absent LineNum appends a line) unless the client sends
``B1S-ReplaceCollectionsOnPatch: true``, in which case the lines sent are the new lines.
Totals, VAT and the order's committed stock are recomputed. Closed or cancelled documents
and posted documents (deliveries, invoices, credit notes) only take header texts and UDFs.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fakesap.documents import stock
from fakesap.documents.builder import (
    HEADER_ALLOWED,
    LINE_ALLOWED,
    BuildContext,
    HeaderBuilder,
    LineBuilder,
    _percent,
    amounts_of,
    apply_totals,
    build_expenses,
    check_properties,
    expense_amounts_of,
)
from fakesap.documents.schema import LINE_PASSTHROUGH, ORDER
from fakesap.documents.totals import ZERO
from fakesap.documents.values import invalid, to_int
from fakesap.errors import SLError

PRICE_BASES = ("Price", "UnitPrice", "PriceAfterVAT", "LineTotal")
AMOUNT_KEYS = ("DocumentLines", "DiscountPercent", "DocumentAdditionalExpenses")


@dataclass
class PreparedPatch:
    document: dict[str, Any]
    gross_lines: frozenset[int]
    deltas: stock.Deltas


def _input_form(line: dict[str, Any], gross: bool, line_udfs: frozenset[str]) -> dict[str, Any]:
    """A stored line as the body that would recreate it."""
    out: dict[str, Any] = {
        "ItemCode": line["ItemCode"],
        "ItemDescription": line.get("ItemDescription"),
        "Quantity": line["Quantity"],
        "DiscountPercent": line["DiscountPercent"],
        "VatGroup": line["VatGroup"],
        "WarehouseCode": line["WarehouseCode"],
    }
    if gross:
        out["PriceAfterVAT"] = line["PriceAfterVAT"]
    else:
        out["UnitPrice"] = line["UnitPrice"]
    for name in (*LINE_PASSTHROUGH, *sorted(line_udfs)):
        if name in line:
            out[name] = line[name]
    return out


def _json_number(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _copied(line: dict[str, Any]) -> Decimal:
    result: Decimal = line["Quantity"] - line["RemainingOpenQuantity"]
    return result


def _open_commitments(doc: dict[str, Any], ctx: BuildContext) -> stock.Deltas:
    deltas: stock.Deltas = {}
    if doc.get("DocumentStatus") != "bost_Open" or doc.get("Cancelled") == "tYES":
        return deltas
    for ln in doc["DocumentLines"]:
        item = ctx.md.items.get(ln["ItemCode"])
        if (
            item is None
            or item.get("InventoryItem") != "tYES"
            or ln.get("LineStatus") != "bost_Open"
        ):
            continue
        d = deltas.setdefault((ln["ItemCode"], ln["WarehouseCode"]), [ZERO, ZERO])
        d[1] += ln["RemainingOpenQuantity"]
    return deltas


def prepare_patch(
    doc: dict[str, Any],
    gross_lines: frozenset[int],
    body: Any,
    ctx: BuildContext,
    replace_collections: bool,
) -> PreparedPatch:
    if not isinstance(body, dict):
        raise SLError.of("invalid_json", detail="the body must be a JSON object")
    check_properties(body, HEADER_ALLOWED, ctx.header_udfs, "Document")
    if "CardCode" in body and body["CardCode"] != doc["CardCode"]:
        raise SLError.of(
            "business_rule",
            message=f"Business partner cannot be changed  [{ctx.kind.header_table}.CardCode]",
        )
    touches_amounts = any(k in body for k in AMOUNT_KEYS)
    is_open = doc.get("DocumentStatus") == "bost_Open" and doc.get("Cancelled") != "tYES"
    if touches_amounts and not is_open:
        raise SLError.of("business_rule", message="Cannot update a closed or cancelled document")
    if touches_amounts and ctx.kind.object_type != ORDER:
        raise SLError.of(
            "business_rule",
            message=f"Amounts of a posted {ctx.kind.entity_set[:-1]} cannot be changed; cancel it or issue a credit note",
        )
    new = dict(doc)
    HeaderBuilder(ctx).fields(body, new)
    if not touches_amounts:
        return PreparedPatch(new, gross_lines, {})

    new_gross = set(gross_lines)
    if "DocumentLines" in body:
        lines, new_gross = _merge_lines(
            doc, gross_lines, body["DocumentLines"], ctx, replace_collections
        )
        new["DocumentLines"] = lines
    if "DocumentAdditionalExpenses" in body:
        exp_wires, _ = build_expenses(body["DocumentAdditionalExpenses"], ctx)
        new["DocumentAdditionalExpenses"] = exp_wires
    header_discount = (
        _percent(body, "DiscountPercent") if "DiscountPercent" in body else doc["DiscountPercent"]
    )
    frozen_gross = frozenset(new_gross)
    apply_totals(new, amounts_of(new, frozen_gross), expense_amounts_of(new), header_discount)
    deltas = stock.merge(stock.negate(_open_commitments(doc, ctx)), _open_commitments(new, ctx))
    return PreparedPatch(new, frozen_gross, deltas)


def _merge_lines(
    doc: dict[str, Any],
    gross_lines: frozenset[int],
    raw_lines: Any,
    ctx: BuildContext,
    replace: bool,
) -> tuple[list[dict[str, Any]], set[int]]:
    if not isinstance(raw_lines, list):
        raise invalid("DocumentLines", raw_lines)
    existing = {ln["LineNum"]: ln for ln in doc["DocumentLines"]}
    next_num = max(existing, default=-1) + 1
    result: dict[int, dict[str, Any]] = {} if replace else dict(existing)
    gross = set() if replace else set(gross_lines)
    lb = LineBuilder(ctx, doc["CardCode"])
    for raw in raw_lines:
        if not isinstance(raw, dict):
            raise invalid("DocumentLines", raw)
        check_properties(raw, LINE_ALLOWED, ctx.line_udfs, "DocumentLine")
        num = to_int(raw["LineNum"], "LineNum") if raw.get("LineNum") is not None else None
        old = existing.get(num) if num is not None else None
        if old is None:
            num = next_num
            next_num += 1
            body = {k: v for k, v in raw.items() if k != "LineNum"}
            copied = ZERO
        else:
            body = _input_form(old, old["LineNum"] in gross_lines, ctx.line_udfs)
            if any(k in raw for k in PRICE_BASES):
                for k in PRICE_BASES:
                    body.pop(k, None)
            body.update({k: v for k, v in raw.items() if k != "LineNum"})
            copied = _copied(old)
            if copied > 0 and (
                body["ItemCode"] != old["ItemCode"] or body["WarehouseCode"] != old["WarehouseCode"]
            ):
                raise SLError.of(
                    "business_rule",
                    message=f"Line {num} has follow-up documents; item and warehouse cannot change",
                )
        body = {k: _json_number(v) for k, v in body.items()}
        assert num is not None
        wire, amounts, _ = lb.build(body, num)
        if wire["Quantity"] < copied:
            raise SLError.of(
                "business_rule",
                message=f"Quantity of line {num} is below the quantity already copied to follow-up documents",
            )
        remaining = wire["Quantity"] - copied
        wire["OpenQuantity"] = remaining
        wire["RemainingOpenQuantity"] = remaining
        wire["LineStatus"] = "bost_Open" if remaining > 0 else "bost_Close"
        result[num] = wire
        gross.discard(num)
        if amounts.gross_exact:
            gross.add(num)
    if replace:
        for num, old in existing.items():
            if num not in result and _copied(old) > 0:
                raise SLError.of(
                    "business_rule",
                    message=f"Line {num} has follow-up documents and cannot be removed",
                )
    if not result:
        raise SLError.of(
            "missing_field", field="DocumentLines", table=ctx.kind.line_table, column="ItemCode"
        )
    return [result[n] for n in sorted(result)], gross
