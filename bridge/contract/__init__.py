"""The versioned shop→SAP contract: which document the bridge writes for an order.

``CONTRACTS`` registers every version (chosen by ``BridgeConfig.contract_version``, carried
in ``MappingContext.contract``); each is a table of small rules (``bridge.contract.base``).
``build_document`` maps an order with the configured version and runs the pre-write
totals check (``bridge.contract.totals``). The living spec with a changelog and golden
examples per version is ``docs/contract.md``; ``tests/bridge/contract`` pins them.

* **1** — the original mapping (``bridge.mapping.RULES``).
* **1.1** — ``CardCode`` also matched by billing email, ``U_NationalId`` (validated
  DNI/NIE/CIF), ``Comments`` with machine hints,
  ``U_ShopOrderId`` dropped, shipping and fees booked gross in the VAT group of the rate
  charged, shipping as freight or as a non-inventory item.
* **1.2** — ``U_MarketingSource`` (order attribution), ``U_ConsentMarketing`` /
  ``U_ConsentTerms`` (Y/N), a quantity policy per unit of measure.

Independent of the version: the document type (``document``: a sales order, or an A/R
invoice booked directly for a paid order, key ``{prefix}:{id}:invoice``) and the
partner (``card_code``: resolved in SAP by ``bridge.contract.partners``).
"""

from __future__ import annotations

import dataclasses
from decimal import InvalidOperation
from typing import Any

from bridge import mapping as v1
from bridge.contract import v1_1, v1_2
from bridge.contract.base import Contract, ContractError, Rule
from bridge.contract.totals import check_totals, sap_totals
from bridge.keys import Prefix, key_invoice
from bridge.mapping import MappingContext, MappingError
from bridge.order import OrderPayload

__all__ = [
    "CONTRACTS",
    "DEFAULT_VERSION",
    "DOCUMENTS",
    "Contract",
    "ContractError",
    "build_document",
    "check_totals",
    "get_contract",
    "oracle_contract",
    "sap_totals",
]

_V1_1_RULES: dict[str, Rule] = {
    "card_code": v1_1.card_code,
    "dates": v1.dates,
    "references": v1_1.references,
    "national_id": v1_1.national_id,
    "lines": v1.lines,
    "charges": v1_1.charges,
}

_V1_2_RULES: dict[str, Rule] = {
    "card_code": v1_1.card_code,
    "dates": v1.dates,
    "references": v1_1.references,
    "national_id": v1_1.national_id,
    "marketing": v1_2.marketing,
    "consents": v1_2.consents,
    "quantities": v1_2.quantities,
    "lines": v1.lines,
    "charges": v1_1.charges,
}

#: the SAP document a store books: a sales order (default) or an A/R invoice (paid orders)
DOCUMENTS = {"order": "Orders", "invoice": "Invoices"}

#: every contract version, oldest first
CONTRACTS: dict[str, Contract] = {
    "1": Contract("1", v1.RULES, "the original mapping"),
    "1.1": Contract(
        "1.1",
        _V1_1_RULES,
        "U_NationalId (validated), Comments hints, U_ShopOrderId dropped, charges booked"
        " gross by the rate charged, shipping as freight or item",
    ),
    "1.2": Contract(
        "1.2",
        _V1_2_RULES,
        "U_MarketingSource, U_ConsentMarketing / U_ConsentTerms, quantity policy per unit"
        " of measure",
    ),
}
DEFAULT_VERSION = "1"


def get_contract(version: str) -> Contract:
    try:
        return CONTRACTS[version]
    except KeyError:
        raise ValueError(
            f"unknown contract version {version!r}: one of {', '.join(CONTRACTS)}"
        ) from None


def build_document(
    order: OrderPayload,
    ctx: MappingContext,
    prefix: Prefix | None = None,
    *,
    check: bool = True,
    card_code: str | None = None,
    document: str = "order",
) -> dict[str, Any]:
    """The ``POST /Orders`` body under ``ctx.contract``, totals-checked (``check``).
    ``card_code``: the partner resolved in SAP (overrides the contract's catalog rule);
    ``document`` "invoice": the ``POST /Invoices`` body of a paid order (same lines and
    totals; ``U_IdemKey`` = ``{prefix}:{id}:invoice``; the payment reference on it).
    Raises ``MappingError`` (``ContractError``) — permanent, explained."""
    if document not in DOCUMENTS:
        raise ValueError(f"document must be one of {', '.join(DOCUMENTS)}, got {document!r}")
    if prefix is not None and prefix != ctx.prefix:
        ctx = dataclasses.replace(ctx, prefix=prefix)
    contract = get_contract(ctx.contract)
    try:
        doc = contract.build(order, ctx)
    except (InvalidOperation, OverflowError) as exc:
        raise MappingError(f"a number cannot be booked ({exc!r})") from None
    if card_code:
        doc["CardCode"] = card_code
    if document == "invoice":
        doc["U_IdemKey"] = key_invoice(ctx.prefix, order.id)
        if order.transaction_id:
            doc["U_TransactionId"] = order.transaction_id[:100]
        if order.date_paid_gmt:
            doc["U_DatePaid"] = order.date_paid_gmt[:10]
    if check:
        check_totals(order, doc, ctx)
    return doc


def oracle_contract(document: str = "order", prefix: Prefix = "wc") -> dict[str, str]:
    """The oracle's contract (``scenarios.oracle.contract.Contract`` fields) for the
    reference bridge booking ``document``: what it writes and when, so the bridge's
    choice and the judge's cannot drift apart."""
    if document == "invoice":
        return {
            "document_type": "Invoices",
            "key_pattern": "{prefix}:{id}:invoice",
            "sync_when": "paid",
            "ack_note_regex": r"SAP A/R invoice (\d+) created",
            "prefix": prefix,
        }
    return {"document_type": "Orders", "key_pattern": "{prefix}:{id}:order", "prefix": prefix}
