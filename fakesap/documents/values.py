"""Reading JSON values the way the Service Layer's OData layer does: numbers must be
numbers, dates are ``YYYY-MM-DD`` (or with a midnight time), strings have a length limit.
Every refusal is an ``SLError`` naming the property."""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from fakesap.errors import SLError

_DATE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
_MAX_DECIMAL = Decimal("1e15")
_MIN_DECIMAL = -_MAX_DECIMAL
_MAX_INT = 10**15
#: the Decimals of small JSON integers (quantities), shared instead of made per document
_SMALL_INTS = tuple(Decimal(n) for n in range(256))


def invalid(name: str, value: Any) -> SLError:
    text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return SLError.of("invalid_value", name=name, value=text)


def to_decimal(value: Any, name: str) -> Decimal:
    """An Edm.Double/Decimal property: a JSON number (not a string, not a boolean)."""
    cls = value.__class__
    if cls is Decimal:  # the usual case: bodies are parsed with parse_float=Decimal
        if value.is_finite() and _MIN_DECIMAL < value < _MAX_DECIMAL:
            return value
        raise invalid(name, value)
    if cls is int:
        if 0 <= value < 256:
            return _SMALL_INTS[value]
        if -_MAX_INT < value < _MAX_INT:
            return Decimal(value)
        raise invalid(name, value)
    if isinstance(value, Decimal):
        d = value
        if not d.is_finite() or abs(d) >= _MAX_DECIMAL:
            raise invalid(name, value)
        return d
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(name, value)
    try:
        d = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
    except (InvalidOperation, ValueError):
        raise invalid(name, value) from None
    if not d.is_finite() or abs(d) >= _MAX_DECIMAL:
        raise invalid(name, value)
    return d


def to_int(value: Any, name: str) -> int:
    """An Edm.Int32 property: a JSON integer (``5.0`` is accepted, ``"5"`` is not)."""
    if isinstance(value, bool):
        raise invalid(name, value)
    if isinstance(value, float | Decimal):
        if not math.isfinite(value) or value != int(value):
            raise invalid(name, value)
        value = int(value)
    if not isinstance(value, int) or not -(2**31) <= value < 2**31:
        raise invalid(name, value)
    return value


def to_text(value: Any, name: str, entity: str, max_len: int) -> str:
    if not isinstance(value, str):
        raise invalid(name, value)
    if len(value) > max_len:
        raise SLError.of("value_too_long", name=name, entity=entity, max_len=max_len)
    return value


def to_date(value: Any, name: str) -> str:
    """Accept ``2026-11-23`` and ``2026-11-23T00:00:00Z``; keep ``YYYY-MM-DD``."""
    if not isinstance(value, str):
        raise invalid(name, value)
    m = _DATE.match(value)
    if m is None:
        raise invalid(name, value)
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1900 <= year <= 2999 and 1 <= month <= 12 and 1 <= day <= _days_in(year, month)):
        raise invalid(name, value)
    return value[:10]


def _days_in(year: int, month: int) -> int:
    if month == 2:
        return 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
    return 30 if month in (4, 6, 9, 11) else 31


def to_key(value: Any, name: str) -> int:
    """A DocEntry reference: a positive integer."""
    n = to_int(value, name)
    if n <= 0:
        raise invalid(name, value)
    return n
