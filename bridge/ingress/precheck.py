"""A quick yes for the common well-formed order, before the full validator.

WooCommerce sends every ``order.*`` webhook as the REST v3 order resource: ids as JSON
integers, amounts as plain decimal strings (``wc_format_decimal``), ``*_gmt`` dates as
``YYYY-MM-DDTHH:MM:SS``. The ingress needs only the order id and ``date_modified_gmt``
from a body, plus the verdict of ``bridge.order.OrderPayload``: accept, or quarantine with
its reason. Building that model runs a Python validator for every amount and date and
costs three times the JSON parse itself.

``order_facts`` checks the same fields with a shape of plain typed dicts whose every rule
runs inside pydantic-core: strict types (a JSON integer for an int, a JSON string for a
string), amounts as ``-?D{1,9}(.D{1,6})?`` (so finite, below 10^9 and with at most six
decimals: what ``sane_amount`` demands) and dates in exactly WooCommerce's form (then
parsed as ``OrderPayload`` parses them). The same JSON parser reads the bytes, so nesting
limits, duplicate keys and escapes are treated alike.

The one rule: it says yes only where ``OrderPayload`` would accept the same bytes (with
the same id and date). Anything looser (an amount as a JSON number, ``"1.5000000"``, an
empty ``date_paid_gmt``, a string id) is not "no" but "ask the full validator", which
decides and words the quarantine reason exactly as before.
"""

from __future__ import annotations

from typing import Annotated, NotRequired

from pydantic import Field, Strict, StringConstraints, TypeAdapter
from typing_extensions import TypedDict

from bridge.order import MAX_QUANTITY, parse_wc_datetime

__all__ = ["order_facts"]

#: an amount ``sane_amount`` accepts for certain: below 10^9, at most six decimals
Amount = Annotated[str, StringConstraints(strict=True, pattern=r"^-?[0-9]{1,9}(?:\.[0-9]{1,6})?$")]
#: any plain decimal (a refund's total has no bounds in ``OrderPayload``)
Number = Annotated[str, StringConstraints(strict=True, pattern=r"^-?[0-9]+(?:\.[0-9]+)?$")]
Date = Annotated[
    str,
    StringConstraints(
        strict=True, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$"
    ),
]
Int = Annotated[int, Strict()]
Str = Annotated[str, Strict()]
NonEmpty = Annotated[str, StringConstraints(strict=True, min_length=1)]


class _Tax(TypedDict, total=False):
    id: Int


class _Line(TypedDict):
    id: NotRequired[Int]
    sku: NonEmpty
    quantity: Annotated[int, Strict(), Field(gt=0, le=MAX_QUANTITY)]
    total: Amount
    total_tax: NotRequired[Amount]
    tax_class: NotRequired[Str]
    name: NotRequired[Str]


class _Shipping(TypedDict):
    id: NotRequired[Int]
    method_id: NotRequired[Str]
    method_title: NotRequired[Str]
    total: Amount
    total_tax: NotRequired[Amount]
    taxes: NotRequired[list[_Tax]]


class _Fee(TypedDict):
    id: NotRequired[Int]
    name: NotRequired[Str]
    tax_class: NotRequired[Str]
    tax_status: NotRequired[Str]
    total: Amount
    total_tax: NotRequired[Amount]
    taxes: NotRequired[list[_Tax]]


class _Coupon(TypedDict, total=False):
    code: Str


class _Refund(TypedDict):
    id: Int
    reason: NotRequired[Str]
    total: Number


class _Meta(TypedDict, total=False):
    key: Str


class _Billing(TypedDict, total=False):
    """Only its being an object is checked: ``OrderPayload`` reads the e-mail leniently."""


class _Order(TypedDict):
    """The fields ``OrderPayload`` reads; ``number`` and ``customer_note`` take anything."""

    id: Annotated[int, Strict(), Field(gt=0)]
    status: NonEmpty
    currency: NotRequired[Str]
    date_created_gmt: Date
    date_modified_gmt: Date
    date_paid_gmt: NotRequired[Date | None]
    customer_id: NotRequired[Int]
    transaction_id: NotRequired[Str]
    payment_method: NotRequired[Str]
    prices_include_tax: NotRequired[Annotated[bool, Strict()]]
    total: Amount
    total_tax: NotRequired[Amount | None]
    billing: NotRequired[_Billing]
    line_items: Annotated[list[_Line], Field(min_length=1)]
    shipping_lines: NotRequired[list[_Shipping]]
    fee_lines: NotRequired[list[_Fee]]
    coupon_lines: NotRequired[list[_Coupon]]
    refunds: NotRequired[list[_Refund]]
    meta_data: NotRequired[list[_Meta]]


_ORDER = TypeAdapter(_Order)


def order_facts(body: bytes) -> tuple[int, str] | None:
    """(order id, ``date_modified_gmt``) when ``body`` is certainly a valid order, else None
    (then only ``bridge.order.parse_order_json`` can tell: valid, or the reason why not)."""
    try:
        order = _ORDER.validate_json(body)
        # the pattern admits a 31st of February: parse the dates as ``OrderPayload`` does
        parse_wc_datetime(order["date_created_gmt"])
        parse_wc_datetime(order["date_modified_gmt"])
        paid = order.get("date_paid_gmt")
        if paid is not None:
            parse_wc_datetime(paid)
    except ValueError:  # pydantic's ValidationError included
        return None
    return order["id"], order["date_modified_gmt"]
