"""How ``$filter`` compares a row's values: numbers as Decimal, dates normalised, null.

The Service Layer compares typed columns; fakesap's rows are plain JSON-ish dicts, so a
value is classified here: int/float/Decimal and numeric strings compare as ``Decimal``,
``"YYYY-MM-DD"`` and ``"YYYY-MM-DDT00:00:00Z"`` compare as the same instant, a missing key
is null, and a comparison between incompatible kinds is simply false (``ne``: true).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

NUMERIC_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,6})?\Z", re.ASCII)
DATE_TEXT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?\Z",
    re.ASCII,
)

#: the six comparison operators as plain functions over already-coerced operands
OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}

#: ``a op b`` ⇔ ``b FLIPPED[op] a``
FLIPPED = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}


def to_decimal(value: Any) -> Decimal | None:
    """The value as a finite-or-infinite Decimal, or None if it is not a number (or NaN)."""
    kind = type(value)
    if kind is int:
        return Decimal(value)
    if kind is Decimal:
        return None if value.is_nan() else value
    if kind is str:
        if len(value) > 200 or not NUMERIC_TEXT.match(value):
            return None
        return Decimal(value)
    if kind is float:
        result = Decimal(repr(value))
        return None if result.is_nan() else result
    # subclasses (IntEnum, custom Decimal …) are rare: normalise them to the base type
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(int(value))
    if isinstance(value, Decimal):
        return to_decimal(Decimal(value))
    if isinstance(value, float):
        return to_decimal(float(value))
    return None


def is_number(value: Any) -> bool:
    """A real number (bool is not a number in OData)."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def to_datetime(value: Any) -> datetime | None:
    """The value as an aware UTC datetime if it is a date, datetime or ISO date text."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if type(value) is not str or len(value) > 40:
        return None
    match = DATE_TEXT.match(value)
    if match is None:
        return None
    return datetime_from_match(match)


def datetime_from_match(match: re.Match[str]) -> datetime | None:
    """Build the instant of a ``DATE_TEXT`` match; None if the calendar says no (02-30)."""
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz: timezone = UTC
    try:
        if zone and zone != "Z":
            sign = -1 if zone[0] == "-" else 1
            tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micro,
            tzinfo=tz,
        )
    except ValueError:
        return None
    return moment.astimezone(UTC)


def coerce(a: Any, b: Any) -> tuple[Any, Any] | None:
    """Both non-null operands brought to one comparable kind, or None if incompatible."""
    a_bool, b_bool = type(a) is bool, type(b) is bool
    if a_bool or b_bool:
        return (a, b) if a_bool and b_bool else None
    if is_number(a) or is_number(b):
        da, db = to_decimal(a), to_decimal(b)
        return None if da is None or db is None else (da, db)
    a_str, b_str = type(a) is str, type(b) is str
    if a_str and b_str:
        ta, tb = to_datetime(a), to_datetime(b)
        if ta is not None and tb is not None:
            return ta, tb
        return a, b
    if isinstance(a, date) or isinstance(b, date):
        ta, tb = to_datetime(a), to_datetime(b)
        return None if ta is None or tb is None else (ta, tb)
    return None  # lists, dicts, text against a non-text: incompatible


def compare(op: str, a: Any, b: Any) -> bool:
    """OData comparison of two runtime values: null rules first, then coerced operands."""
    if a is None or b is None:
        if op == "eq":
            return a is None and b is None
        if op == "ne":
            return not (a is None and b is None)
        return False
    pair = coerce(a, b)
    if pair is None:
        return op == "ne"
    try:
        return bool(OPERATORS[op](pair[0], pair[1]))
    except (TypeError, ArithmeticError):
        return op == "ne"


def decimal_literal(text: str) -> Decimal | None:
    """Decimal of a numeric literal's text, or None if Decimal refuses (absurd exponent)."""
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None
