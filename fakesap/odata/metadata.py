"""``GET /b1s/v1/$metadata`` and ``/b1s/v2/$metadata``: the service's EDMX, as the Service
Layer serves it, limited to what fakesap accepts.

v1 answers OData v3 CSDL (``edmx`` 1.0, ``DataServiceVersion`` 3.0, bound document actions
as ``FunctionImport`` with ``IsBindable``); v2 answers OData v4 CSDL (``edmx`` 4.0, bound
``Action`` elements). Both put everything in the ``SAPB1`` namespace and the container
``ServiceLayer``, describe the entity sets fakesap serves with their keys and properties
(documents: the header properties fakesap reads, stores or computes; master data: the
columns of the loaded catalog), the line and expense complex types, the document actions
(Cancel, Close, Reopen) and the UDFs configured for each table, so a UDF added through a
master-data upload shows up in the next ``$metadata``. Types follow the SL's choices:
amounts and quantities ``Edm.Double``, keys and numbers ``Edm.Int32``, dates
``Edm.DateTime`` (v3) / ``Edm.Date`` (v4), everything else ``Edm.String``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import quoteattr

from fakesap.documents.actions import ACTIONS
from fakesap.documents.builder import EXPENSE_ALLOWED, HEADER_ALLOWED, LINE_ALLOWED
from fakesap.documents.payments import PAYMENT_ALLOWED
from fakesap.documents.schema import (
    DOCUMENT_KINDS,
    PAYMENT_INVOICE_INPUTS,
    PAYMENT_SETS,
)
from fakesap.masterdata import MASTER_KEYS

NAMESPACE = "SAPB1"
CONTAINER = "ServiceLayer"

_INT = re.compile(
    r"(DocEntry|DocNum|Series|LineNum|BaseType|BaseEntry|BaseLine|ExpenseCode|InvoiceType|"
    r"SalesPersonCode|ContactPersonCode|PaymentGroupCode|TransportationCode|DocumentsOwner|"
    r"BaseDocEntry|ObjectType)\Z"
)
_DOUBLE = re.compile(
    r".*(Quantity|Price|Total|Sum|Percent|Rate|Discount|Amount|Applied|PaidToDate|Committed|"
    r"Ordered|InStock|OnHand|Factor|TaxPercent|VatPercent|LineGross)\w*\Z"
)
_DATE = re.compile(r".*Date\Z")
_VALUE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def edm_type(name: str, sample: Any, version: str) -> str:
    """The Edm type of one property: from a sample value when there is one, else by name."""
    date = "Edm.DateTime" if version == "v1" else "Edm.Date"
    if isinstance(sample, bool):
        return "Edm.Boolean"
    if isinstance(sample, int):
        return "Edm.Int32"
    if isinstance(sample, float | Decimal):
        return "Edm.Double"
    if isinstance(sample, str):
        return date if _VALUE_DATE.match(sample) else "Edm.String"
    if _INT.match(name):
        return "Edm.Int32"
    if _DATE.match(name) and name != "UpdateTime":
        return date
    if _DOUBLE.match(name):
        return "Edm.Double"
    return "Edm.String"


def _samples(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for row in rows:
        for key, value in row.items():
            if out.get(key) is None:
                out[key] = value
    return out


class _Schema:
    """Collects entity and complex types, then renders one flavour."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.entity_types: dict[str, tuple[str, list[tuple[str, str]]]] = {}
        self.complex_types: dict[str, list[tuple[str, str]]] = {}
        self.entity_sets: list[tuple[str, str]] = []

    def props(
        self,
        names: Iterable[str],
        samples: Mapping[str, Any],
        nested: Mapping[str, str],
    ) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for name in sorted(set(names) | set(samples)):
            if name.startswith("@") or "." in name:
                continue
            if name in nested:
                out.append((name, f"Collection({NAMESPACE}.{nested[name]})"))
                continue
            sample = samples.get(name)
            if isinstance(sample, list | dict):
                kind = name.removesuffix("Collection").rstrip("s") or name
                rows = sample if isinstance(sample, list) else [sample]
                self.complex(kind, (), _samples(r for r in rows if isinstance(r, dict)))
                type_ = f"{NAMESPACE}.{kind}"
                out.append((name, f"Collection({type_})" if isinstance(sample, list) else type_))
                continue
            out.append((name, edm_type(name, sample, self.version)))
        return out

    def complex(self, name: str, names: Iterable[str], samples: Mapping[str, Any]) -> None:
        if name not in self.complex_types:
            self.complex_types[name] = self.props(names, samples, {})

    def entity(
        self,
        entity_set: str,
        type_name: str,
        key: str,
        names: Iterable[str],
        samples: Mapping[str, Any],
        nested: Mapping[str, str],
    ) -> None:
        if type_name not in self.entity_types:
            self.entity_types[type_name] = (key, self.props(names, samples, nested))
        self.entity_sets.append((entity_set, type_name))

    def render(self) -> str:
        v4 = self.version == "v2"
        out: list[str] = ['<?xml version="1.0" encoding="utf-8"?>']
        if v4:
            out.append(
                '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">'
            )
            out.append("<edmx:DataServices>")
            out.append(
                f'<Schema Namespace="{NAMESPACE}" xmlns="http://docs.oasis-open.org/odata/ns/edm">'
            )
        else:
            out.append(
                '<edmx:Edmx Version="1.0" '
                'xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx">'
            )
            out.append(
                '<edmx:DataServices m:DataServiceVersion="3.0" '
                'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">'
            )
            out.append(
                f'<Schema Namespace="{NAMESPACE}" '
                'xmlns="http://schemas.microsoft.com/ado/2009/11/edm">'
            )
        for name, props in self.complex_types.items():
            out.append(f"<ComplexType Name={quoteattr(name)}>")
            out += [self._prop(n, t, nullable=True) for n, t in props]
            out.append("</ComplexType>")
        for name, (key, props) in self.entity_types.items():
            out.append(f"<EntityType Name={quoteattr(name)}>")
            out.append(f"<Key><PropertyRef Name={quoteattr(key)}/></Key>")
            out += [self._prop(n, t, nullable=n != key) for n, t in props]
            out.append("</EntityType>")
        doc_types = sorted({t for s, t in self.entity_sets if s in DOCUMENT_KINDS})
        if v4:
            for action in ACTIONS:
                for type_name in doc_types:
                    out.append(f'<Action Name="{action}" IsBound="true">')
                    out.append(f'<Parameter Name="{type_name}" Type="{NAMESPACE}.{type_name}"/>')
                    out.append("</Action>")
            out.append('<Action Name="QueryService_PostQuery" IsBound="false">')
            out.append('<Parameter Name="QueryPath" Type="Edm.String"/>')
            out.append('<Parameter Name="QueryOption" Type="Edm.String"/>')
            out.append('<ReturnType Type="Edm.String"/>')
            out.append("</Action>")
        out.append(
            f'<EntityContainer Name="{CONTAINER}"'
            + ("" if v4 else ' m:IsDefaultEntityContainer="true"')
            + ">"
        )
        for entity_set, type_name in self.entity_sets:
            out.append(f'<EntitySet Name="{entity_set}" EntityType="{NAMESPACE}.{type_name}"/>')
        if v4:
            out.append(
                f'<ActionImport Name="QueryService_PostQuery" Action="{NAMESPACE}.QueryService_PostQuery"/>'
            )
        else:
            for action in ACTIONS:
                for type_name in doc_types:
                    out.append(
                        f'<FunctionImport Name="{action}" IsBindable="true" IsSideEffecting="true" '
                        'm:HttpMethod="POST">'
                    )
                    out.append(f'<Parameter Name="{type_name}" Type="{NAMESPACE}.{type_name}"/>')
                    out.append("</FunctionImport>")
            out.append(
                '<FunctionImport Name="QueryService_PostQuery" ReturnType="Edm.String" '
                'm:HttpMethod="POST">'
            )
            out.append('<Parameter Name="QueryOption" Type="Edm.String"/>')
            out.append('<Parameter Name="QueryPath" Type="Edm.String"/>')
            out.append("</FunctionImport>")
        out.append("</EntityContainer>")
        out += ["</Schema>", "</edmx:DataServices>", "</edmx:Edmx>"]
        return "\n".join(out) + "\n"

    @staticmethod
    def _prop(name: str, type_: str, *, nullable: bool) -> str:
        flag = "" if nullable else ' Nullable="false"'
        return f"<Property Name={quoteattr(name)} Type={quoteattr(type_)}{flag}/>"


def build_metadata(state: Any, version: str) -> str:
    """The EDMX document for ``state`` (a ``FakeSap``) in the flavour of ``version``."""
    schema = _Schema(version)
    udfs: Mapping[str, frozenset[str]] = state.udfs
    lines_seen: dict[str, Any] = {}
    expenses_seen: dict[str, Any] = {}
    header_seen: dict[str, Any] = {}
    line_udfs: set[str] = set()
    header_udfs: set[str] = set()
    for entity_set, kind in DOCUMENT_KINDS.items():
        docs = list(state.docs.get(entity_set, {}).values())
        header_seen.update({k: v for k, v in _samples(docs).items() if v is not None})
        for doc in docs:
            lines_seen.update(_samples(doc.get("DocumentLines") or []))
            expenses_seen.update(_samples(doc.get("DocumentAdditionalExpenses") or []))
        header_udfs |= udfs.get(kind.header_table, frozenset())
        line_udfs |= udfs.get(kind.line_table, frozenset())
    schema.complex("DocumentLine", LINE_ALLOWED | line_udfs, lines_seen)
    schema.complex("DocumentAdditionalExpense", EXPENSE_ALLOWED, expenses_seen)
    nested = {
        "DocumentLines": "DocumentLine",
        "DocumentAdditionalExpenses": "DocumentAdditionalExpense",
    }
    header = (HEADER_ALLOWED | header_udfs | {"PaidToDate"}) - set(nested)
    for entity_set in DOCUMENT_KINDS:
        schema.entity(
            entity_set,
            "Document",
            "DocEntry",
            header | set(nested),
            header_seen,
            nested,
        )
    for entity_set, (table, _) in PAYMENT_SETS.items():
        payments = list(state.docs.get(entity_set, {}).values())
        invoices: dict[str, Any] = {}
        for p in payments:
            invoices.update(_samples(p.get("PaymentInvoices") or []))
        schema.complex("PaymentInvoice", PAYMENT_INVOICE_INPUTS, invoices)
        names = PAYMENT_ALLOWED | udfs.get(table, frozenset()) | {"DocObjectCode"}
        schema.entity(
            entity_set,
            "Payment",
            "DocEntry",
            names,
            _samples(payments),
            {"PaymentInvoices": "PaymentInvoice"},
        )
    singular = {
        "Items": "Item",
        "BusinessPartners": "BusinessPartner",
        "Warehouses": "Warehouse",
        "VatGroups": "VatGroup",
    }
    for entity_set, key in MASTER_KEYS.items():
        rows = state.list_entities(entity_set)
        master_table = {"Items": "OITM", "BusinessPartners": "OCRD"}.get(entity_set)
        extra = udfs.get(master_table, frozenset()) if master_table else frozenset()
        schema.entity(entity_set, singular[entity_set], key, {key} | extra, _samples(rows), {})
    schema.entity(
        "SQLQueries", "SQLQuery", "SqlCode", {"SqlCode", "SqlName", "SqlText", "ParamList"}, {}, {}
    )
    return schema.render()
