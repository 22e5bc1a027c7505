"""OData canonical functions fakesap's ``$filter`` understands, one table entry each.

The Service Layer accepts ``startswith``, ``endswith``, ``substringof`` (v3) and
``contains`` (v4); fakesap accepts both spellings on both paths and adds the common
string/date helpers. A function given a null or wrongly typed value yields null/false.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from fakesap.odata.values import to_datetime

ArgKind = Literal["string", "date", "any"]
ReturnKind = Literal["bool", "string", "number"]


@dataclass(frozen=True)
class Function:
    """One canonical function: parameter kinds, result kind, and its null-safe body."""

    name: str
    params: tuple[ArgKind, ...]
    returns: ReturnKind
    body: Callable[..., Any]
    doc: str


def _startswith(value: Any, prefix: Any) -> bool:
    return type(value) is str and type(prefix) is str and value.startswith(prefix)


def _endswith(value: Any, suffix: Any) -> bool:
    return type(value) is str and type(suffix) is str and value.endswith(suffix)


def _contains(value: Any, part: Any) -> bool:
    return type(value) is str and type(part) is str and part in value


def _substringof(part: Any, value: Any) -> bool:
    return _contains(value, part)


def _tolower(value: Any) -> str | None:
    return value.lower() if type(value) is str else None


def _toupper(value: Any) -> str | None:
    return value.upper() if type(value) is str else None


def _trim(value: Any) -> str | None:
    return value.strip(" ") if type(value) is str else None


def _length(value: Any) -> int | None:
    return len(value) if type(value) is str else None


def _indexof(value: Any, part: Any) -> int | None:
    if type(value) is str and type(part) is str:
        return value.find(part)
    return None


def _concat(a: Any, b: Any) -> str | None:
    return a + b if type(a) is str and type(b) is str else None


def _year(value: Any) -> int | None:
    moment = to_datetime(value)
    return None if moment is None else moment.year


def _month(value: Any) -> int | None:
    moment = to_datetime(value)
    return None if moment is None else moment.month


def _day(value: Any) -> int | None:
    moment = to_datetime(value)
    return None if moment is None else moment.day


#: every function ``$filter`` accepts, by its (lower-case, case-sensitive) name
FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("startswith", ("string", "string"), "bool", _startswith, "startswith(Field,'x')"),
        Function("endswith", ("string", "string"), "bool", _endswith, "endswith(Field,'x')"),
        Function("contains", ("string", "string"), "bool", _contains, "contains(Field,'x') (v4)"),
        Function(
            "substringof", ("string", "string"), "bool", _substringof, "substringof('x',Field) (v3)"
        ),
        Function("tolower", ("string",), "string", _tolower, "tolower(Field)"),
        Function("toupper", ("string",), "string", _toupper, "toupper(Field)"),
        Function("trim", ("string",), "string", _trim, "trim(Field)"),
        Function("length", ("string",), "number", _length, "length(Field)"),
        Function("indexof", ("string", "string"), "number", _indexof, "indexof(Field,'x')"),
        Function("concat", ("string", "string"), "string", _concat, "concat(Field,'x')"),
        Function("year", ("date",), "number", _year, "year(DocDate)"),
        Function("month", ("date",), "number", _month, "month(DocDate)"),
        Function("day", ("date",), "number", _day, "day(DocDate)"),
    )
}
