"""Turn a client's document body into a complete, computed SL document, or refuse it.

Imitates the DI-API behind ``POST /Orders`` and friends: every property is checked
(unknown properties and undeclared UDFs refused), the partner and items are looked up,
prices are derived (net, gross, line total or the item's price list), base documents are
checked for open quantities, and totals/VAT are computed. Nothing is changed here: the
backend applies the resulting plan atomically, so a bad line means no document at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from sys import intern
from typing import Any

from fakesap.documents import stock
from fakesap.documents.schema import (
    BY_OBJECT_TYPE,
    EXPENSE_COMPUTED,
    EXPENSE_INPUTS,
    HEADER_COMPUTED,
    HEADER_INPUTS,
    HEADER_PASSTHROUGH,
    INVOICE,
    LINE_COMPUTED,
    LINE_INPUTS,
    LINE_PASSTHROUGH,
    ORDER,
    DocKind,
)
from fakesap.documents.totals import (
    HUNDRED,
    ONE,
    ZERO,
    ExpenseAmounts,
    LineAmounts,
    LinePricing,
    document_totals,
    expense_amounts,
    line_amounts,
)
from fakesap.documents.values import invalid, to_date, to_decimal, to_int, to_key, to_text
from fakesap.errors import SLError
from fakesap.masterdata import MasterData

OBJECT_CODES = {
    "Orders": "oOrders",
    "DeliveryNotes": "oDeliveryNotes",
    "Invoices": "oInvoices",
    "CreditNotes": "oCreditNotes",
}
#: B1 expense codes (OEXD) known to fakesap
EXPENSE_CODES = {1: "Freight", 2: "Insurance", 3: "Packing"}
TEXT_LIMITS = {"NumAtCard": 100, "Comments": 254, "JournalMemo": 254, "CardName": 100}
DATE_FIELDS = ("DocDate", "DocDueDate", "TaxDate", "RequriedDate")
BASE_FIELDS = ("BaseType", "BaseEntry", "BaseLine")


@dataclass
class BuildContext:
    """What building a document needs to read: master data, UDF declarations, other
    documents (for copy-from-base) and today's date."""

    md: MasterData
    kind: DocKind
    header_udfs: frozenset[str]
    line_udfs: frozenset[str]
    today: str
    find: Callable[[str, int], dict[str, Any] | None]
    gross_lines: Callable[[str, int], frozenset[int]]
    price_decimals: int = 6
    allow_negative_stock: bool = False
    freight_vat_group: str | None = None
    #: date strings already checked (a pure memo: most documents carry today's dates)
    valid_dates: dict[str, str] = field(default_factory=dict)
    #: one shared str per VAT group and warehouse code (documents keep these, not copies)
    codes: dict[str, str] = field(default_factory=dict)
    #: the UDF names in the order documents list them (sorted: a set's iteration order
    #: changes with the process's hash seed, and the wire format must not)
    header_udf_order: tuple[str, ...] = field(init=False)
    line_udf_order: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.header_udf_order = tuple(sorted(self.header_udfs))
        self.line_udf_order = tuple(sorted(self.line_udfs))
        for code in (*self.md.vat_rates, *self.md.warehouses):
            self.codes.setdefault(code, code)


#: at most this many entries in ``BuildContext.valid_dates``
DATE_MEMO_SIZE = 4096


@dataclass
class BaseTake:
    """A quantity copied from a base document line."""

    entity_set: str
    doc_entry: int
    line_num: int
    quantity: Decimal


@dataclass
class PreparedDocument:
    """A validated, computed document and the changes posting it makes elsewhere."""

    document: dict[str, Any]
    gross_lines: frozenset[int]
    stock_lines: list[stock.StockLine]
    deltas: stock.Deltas
    takes: list[BaseTake] = field(default_factory=list)


def check_properties(
    body: dict[str, Any], allowed: frozenset[str], udfs: frozenset[str], entity: str
) -> None:
    """Refuse unknown properties and undeclared ``U_`` fields, as the SL's OData layer does."""
    if body.keys() <= allowed:
        return
    for name in body:
        if name in allowed:
            continue
        if name.startswith("U_"):
            if name in udfs:
                continue
            raise SLError.of("invalid_udf", name=name, entity=entity)
        if name.startswith(("odata.", "@odata.")):
            continue  # annotations echoed back by clients are ignored
        raise SLError.of("invalid_property", name=name, entity=entity)


HEADER_ALLOWED = HEADER_INPUTS | HEADER_PASSTHROUGH | HEADER_COMPUTED
LINE_ALLOWED = LINE_INPUTS | LINE_PASSTHROUGH | LINE_COMPUTED
EXPENSE_ALLOWED = EXPENSE_INPUTS | EXPENSE_COMPUTED


def _optional_decimal(raw: dict[str, Any], name: str) -> Decimal | None:
    value = raw.get(name)
    return None if value is None else to_decimal(value, name)


def _non_negative(value: Decimal | None, name: str) -> Decimal | None:
    if value is not None and value < 0:
        raise invalid(name, value)
    return value


def _percent(raw: dict[str, Any], name: str) -> Decimal:
    value = _optional_decimal(raw, name)
    if value is None:
        return ZERO
    if not ZERO <= value <= HUNDRED:
        raise invalid(name, value)
    return value


class HeaderBuilder:
    """Checks and fills the header fields shared by creation and PATCH."""

    def __init__(self, ctx: BuildContext) -> None:
        self.ctx = ctx
        self.table = ctx.kind.header_table

    def card(self, raw: dict[str, Any]) -> dict[str, Any]:
        if "CardCode" not in raw or raw["CardCode"] in (None, ""):
            raise SLError.of("missing_field", field="CardCode", table=self.table, column="CardCode")
        code = raw["CardCode"]
        if not isinstance(code, str):
            raise invalid("CardCode", code)
        bp = self.ctx.md.business_partners.get(code)
        if bp is None:
            raise SLError.of("invalid_card_code", card_code=code[:60], table=self.table)
        if bp.get("Frozen") == "tYES" or bp.get("Valid") == "tNO":
            raise SLError.of(
                "business_rule",
                message=f"Business partner '{code}' is inactive  [{self.table}.CardCode]",
            )
        return bp

    def fields(self, raw: dict[str, Any], doc: dict[str, Any]) -> None:
        """Copy the simple header fields present in ``raw`` into ``doc``, checked."""
        dates = self.ctx.valid_dates
        for name in DATE_FIELDS:
            value = raw.get(name)
            if value is not None:
                date = dates.get(value) if value.__class__ is str else None
                if date is None:
                    date = to_date(value, name)
                    if len(dates) < DATE_MEMO_SIZE:
                        dates[value] = date
                doc[name] = date
        for name, limit in TEXT_LIMITS.items():
            if name in raw:
                value = raw[name]
                doc[name] = None if value is None else to_text(value, name, "Document", limit)
        if "DocType" in raw and raw["DocType"] != "dDocument_Items":
            raise invalid("DocType", raw["DocType"])
        if raw.get("DocCurrency") is not None:
            cur = raw["DocCurrency"]
            if not isinstance(cur, str) or cur != self.ctx.md.currency:
                raise invalid("DocCurrency", cur)
        if raw.get("DocRate") is not None:
            rate = to_decimal(raw["DocRate"], "DocRate")
            if rate != 1:
                raise invalid("DocRate", raw["DocRate"])
        if raw.get("Series") is not None:
            series = to_int(raw["Series"], "Series")
            if series != self.ctx.kind.series:
                raise invalid("Series", series)
        udfs = self.ctx.header_udfs
        # names are stored interned: the body's own key strings would be one copy per document
        for name, value in raw.items():
            if name in udfs:
                if value is not None and not isinstance(value, str | int | float | Decimal):
                    raise invalid(name, value)
                if isinstance(value, str) and len(value) > 254:
                    raise SLError.of("value_too_long", name=name, entity="Document", max_len=254)
                doc[intern(name)] = value
            elif name in HEADER_PASSTHROUGH and name not in TEXT_LIMITS:
                doc[intern(name)] = value


class LineBuilder:
    """Checks one line, resolves its item, warehouse, VAT group, base and price basis."""

    def __init__(self, ctx: BuildContext, card_code: str) -> None:
        self.ctx = ctx
        self.card_code = card_code
        self.table = ctx.kind.line_table
        self.taken: dict[tuple[str, int, int], Decimal] = {}

    def error(self, name: str, line: int, **fields: Any) -> SLError:
        return SLError.of(name, table=self.table, line=line, **fields)

    def item(self, code: Any, line: int) -> dict[str, Any]:
        if not isinstance(code, str) or not code:
            if code in (None, ""):
                raise SLError.of(
                    "missing_field",
                    field="ItemCode",
                    table=self.table,
                    column=f"ItemCode][line: {line}",
                )
            raise invalid("ItemCode", code)
        item = self.ctx.md.items.get(code)
        if item is None:
            raise self.error("invalid_item", line, item_code=code[:60])
        if item.get("Frozen") == "tYES" or item.get("Valid") == "tNO":
            raise self.error("item_inactive", line, item_code=code)
        if item.get("SalesItem") != "tYES":
            raise self.error("item_not_sales", line, item_code=code)
        return item

    def base(
        self, raw: dict[str, Any], line: int
    ) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
        if "BaseEntry" not in raw and "BaseType" not in raw and "BaseLine" not in raw:
            return None
        has = [n for n in BASE_FIELDS if raw.get(n) is not None]
        if not has or (has == ["BaseType"] and raw["BaseType"] == -1):
            return None
        for name in ("BaseType", "BaseEntry", "BaseLine"):
            if raw.get(name) is None:
                raise SLError.of(
                    "missing_field", field=name, table=self.table, column=f"{name}][line: {line}"
                )
        base_type = to_int(raw["BaseType"], "BaseType")
        base_entry = to_key(raw["BaseEntry"], "BaseEntry")
        base_line = to_int(raw["BaseLine"], "BaseLine")
        if base_type not in self.ctx.kind.base_types:
            raise invalid("BaseType", base_type)
        base_kind = BY_OBJECT_TYPE[base_type]
        doc = self.ctx.find(base_kind.entity_set, base_entry)
        if doc is None:
            raise self.error(
                "base_document_not_found", line, base_type=base_type, base_entry=base_entry
            )
        # a paid (closed) invoice can still be credited; anything else must be open
        closed = doc.get("DocumentStatus") != "bost_Open" and base_type != INVOICE
        if doc.get("Cancelled") == "tYES" or closed:
            raise self.error("base_document_closed", line, base_entry=base_entry)
        if doc.get("CardCode") != self.card_code:
            raise SLError.of(
                "business_rule",
                message=f"Business partner differs from the base document's  [{self.table}.BaseEntry][line: {line}]",
            )
        for bl in doc["DocumentLines"]:
            if bl["LineNum"] == base_line:
                if bl.get("LineStatus") != "bost_Open":
                    raise self.error("base_document_closed", line, base_entry=base_entry)
                return base_kind.entity_set, doc, bl
        raise self.error("base_line_not_found", line, base_line=base_line, base_entry=base_entry)

    def build(self, raw: Any, index: int) -> tuple[dict[str, Any], LineAmounts, BaseTake | None]:
        line = index + 1
        if not isinstance(raw, dict):
            raise invalid("DocumentLines", raw)
        ctx = self.ctx
        if not raw.keys() <= LINE_ALLOWED:
            check_properties(raw, LINE_ALLOWED, ctx.line_udfs, "DocumentLine")
        md = ctx.md
        if "BaseEntry" in raw or "BaseType" in raw or "BaseLine" in raw:
            based = self.base(raw, line)
        else:
            based = None
        base_line: dict[str, Any] | None = based[2] if based else None
        if based is not None and raw.get("ItemCode") not in (None, based[2]["ItemCode"]):
            raise invalid("ItemCode", raw["ItemCode"])
        item = self.item(base_line["ItemCode"] if base_line else raw.get("ItemCode"), line)

        raw_quantity = raw.get("Quantity")
        quantity = None if raw_quantity is None else to_decimal(raw_quantity, "Quantity")
        take: BaseTake | None = None
        if based is not None and base_line is not None:
            entity_set, doc, bl = based
            key = (entity_set, doc["DocEntry"], bl["LineNum"])
            open_qty = bl["RemainingOpenQuantity"] - self.taken.get(key, ZERO)
            if quantity is None:
                quantity = open_qty
            if quantity > open_qty:
                raise self.error("base_quantity_exceeded", line)
            self.taken[key] = self.taken.get(key, ZERO) + quantity
            take = BaseTake(entity_set, doc["DocEntry"], bl["LineNum"], quantity)
        if quantity is None:
            raise SLError.of(
                "missing_field",
                field="Quantity",
                table=self.table,
                column=f"Quantity][line: {line}",
            )
        if quantity <= ZERO:
            raise invalid("Quantity", raw.get("Quantity", quantity))

        given = raw.get("VatGroup")
        vat_group = given or raw.get("TaxCode")
        if vat_group is None or vat_group == "":
            if given is not None and given != "":  # {}, [], 0, false name no group
                raise self.error("invalid_vat_group", line, vat_group=str(given)[:60])
            vat_group = base_line["VatGroup"] if base_line else item.get("SalesVATGroup")
        rates = md.vat_rates
        if not isinstance(vat_group, str) or vat_group not in rates:
            raise self.error("invalid_vat_group", line, vat_group=str(vat_group)[:60])
        codes = ctx.codes
        vat_group = codes.get(vat_group, vat_group)
        warehouse = raw.get("WarehouseCode")
        if warehouse is None:
            warehouse = (
                base_line["WarehouseCode"]
                if base_line
                else item.get("DefaultWarehouse") or md.default_warehouse
            )
        if not isinstance(warehouse, str) or warehouse not in md.warehouses:
            raise self.error("invalid_warehouse", line, warehouse=str(warehouse)[:60])
        warehouse = codes.get(warehouse, warehouse)

        pricing = self.pricing(raw, quantity, rates[vat_group], item, base_line, based)
        amounts = line_amounts(pricing, ctx.price_decimals)
        unit_price, discount, price, price_after_vat, line_total, gross_total, rate, _ = amounts
        description = raw.get("ItemDescription") or (base_line or item).get(
            "ItemDescription", item.get("ItemName")
        )
        wire: dict[str, Any] = {
            "LineNum": index,
            "ItemCode": item["ItemCode"],
            "ItemDescription": description,
            "Quantity": quantity,
            "Price": price,
            "UnitPrice": unit_price,
            "DiscountPercent": discount,
            "PriceAfterVAT": price_after_vat,
            "LineTotal": line_total,
            "GrossTotal": gross_total,
            "TaxTotal": ZERO,  # set with the document's VAT
            "VatGroup": vat_group,
            "TaxPercentagePerRow": rate,
            "WarehouseCode": warehouse,
            "Currency": md.currency,
            "LineStatus": "bost_Open",
            "OpenQuantity": quantity,
            "RemainingOpenQuantity": quantity,
            "BaseType": BY_OBJECT_TYPE_REVERSE.get(based[0], -1) if based else -1,
            "BaseEntry": based[1]["DocEntry"] if based else None,
            "BaseLine": based[2]["LineNum"] if based else None,
        }
        given = raw.get("ItemDescription")
        if given is not None and given.__class__ is not str:  # {} and [] too, not only truthy
            raise invalid("ItemDescription", given)
        udfs = ctx.line_udfs
        if len(raw) > 6 or udfs:
            for name, value in raw.items():
                if name in LINE_PASSTHROUGH:
                    wire[intern(name)] = value
            for name in ctx.line_udf_order:
                wire[name] = raw.get(name)
        return wire, amounts, take

    def pricing(
        self,
        raw: dict[str, Any],
        quantity: Decimal,
        rate: Decimal,
        item: dict[str, Any],
        base_line: dict[str, Any] | None,
        based: tuple[str, dict[str, Any], dict[str, Any]] | None,
    ) -> LinePricing:
        discount = _percent(raw, "DiscountPercent") if "DiscountPercent" in raw else ZERO
        get = raw.get
        line_total = get("LineTotal")
        if line_total is not None:
            line_total = _price_input(line_total, "LineTotal")
        gross = get("PriceAfterVAT")
        if gross is not None:
            gross = _price_input(gross, "PriceAfterVAT")
        unit = get("UnitPrice")
        if unit is not None:
            unit = _price_input(unit, "UnitPrice")
        price = get("Price")
        if price is not None:
            price = _price_input(price, "Price")
        if line_total is not None or gross is not None or unit is not None or price is not None:
            return LinePricing(quantity, rate, discount, unit, price, gross, line_total)
        if base_line is not None and based is not None:
            base_discount = base_line["DiscountPercent"]
            if base_line["LineNum"] in self.ctx.gross_lines(based[0], based[1]["DocEntry"]):
                return LinePricing(
                    quantity, rate, base_discount, price_after_vat=base_line["PriceAfterVAT"]
                )
            if quantity == base_line["Quantity"]:
                return LinePricing(
                    quantity,
                    rate,
                    base_discount,
                    unit_price=base_line["UnitPrice"],
                    line_total=base_line["LineTotal"],
                )
            return LinePricing(quantity, rate, base_discount, unit_price=base_line["UnitPrice"])
        list_price = next(
            (p["Price"] for p in item.get("ItemPrices", []) if p.get("PriceList") == 1), ZERO
        )
        if self.ctx.md.prices_include_tax:
            return LinePricing(quantity, rate, discount, price_after_vat=list_price)
        return LinePricing(quantity, rate, discount, unit_price=list_price)


def _price_input(value: Any, name: str) -> Decimal:
    """A price basis the client sent (not null): a non-negative number."""
    d = to_decimal(value, name)
    if d < ZERO:
        raise invalid(name, d)
    return d


BY_OBJECT_TYPE_REVERSE = {k.entity_set: t for t, k in BY_OBJECT_TYPE.items()}
#: builds a NamedTuple from a full plain tuple, skipping its Python-level ``__new__``
new_tuple = tuple.__new__


def build_expenses(
    raw: Any, ctx: BuildContext
) -> tuple[list[dict[str, Any]], list[ExpenseAmounts]]:
    """``DocumentAdditionalExpenses``: freight with its own VAT group."""
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        raise invalid("DocumentAdditionalExpenses", raw)
    wires: list[dict[str, Any]] = []
    amounts: list[ExpenseAmounts] = []
    for i, exp in enumerate(raw):
        if not isinstance(exp, dict):
            raise invalid("DocumentAdditionalExpenses", exp)
        check_properties(exp, EXPENSE_ALLOWED, frozenset(), "DocumentAdditionalExpense")
        if exp.get("ExpenseCode") is None:
            raise SLError.of(
                "missing_field",
                field="ExpenseCode",
                table=ctx.kind.header_table[1:] + "3",
                column="ExpnsCode",
            )
        code = to_int(exp["ExpenseCode"], "ExpenseCode")
        if code not in EXPENSE_CODES:
            raise invalid("ExpenseCode", code)
        net = _non_negative(_optional_decimal(exp, "LineTotal"), "LineTotal")
        gross = _non_negative(_optional_decimal(exp, "LineGross"), "LineGross")
        if net is None and gross is None:
            raise SLError.of(
                "missing_field",
                field="LineTotal",
                table=ctx.kind.header_table[1:] + "3",
                column="LineTotal",
            )
        vat_group = exp.get("VatGroup") or exp.get("TaxCode") or ctx.freight_vat_group
        if not isinstance(vat_group, str) or vat_group not in ctx.md.vat_rates:
            raise SLError.of(
                "invalid_vat_group",
                vat_group=str(vat_group)[:60],
                table=ctx.kind.header_table[1:] + "3",
                line=i + 1,
            )
        a = expense_amounts(ctx.md.vat_rates[vat_group], net, gross)
        amounts.append(a)
        wires.append(
            {
                "LineNum": i,
                "ExpenseCode": code,
                "LineTotal": a.line_total,
                "LineGross": a.line_total + a.vat,
                "TaxSum": a.vat,
                "VatGroup": vat_group,
                "TaxPercent": a.rate,
                "Remarks": exp.get("Remarks"),
            }
        )
    return wires, amounts


def apply_totals(
    doc: dict[str, Any],
    amounts: list[LineAmounts],
    expenses: list[ExpenseAmounts],
    header_discount: Decimal,
) -> None:
    totals = document_totals(amounts, header_discount, expenses)
    for wire, vat in zip(doc["DocumentLines"], totals.line_vats, strict=True):
        wire["TaxTotal"] = vat
    doc["DiscountPercent"] = header_discount
    doc["TotalDiscount"] = totals.total_discount
    doc["VatSum"] = totals.vat_sum
    doc["DocTotal"] = totals.doc_total


def prepare_document(body: Any, ctx: BuildContext) -> PreparedDocument:
    """Validate and compute a new document; raises ``SLError`` on the first problem."""
    if not isinstance(body, dict):
        raise SLError.of("invalid_json", detail="the body must be a JSON object")
    kind = ctx.kind
    check_properties(body, HEADER_ALLOWED, ctx.header_udfs, "Document")
    header = HeaderBuilder(ctx)
    bp = header.card(body)
    doc: dict[str, Any] = {
        "DocEntry": None,
        "DocNum": None,
        "DocType": "dDocument_Items",
        "Series": kind.series,
        "DocDate": ctx.today,
        "DocDueDate": None,
        "TaxDate": None,
        "CardCode": bp["CardCode"],
        "CardName": bp.get("CardName"),
        "NumAtCard": None,
        "Comments": None,
        "DocCurrency": ctx.md.currency,
        "DocRate": ONE,
    }
    header.fields(body, doc)
    if body.get("DocDueDate") is None:
        if kind.object_type == ORDER:
            raise SLError.of(
                "missing_field", field="DocDueDate", table=kind.header_table, column="DocDueDate"
            )
        doc["DocDueDate"] = doc["DocDate"]
    if doc["TaxDate"] is None:
        doc["TaxDate"] = doc["DocDate"]
    for name in ctx.header_udf_order:
        doc.setdefault(name, None)
    header_discount = _percent(body, "DiscountPercent")

    raw_lines = body.get("DocumentLines")
    if raw_lines is None or raw_lines == []:
        raise SLError.of(
            "missing_field", field="DocumentLines", table=kind.line_table, column="ItemCode"
        )
    if not isinstance(raw_lines, list):
        raise invalid("DocumentLines", raw_lines)
    lb = LineBuilder(ctx, bp["CardCode"])
    wires: list[dict[str, Any]] = []
    amounts: list[LineAmounts] = []
    takes: list[BaseTake] = []
    gross: set[int] = set()
    stock_lines: list[stock.StockLine] = []
    for i, raw in enumerate(raw_lines):
        wire, amt, take = lb.build(raw, i)
        wires.append(wire)
        amounts.append(amt)
        if amt.gross_exact:
            gross.add(i)
        if take is not None:
            takes.append(take)
        stock_lines.append(
            new_tuple(
                stock.StockLine,
                (
                    wire["ItemCode"],
                    wire["WarehouseCode"],
                    wire["Quantity"],
                    wire["BaseType"],
                    i + 1,
                ),
            )
        )
    if kind.closes_lines_on_create:
        for wire in wires:
            wire["LineStatus"] = "bost_Close"
            wire["OpenQuantity"] = ZERO
            wire["RemainingOpenQuantity"] = ZERO
    doc["DocumentLines"] = wires
    exp_wires, exp_amounts = build_expenses(body.get("DocumentAdditionalExpenses"), ctx)
    doc["DocumentAdditionalExpenses"] = exp_wires
    apply_totals(doc, amounts, exp_amounts, header_discount)
    doc["PaidToDate"] = ZERO
    doc["DocumentStatus"] = "bost_Close" if kind.closes_lines_on_create else "bost_Open"
    doc["Cancelled"] = "tNO"
    doc["DocObjectCode"] = OBJECT_CODES[kind.entity_set]
    deltas = stock.creation_deltas(kind, stock_lines, ctx.md)
    stock.check(ctx.md, deltas, stock_lines, kind.line_table, ctx.allow_negative_stock)
    return PreparedDocument(doc, frozenset(gross), stock_lines, deltas, takes)


def amounts_of(doc: dict[str, Any], gross_lines: frozenset[int]) -> list[LineAmounts]:
    """Rebuild the amounts of stored lines (for recomputing totals after a PATCH)."""
    return [
        LineAmounts(
            unit_price=ln["UnitPrice"],
            discount=ln["DiscountPercent"],
            price=ln["Price"],
            price_after_vat=ln["PriceAfterVAT"],
            line_total=ln["LineTotal"],
            gross_total=ln["GrossTotal"],
            rate=ln["TaxPercentagePerRow"],
            gross_exact=ln["LineNum"] in gross_lines,
        )
        for ln in doc["DocumentLines"]
    ]


def expense_amounts_of(doc: dict[str, Any]) -> list[ExpenseAmounts]:
    return [
        ExpenseAmounts(e["LineTotal"], e["TaxSum"], e["TaxPercent"])
        for e in doc.get("DocumentAdditionalExpenses") or []
    ]
