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
"""

from __future__ import annotations

import dataclasses
from decimal import InvalidOperation
from typing import Any

from bridge import mapping as v1
from bridge.contract import v1_1
from bridge.contract.base import Contract, ContractError, Rule
from bridge.contract.totals import check_totals, sap_totals
from bridge.keys import Prefix
from bridge.mapping import MappingContext, MappingError
from bridge.order import OrderPayload

__all__ = [
    "CONTRACTS",
    "DEFAULT_VERSION",
    "Contract",
    "ContractError",
    "build_document",
    "check_totals",
    "get_contract",
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

#: every contract version, oldest first
CONTRACTS: dict[str, Contract] = {
    "1": Contract("1", v1.RULES, "the original mapping"),
    "1.1": Contract(
        "1.1",
        _V1_1_RULES,
        "U_NationalId (validated), Comments hints, U_ShopOrderId dropped, charges booked"
        " gross by the rate charged, shipping as freight or item",
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
    order: OrderPayload, ctx: MappingContext, prefix: Prefix | None = None, *, check: bool = True
) -> dict[str, Any]:
    """The ``POST /Orders`` body under ``ctx.contract``, totals-checked (``check``).
    Raises ``MappingError`` (``ContractError``) — permanent, explained."""
    if prefix is not None and prefix != ctx.prefix:
        ctx = dataclasses.replace(ctx, prefix=prefix)
    contract = get_contract(ctx.contract)
    try:
        doc = contract.build(order, ctx)
    except (InvalidOperation, OverflowError) as exc:
        raise MappingError(f"a number cannot be booked ({exc!r})") from None
    if check:
        check_totals(order, doc, ctx)
    return doc
