"""The business partner an order is booked on: found in SAP, created once when missing.

Imitates how WooCommerce → SAP Business One integrations keep customers: a registered
customer is one partner (``OCRD``) found by a UDF carrying the shop's customer id
(``U_ShopCustomerId`` = ``wc:11``) or by ``EmailAddress``; a guest is booked on a generic
web account (``guest_partner = "generic"``, the default) or gets a partner of its own
by email (``"create"``). A missing partner is created with ``POST /BusinessPartners``
(``CardType`` cCustomer, ``CardName``, ``EmailAddress``, ``FederalTaxID``).

Idempotent without a ledger row: every attempt looks the partner up before creating, and
the ``CardCode`` is deterministic (``WC11`` for customer 11 of WooCommerce, ``WG`` + a
hash of the email for a guest), so a create whose reply was lost is refused by SAP on the
retry (-2035 "This entry already exists") and the partner is then read and adopted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from bridge.keys import Prefix
from bridge.order import OrderPayload
from bridge.sap.errors import Permanent, odata_quote
from sapchaos.nationalid import NationalIdError, validate_national_id

__all__ = [
    "ALREADY_EXISTS",
    "GUEST_POLICIES",
    "PARTNER_POLICIES",
    "PartnerPolicy",
    "partner_body",
    "partner_code",
    "resolve_card_code",
]

PARTNER_POLICIES = ("catalog", "sap")
GUEST_POLICIES = ("generic", "create")
#: SL code of "This entry already exists in the following tables" (a duplicate key)
ALREADY_EXISTS = "-2035"
#: OCRD.CardCode is NVARCHAR(15); CardName 100; EmailAddress 100; FederalTaxID 32
CODE_MAX, NAME_MAX, EMAIL_MAX, TAXID_MAX = 15, 100, 100, 32
SELECT = "CardCode,CardName,EmailAddress,Valid,Frozen"

T = TypeVar("T")
#: ``(endpoint, op, call)`` → the call's result, behind the worker's breaker and audit
SapCall = Callable[[str, str, Callable[[], Awaitable[T]]], Awaitable[T]]


@dataclass(frozen=True)
class PartnerPolicy:
    """``partner_policy`` "catalog": the mapping's own catalog match (no SAP call);
    "sap": look up / create in SAP. ``guest_partner``: "generic" (``guest_card_code``)
    or "create"; ``customer_udf``: the OCRD UDF with the shop customer id ("" = none)."""

    partner_policy: str = "catalog"
    guest_partner: str = "generic"
    guest_card_code: str = "WEB-GUEST"
    customer_udf: str = "U_ShopCustomerId"
    national_id_key: str = "_billing_nif"


def partner_code(prefix: Prefix, order: OrderPayload) -> str:
    """The deterministic ``CardCode`` of the partner a shop customer gets."""
    if order.customer_id:
        return f"{prefix.upper()}{order.customer_id}"[:CODE_MAX]
    digest = hashlib.sha256(order.billing.email.strip().lower().encode()).hexdigest()
    return f"{prefix.upper()[0]}G{digest[:10].upper()}"


def partner_body(
    prefix: Prefix, order: OrderPayload, payload: Mapping[str, Any], policy: PartnerPolicy
) -> dict[str, Any]:
    """The ``POST /BusinessPartners`` body for the order's customer."""
    billing = payload.get("billing") if isinstance(payload.get("billing"), dict) else {}
    assert isinstance(billing, dict)
    name = " ".join(str(billing.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
    name = name or str(billing.get("company") or "").strip() or order.billing.email.strip()
    body: dict[str, Any] = {
        "CardCode": partner_code(prefix, order),
        "CardName": name[:NAME_MAX] or partner_code(prefix, order),
        "CardType": "cCustomer",
    }
    email = order.billing.email.strip().lower()
    if email and len(email) <= EMAIL_MAX:
        body["EmailAddress"] = email
    raw_id = order.meta(policy.national_id_key)
    if raw_id:
        try:
            nid = validate_national_id(str(raw_id)).value
        except NationalIdError:
            nid = ""
        if nid and len(nid) <= TAXID_MAX:
            body["FederalTaxID"] = nid
    if order.customer_id and policy.customer_udf:
        body[policy.customer_udf] = f"{prefix}:{order.customer_id}"
    return body


async def _find(
    sap: Any, sap_call: SapCall[list[dict[str, Any]]], field: str, value: str
) -> str | None:
    found = await sap_call(
        "GET BusinessPartners",
        "find_partner",
        lambda: sap.query("BusinessPartners", f"{field} eq {odata_quote(value)}", select=SELECT),
    )
    live = sorted(
        (p for p in found if p.get("CardCode") and p.get("Frozen") != "tYES"),
        key=lambda p: str(p["CardCode"]),
    )
    return str(live[0]["CardCode"]) if live else None


async def resolve_card_code(
    sap: Any,
    sap_call: Callable[[str, str, Callable[[], Awaitable[Any]]], Awaitable[Any]],
    prefix: Prefix,
    order: OrderPayload,
    payload: Mapping[str, Any],
    policy: PartnerPolicy,
) -> str | None:
    """The ``CardCode`` to book ``order`` on under ``policy`` ("sap"), creating the partner
    once when missing; None under "catalog" (the contract's own rule decides).
    ``sap`` is a ``ServiceLayerClient``; ``sap_call`` runs a call behind the breaker."""
    if policy.partner_policy != "sap":
        return None
    email = order.billing.email.strip().lower()
    registered = bool(order.customer_id)
    if not registered and (policy.guest_partner == "generic" or not email):
        return policy.guest_card_code
    if registered and policy.customer_udf:
        code = await _find(sap, sap_call, policy.customer_udf, f"{prefix}:{order.customer_id}")
        if code:
            return code
    if email:
        code = await _find(sap, sap_call, "EmailAddress", email)
        if code:
            return code
    body = partner_body(prefix, order, payload, policy)
    try:
        created = await sap_call(
            "POST BusinessPartners",
            "create_partner",
            lambda: sap.create("BusinessPartners", body),
        )
    except Permanent as exc:
        if exc.code != ALREADY_EXISTS:
            raise
        # an earlier try committed (reply lost) or another worker created it: adopt it
        return str(body["CardCode"])
    return str((created or {}).get("CardCode") or body["CardCode"])
