"""Which properties the Service Layer's ``Document`` and ``Payment`` entities accept, and
the B1 tables behind each entity set (their names appear in SL error texts).

Properties fall in three groups: inputs fakesap interprets, inputs it stores unchanged
(real SL properties a client may send, such as ``SalesPersonCode``), and computed ones it
fills itself (sent by a client, they are ignored, as read-only SL properties are).
"""

from __future__ import annotations

from dataclasses import dataclass

ORDER, DELIVERY, INVOICE, CREDIT_NOTE, PAYMENT = 17, 15, 13, 14, 24


@dataclass(frozen=True)
class DocKind:
    """One document entity set: B1 object type, tables, which bases it copies from, and
    what it does to stock (``commit`` reserves, ``issue`` takes out, ``receive`` puts back)."""

    entity_set: str
    object_type: int
    header_table: str
    line_table: str
    base_types: tuple[int, ...]
    stock: str  # "commit" | "issue" | "receive" | "none"
    closes_lines_on_create: bool = False  # lines nobody copies from are born closed
    series: int = 0


DOCUMENT_KINDS: dict[str, DocKind] = {
    k.entity_set: k
    for k in (
        DocKind("Orders", ORDER, "ORDR", "RDR1", (), "commit", series=17),
        DocKind("DeliveryNotes", DELIVERY, "ODLN", "DLN1", (ORDER,), "issue", series=15),
        DocKind("Invoices", INVOICE, "OINV", "INV1", (ORDER, DELIVERY), "issue", series=13),
        DocKind("CreditNotes", CREDIT_NOTE, "ORIN", "RIN1", (INVOICE,), "receive", True, series=14),
    )
}
PAYMENT_SETS = {"IncomingPayments": ("ORCT", PAYMENT)}
DOCUMENT_SETS = (*DOCUMENT_KINDS, *PAYMENT_SETS)
BY_OBJECT_TYPE = {k.object_type: k for k in DOCUMENT_KINDS.values()}

#: header properties fakesap reads and checks
HEADER_INPUTS = frozenset(
    {
        "CardCode",
        "DocDate",
        "DocDueDate",
        "TaxDate",
        "NumAtCard",
        "Comments",
        "DocCurrency",
        "DocRate",
        "DiscountPercent",
        "DocumentLines",
        "DocumentAdditionalExpenses",
        "DocType",
        "Series",
    }
)
#: real SL header properties accepted and stored as sent
HEADER_PASSTHROUGH = frozenset(
    {
        "Address",
        "Address2",
        "ShipToCode",
        "PayToCode",
        "JournalMemo",
        "SalesPersonCode",
        "PaymentGroupCode",
        "PaymentMethod",
        "TransportationCode",
        "Project",
        "Reference1",
        "Reference2",
        "Indicator",
        "FederalTaxID",
        "ContactPersonCode",
        "DocTime",
        "RequriedDate",
        "ShipFrom",
        "AddressExtension",
        "TaxExtension",
        "OpeningRemarks",
        "ClosingRemarks",
        "DocumentsOwner",
        "HandWritten",
        "Confirmed",
        "Printed",
        "PickRemark",
        "TrackingNumber",
        "CardName",
    }
)
#: computed header properties; ignored on input
HEADER_COMPUTED = frozenset(
    {
        "DocEntry",
        "DocNum",
        "DocTotal",
        "VatSum",
        "TotalDiscount",
        "DocumentStatus",
        "Cancelled",
        "CreationDate",
        "UpdateDate",
        "UpdateTime",
        "PaidToDate",
        "DocTotalFc",
        "VatSumFc",
        "DocObjectCode",
        "ObjectType",
    }
)
LINE_INPUTS = frozenset(
    {
        "LineNum",
        "ItemCode",
        "ItemDescription",
        "Quantity",
        "Price",
        "UnitPrice",
        "DiscountPercent",
        "PriceAfterVAT",
        "LineTotal",
        "VatGroup",
        "TaxCode",
        "WarehouseCode",
        "BaseType",
        "BaseEntry",
        "BaseLine",
    }
)
LINE_PASSTHROUGH = frozenset(
    {
        "ShipDate",
        "Currency",
        "AccountCode",
        "CostingCode",
        "CostingCode2",
        "ProjectCode",
        "FreeText",
        "SalesPersonCode",
        "UoMEntry",
        "UoMCode",
        "MeasureUnit",
        "BarCode",
        "SupplierCatNum",
        "Text",
        "COGSCostingCode",
    }
)
LINE_COMPUTED = frozenset(
    {
        "LineStatus",
        "OpenQuantity",
        "RemainingOpenQuantity",
        "TaxPercentagePerRow",
        "TaxTotal",
        "GrossTotal",
        "DocEntry",
        "RowTotalFC",
        "GrossPrice",
    }
)
EXPENSE_INPUTS = frozenset(
    {
        "ExpenseCode",
        "LineTotal",
        "LineGross",
        "VatGroup",
        "TaxCode",
        "Remarks",
        "DistributionMethod",
    }
)
EXPENSE_COMPUTED = frozenset({"TaxSum", "LineNum", "TaxPercent", "BaseDocEntry"})

PAYMENT_INPUTS = frozenset(
    {
        "CardCode",
        "DocDate",
        "TaxDate",
        "DueDate",
        "DocType",
        "DocCurrency",
        "CashSum",
        "TransferSum",
        "TransferAccount",
        "TransferDate",
        "TransferReference",
        "CashAccount",
        "CheckAccount",
        "Remarks",
        "JournalRemarks",
        "CounterReference",
        "PaymentInvoices",
        "Reference1",
        "Reference2",
        "Series",
    }
)
PAYMENT_COMPUTED = frozenset(
    {
        "DocEntry",
        "DocNum",
        "Cancelled",
        "CardName",
        "DocTotal",
        "CreationDate",
        "UpdateDate",
        "UpdateTime",
    }
)
PAYMENT_INVOICE_INPUTS = frozenset(
    {"LineNum", "DocEntry", "SumApplied", "InvoiceType", "DiscountPercent", "AppliedFC"}
)
#: B1 InvoiceType values fakesap applies payments to
INVOICE_TYPES = {"it_Invoice": "Invoices"}

#: properties whose values are Decimal in fakesap's documents (for persistence round trips)
DECIMAL_FIELDS = frozenset(
    {
        "DocTotal",
        "VatSum",
        "TotalDiscount",
        "DiscountPercent",
        "DocRate",
        "PaidToDate",
        "Quantity",
        "Price",
        "UnitPrice",
        "PriceAfterVAT",
        "LineTotal",
        "TaxPercentagePerRow",
        "TaxTotal",
        "GrossTotal",
        "OpenQuantity",
        "RemainingOpenQuantity",
        "LineGross",
        "TaxSum",
        "TaxPercent",
        "CashSum",
        "TransferSum",
        "SumApplied",
        "InStock",
        "Committed",
        "Ordered",
        "MinimalStock",
        "QuantityOnStock",
        "QuantityOrderedByCustomers",
        "QuantityOrderedFromVendors",
        "Rate",
        "DeliveredQuantity",
    }
)
