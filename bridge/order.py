"""The WooCommerce order as the bridge reads it: the minimal fields it needs, validated.

A webhook payload is the REST v3 order resource (money as 2-decimal strings, ``*_gmt``
dates without offset). Anything the bridge does not use is ignored, so plugins adding
fields do not break it; a payload missing what it needs is quarantined with the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = [
    "OrderPayload",
    "ValidationError",
    "parse_order",
    "parse_order_json",
    "parse_wc_datetime",
    "sane_amount",
]


def parse_wc_datetime(value: str) -> datetime:
    """WooCommerce ``*_gmt`` dates: ``2026-11-23T20:11:19`` (UTC, no offset)."""
    text = value.strip().replace("Z", "")
    if "+" in text[10:]:
        text = text[: 10 + text[10:].index("+")]
    dt = datetime.fromisoformat(text)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


#: sane bounds (``bridge.contract``): a number beyond these is no shop's order but a bug or
#: an attack (``"1e308"``, a quantity of 10^12) — a validation error, quarantined with the
#: reason, never a SAP document. A line of a million units or an amount of a thousand
#: million is already far beyond any web shop.
MAX_QUANTITY = 1_000_000
MAX_AMOUNT = Decimal("1000000000")


def sane_amount(v: Decimal) -> Decimal:
    """``v`` if it is an amount a shop order can carry, else ``ValueError`` (the reason)."""
    if not v.is_finite():
        raise ValueError("amount is not a finite number")
    if abs(v) > MAX_AMOUNT:
        raise ValueError(f"amount {v} is beyond any shop order (limit {MAX_AMOUNT})")
    if v != v.quantize(Decimal("0.000001")):
        raise ValueError(f"amount {v} has more than 6 decimals")
    return v


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TaxRef(_Model):
    """One entry of a line's ``taxes[]``: the WooCommerce tax rate id it was charged at."""

    id: int = 0


class LineItem(_Model):
    id: int = 0
    sku: str = Field(min_length=1)
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    total: Decimal
    total_tax: Decimal = Decimal("0")
    tax_class: str = ""
    name: str = ""

    _amounts = field_validator("total", "total_tax")(sane_amount)


class ShippingLine(_Model):
    id: int = 0
    method_id: str = ""
    method_title: str = ""
    total: Decimal
    total_tax: Decimal = Decimal("0")
    taxes: list[TaxRef] = Field(default_factory=list)

    _amounts = field_validator("total", "total_tax")(sane_amount)


class FeeLine(_Model):
    id: int = 0
    name: str = ""
    tax_class: str = ""
    tax_status: str = "taxable"
    total: Decimal
    total_tax: Decimal = Decimal("0")
    taxes: list[TaxRef] = Field(default_factory=list)

    _amounts = field_validator("total", "total_tax")(sane_amount)


class BillingRef(_Model):
    email: str = ""

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, v: Any) -> str:
        return "" if v is None else str(v)


class CouponRef(_Model):
    code: str = ""


class MetaRef(_Model):
    key: str = ""
    value: Any = None


class RefundRef(_Model):
    id: int
    reason: str = ""
    total: Decimal


class OrderPayload(_Model):
    """The order fields the bridge needs from a webhook or ``GET orders/{id}``."""

    id: int = Field(gt=0)
    number: str = ""
    status: str = Field(min_length=1)
    currency: str = "EUR"
    date_created_gmt: str
    date_modified_gmt: str
    date_paid_gmt: str | None = None
    customer_id: int = 0
    transaction_id: str = ""
    payment_method: str = ""
    #: store option ``woocommerce_prices_include_tax`` when the order was placed
    prices_include_tax: bool = False
    total: Decimal
    #: the order's VAT (None when a payload omits it: then only the total is checked)
    total_tax: Decimal | None = None
    customer_note: str = ""
    billing: BillingRef = Field(default_factory=BillingRef)
    line_items: list[LineItem] = Field(min_length=1)
    shipping_lines: list[ShippingLine] = Field(default_factory=list)
    fee_lines: list[FeeLine] = Field(default_factory=list)
    coupon_lines: list[CouponRef] = Field(default_factory=list)
    refunds: list[RefundRef] = Field(default_factory=list)
    #: custom fields (``_billing_nif`` …); left out of dumps, so the reconciler's canonical
    #: comparison does not see plugin bookkeeping
    meta_data: list[MetaRef] = Field(default_factory=list, exclude=True)

    _amounts = field_validator("total")(sane_amount)

    @field_validator("total_tax")
    @classmethod
    def _tax(cls, v: Decimal | None) -> Decimal | None:
        return None if v is None else sane_amount(v)

    @field_validator("customer_note", mode="before")
    @classmethod
    def _note(cls, v: Any) -> str:
        return "" if v is None else str(v)

    def meta(self, key: str) -> Any:
        """The value of custom field ``key`` (the last one wins, as ``get_meta``)."""
        found = None
        for m in self.meta_data:
            if m.key == key:
                found = m.value
        return found

    @field_validator("number", mode="before")
    @classmethod
    def _number(cls, v: Any) -> str:
        return "" if v is None else str(v)

    @field_validator("date_created_gmt", "date_modified_gmt")
    @classmethod
    def _date(cls, v: str) -> str:
        parse_wc_datetime(v)
        return v

    @field_validator("date_paid_gmt")
    @classmethod
    def _opt_date(cls, v: str | None) -> str | None:
        if v:
            parse_wc_datetime(v)
        return v or None

    @property
    def modified(self) -> datetime:
        return parse_wc_datetime(self.date_modified_gmt)

    @property
    def order_number(self) -> str:
        return self.number or str(self.id)


def parse_order(data: Any) -> OrderPayload:
    """Validate a payload; raises ``pydantic.ValidationError``."""
    return OrderPayload.model_validate(data)


def parse_order_json(body: bytes | str) -> OrderPayload:
    """Validate a payload straight from its JSON text (one parse, no intermediate dict);
    raises ``pydantic.ValidationError`` (type ``json_invalid`` for malformed JSON)."""
    return OrderPayload.model_validate_json(body)


def validation_reason(exc: ValidationError) -> str:
    """A short human reason from a pydantic error (what quarantine shows)."""
    errors = exc.errors()
    for err in errors:
        if err.get("type") == "json_invalid":
            msg = str(err.get("msg", "")).removeprefix("Invalid JSON: ")
            return f"malformed JSON: {msg}"
    parts = []
    for err in errors[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ()))
        parts.append(f"{loc}: {err.get('msg', '')}")
    return "; ".join(parts) or str(exc)
