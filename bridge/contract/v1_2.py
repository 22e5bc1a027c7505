"""Contract v1.2 rules (added to v1.1's): marketing source, consent flags, quantities.

* ``marketing``: ``U_MarketingSource`` from WooCommerce's order attribution (8.5+:
  ``_wc_order_attribution_utm_source``, else ``_wc_order_attribution_source_type``),
  at most 50 characters.
* ``consents``: ``U_ConsentMarketing`` / ``U_ConsentTerms`` = ``Y`` or ``N`` from the
  checkout's consent fields (``CONSENT_UDFS``); a value that is neither a yes nor a no is
  not guessed — the UDF is left out (consent is never assumed).
* ``quantities``: the quantity policy of each line's unit of measure (the catalog's
  ``uoms`` table, product ``uom``; default ``Unit``): decimals allowed and bounds. A
  quantity no shop could sell in that unit is a contract error naming the line — never a
  SAP document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bridge.contract.base import ContractError
from bridge.mapping import MappingContext
from bridge.order import OrderPayload
from sapchaos.catalog import Catalog

__all__ = [
    "CONSENT_UDFS",
    "DEFAULT_UOMS",
    "MARKETING_KEYS",
    "UomPolicy",
    "consents",
    "marketing",
    "quantities",
    "uom_of",
    "uom_policies",
]

#: order meta keys read for ``U_MarketingSource``, first present wins
MARKETING_KEYS = ("_wc_order_attribution_utm_source", "_wc_order_attribution_source_type")
MARKETING_MAX = 50
#: UDF → the order meta keys that carry that consent (first present wins)
CONSENT_UDFS: Mapping[str, tuple[str, ...]] = {
    "U_ConsentMarketing": ("_marketing_consent", "_wc_marketing_optin"),
    "U_ConsentTerms": ("_terms_accepted",),
}
YES = frozenset({"yes", "y", "1", "true", "on", "accepted", "si", "sí"})
NO = frozenset({"no", "n", "0", "false", "off", "declined", ""})


@dataclass(frozen=True)
class UomPolicy:
    """How many decimals a quantity in this unit may have, and its bounds (per line)."""

    decimals: int = 0
    min: Decimal = Decimal(1)
    max: Decimal = Decimal(9999)


#: used when the catalog has no ``uoms`` table
DEFAULT_UOMS: Mapping[str, UomPolicy] = {"Unit": UomPolicy()}


def uom_policies(catalog: Catalog) -> dict[str, UomPolicy]:
    """The catalog's ``uoms`` table (``{"kg": {"decimals": 3, "min": "0.001", "max":
    "500"}}``) over the defaults."""
    out = dict(DEFAULT_UOMS)
    raw = catalog.raw.get("uoms")
    if isinstance(raw, dict):
        for name, spec in raw.items():
            if isinstance(spec, dict):
                out[str(name)] = UomPolicy(
                    int(spec.get("decimals", 0)),
                    Decimal(str(spec.get("min", "1"))),
                    Decimal(str(spec.get("max", "9999"))),
                )
    return out


def uom_of(catalog: Catalog, sku: str) -> str:
    """The product's unit of measure (catalog product ``uom``; default ``Unit``)."""
    for p in catalog.raw.get("products", []) or []:
        if isinstance(p, dict) and p.get("sku") == sku:
            return str(p.get("uom") or "Unit")
    return "Unit"


def marketing(order: OrderPayload, ctx: MappingContext) -> dict[str, Any]:
    """``U_MarketingSource`` from the order attribution meta (absent: no UDF)."""
    for key in MARKETING_KEYS:
        value = order.meta(key)
        if value is not None and str(value).strip():
            return {"U_MarketingSource": " ".join(str(value).split())[:MARKETING_MAX]}
    return {}


def consents(order: OrderPayload, ctx: MappingContext) -> dict[str, Any]:
    """``U_Consent*`` = Y/N from the checkout's consent fields; unreadable → left out."""
    out: dict[str, Any] = {}
    for udf, keys in CONSENT_UDFS.items():
        for key in keys:
            value = order.meta(key)
            if value is None:
                continue
            text = str(value).strip().lower()
            if text in YES:
                out[udf] = "Y"
            elif text in NO:
                out[udf] = "N"
            break
    return out


def quantities(order: OrderPayload, ctx: MappingContext) -> dict[str, Any]:
    """Check every line's quantity against its unit's policy (adds no field)."""
    policies = uom_policies(ctx.catalog)
    for n, item in enumerate(order.line_items, start=1):
        uom = uom_of(ctx.catalog, item.sku)
        policy = policies.get(uom)
        if policy is None:
            raise ContractError(f"line {n} ({item.sku}): unit of measure {uom!r} has no policy")
        qty = Decimal(str(item.quantity))
        exponent = qty.normalize().as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if places > policy.decimals:
            raise ContractError(
                f"line {n} ({item.sku}): quantity {qty} has {places} decimals; "
                f"{uom} allows {policy.decimals}"
            )
        if not policy.min <= qty <= policy.max:
            raise ContractError(
                f"line {n} ({item.sku}): quantity {qty} {uom} is outside "
                f"{policy.min}..{policy.max} — no shop sells that; not booked"
            )
    return {}
