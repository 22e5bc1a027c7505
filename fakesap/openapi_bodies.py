"""Request-body schemas of the OpenAPI document, as tight as the emulator's checks.

The Service Layer refuses a document whose ``CardCode``, ``ItemCode``, ``VatGroup`` or
``WarehouseCode`` names no master-data row (-10 / -1 codes), so those properties are enums
of the packaged catalog's codes (an upload through ``/__admin/master-data`` widens what
the emulator accepts, not what the document promises). Numbers carry the bounds the
emulator's value readers enforce (``fakesap.documents.values``), texts their column
lengths, and objects are closed (``additionalProperties: false``) where the emulator
refuses unknown properties. Properties whose validity depends on other documents
(``BaseEntry`` copy-from-base, ``PaymentInvoices``) are named in the descriptions but left
out of the schemas: no schema can say which ``DocEntry`` exists.
"""

from __future__ import annotations

from typing import Any

from fakesap.documents.builder import TEXT_LIMITS
from fakesap.documents.schema import DOCUMENT_KINDS
from fakesap.masterdata import MasterData, masterdata_from_catalog
from fakesap.partners import PARTNER_FIELDS
from sapchaos.catalog import load_catalog

#: a date the SL reads (``YYYY-MM-DD``, years 1900–2999; days up to 28 keep every month valid)
DATE = {
    "type": "string",
    "pattern": "^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$",
}
#: amounts and quantities are JSON numbers (never strings) below the emulator's 1e15
AMOUNT_MAX = 10**15


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null: the SL treats an explicit null like an absent property."""
    return {"anyOf": [schema, {"type": "null"}]}


def _text(limit: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": limit}


def packaged_masterdata() -> MasterData:
    """The master data fakesap starts with (the shared catalog)."""
    return masterdata_from_catalog(load_catalog())


def _active(rows: dict[str, dict[str, Any]]) -> list[str]:
    return sorted(
        code
        for code, row in rows.items()
        if row.get("Frozen") != "tYES" and row.get("Valid") != "tNO"
    )


def body_schemas(md: MasterData) -> dict[str, Any]:
    """``components.schemas`` entries for the request bodies fakesap checks."""
    customers = [
        c
        for c in _active(md.business_partners)
        if md.business_partners[c].get("CardType") == "cCustomer"
    ]
    items = [c for c in _active(md.items) if md.items[c].get("SalesItem") == "tYES"]
    line = {
        "type": "object",
        "description": "A document line. Copy-from-base lines (BaseType, BaseEntry, BaseLine) "
        "are accepted too but not described: they must name an open line of an existing "
        "document of the same partner.",
        "required": ["ItemCode", "Quantity"],
        "properties": {
            "ItemCode": {"type": "string", "enum": items},
            "Quantity": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": AMOUNT_MAX},
            "UnitPrice": _nullable(
                {"type": "number", "minimum": 0, "exclusiveMaximum": AMOUNT_MAX}
            ),
            "DiscountPercent": _nullable({"type": "number", "minimum": 0, "maximum": 100}),
            "VatGroup": _nullable({"type": "string", "enum": ["", *sorted(md.vat_groups)]}),
            "WarehouseCode": _nullable({"type": "string", "enum": sorted(md.warehouses)}),
            "ItemDescription": _nullable({"type": "string"}),
        },
        "additionalProperties": False,
    }
    schemas: dict[str, Any] = {"DocumentLine": line}
    for es, kind in DOCUMENT_KINDS.items():
        schemas[f"{es}Create"] = {
            "type": "object",
            "description": f"A new {es[:-1]}; U_ fields declared for {kind.header_table} are "
            "accepted too. Stock must cover issued quantities unless negative stock is allowed.",
            "required": ["CardCode", "DocumentLines"] + (["DocDueDate"] if es == "Orders" else []),
            "properties": {
                "CardCode": {"type": "string", "enum": customers},
                "DocDate": _nullable(DATE),
                "DocDueDate": DATE if es == "Orders" else _nullable(DATE),
                "TaxDate": _nullable(DATE),
                "NumAtCard": _nullable(_text(TEXT_LIMITS["NumAtCard"])),
                "Comments": _nullable(_text(TEXT_LIMITS["Comments"])),
                "DocCurrency": _nullable({"type": "string", "enum": [md.currency]}),
                "DiscountPercent": _nullable({"type": "number", "minimum": 0, "maximum": 100}),
                "Series": _nullable({"type": "integer", "enum": [kind.series]}),
                "DocType": {"type": "string", "enum": ["dDocument_Items"]},
                "DocumentLines": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"$ref": "#/components/schemas/DocumentLine"},
                },
            },
            "additionalProperties": False,
        }
    schemas["DocumentPatch"] = {
        "type": "object",
        "description": "Header fields to change (lines merge by LineNum; not described here).",
        "properties": {
            "NumAtCard": _nullable(_text(TEXT_LIMITS["NumAtCard"])),
            "Comments": _nullable(_text(TEXT_LIMITS["Comments"])),
        },
        "additionalProperties": False,
    }
    amount = {"type": "number", "minimum": 0, "exclusiveMaximum": AMOUNT_MAX}
    schemas["PaymentCreate"] = {
        "type": "object",
        "description": "An incoming payment on account; PaymentInvoices (DocEntry, SumApplied, "
        "InvoiceType) apply it to open invoices of the same partner.",
        "required": ["CardCode"],
        "properties": {
            "CardCode": {"type": "string", "enum": customers},
            "DocDate": _nullable(DATE),
            "CashSum": _nullable(amount),
            "TransferSum": _nullable(amount),
            "TransferAccount": _nullable(_text(100)),
            "TransferReference": _nullable(_text(100)),
            "Remarks": _nullable(_text(254)),
        },
        "anyOf": [
            {
                "required": [name],
                "properties": {name: {"type": "number", "exclusiveMinimum": 0.005}},
            }
            for name in ("CashSum", "TransferSum")
        ],
        "additionalProperties": False,
    }
    schemas["BusinessPartnerCreate"] = {
        "type": "object",
        "description": "A new partner; an existing CardCode is refused with -2035. OCRD UDFs "
        "declared in config are accepted too; Series numbers a partner without CardCode.",
        "required": ["CardCode"],
        "properties": {
            "CardCode": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,15}$"},
            "CardType": {"type": "string", "enum": ["cCustomer", "cSupplier", "cLid"]},
            **{
                name: {"type": "string", "maxLength": limit}
                for name, limit in PARTNER_FIELDS.items()
                if limit is not None and name not in ("CardCode", "Currency")
            },
        },
        "additionalProperties": False,
    }
    schemas["SQLQuery"] = {
        "type": "object",
        "required": ["SqlCode", "SqlName", "SqlText"],
        "properties": {
            "SqlCode": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,50}$"},
            "SqlName": {"type": "string", "pattern": "\\S"},
            "SqlText": {
                "type": "string",
                "description": "one SELECT (checked when it runs: over OCRD, OITM, OWHS, OVTG and the document tables); :name parameters",
                "pattern": "^\\s*[Ss][Ee][Ll][Ee][Cc][Tt]\\b[^;]*;*\\s*$",
                "maxLength": 20_000,
            },
        },
        "additionalProperties": False,
    }
    schemas["SQLQueryPatch"] = {
        "type": "object",
        "properties": {
            "SqlName": schemas["SQLQuery"]["properties"]["SqlName"],
            "SqlText": schemas["SQLQuery"]["properties"]["SqlText"],
        },
        "additionalProperties": False,
    }
    return schemas
