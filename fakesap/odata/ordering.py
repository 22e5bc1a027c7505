"""``$orderby``: stable multi-key sort with OData's null placement.

OData sorts null before any value, so ``asc`` puts nulls first and ``desc`` last. Rows
with equal keys keep their incoming order (the Service Layer's key order). A column whose
values are all numbers or numeric strings sorts numerically (money on the wire is text).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from fakesap.odata.compiler import path_getter
from fakesap.odata.values import is_number, to_datetime, to_decimal

_NULL: tuple[int] = (0,)
#: a text starting otherwise is neither a number nor a date, so it sorts as text
_NUMBER_OR_DATE_START = frozenset("0123456789+-.")


def sort_rows(rows: Sequence[Mapping[str, Any]], orderby: Sequence[tuple[str, bool]]) -> list[Any]:
    """``rows`` ordered by ``(path, descending)`` keys, most significant first."""
    order = list(range(len(rows)))
    for path, descending in reversed(orderby):
        get = path_getter(tuple(path.split("/")))
        keys = column_keys([get(row) for row in rows])
        order.sort(key=keys.__getitem__, reverse=descending)
    return [rows[i] for i in order]


def column_keys(values: list[Any]) -> list[Any]:
    """Totally ordered sort keys for one column's values (mixed kinds never raise)."""
    kinds = {type(v) for v in values}
    if kinds == {str} and not any(v[:1] in _NUMBER_OR_DATE_START for v in values):
        return values  # plain text (CardCode, ItemCode …): the values are their own keys
    numeric = [_number(v) for v in values]
    if all(v is None or n is not None for v, n in zip(values, numeric, strict=True)):
        if None not in numeric:
            return numeric  # the common case: plain numbers, no tuples needed
        return [_NULL if n is None else (2, n) for n in numeric]
    memo: dict[str, tuple[Any, ...]] = {}  # date texts repeat: parse each distinct one once
    keys: list[Any] = []
    for value, number in zip(values, numeric, strict=True):
        if type(value) is str:
            key = memo.get(value)
            if key is None:
                key = memo[value] = _key(value, number)
            keys.append(key)
        else:
            keys.append(_key(value, number))
    return keys


def _number(value: Any) -> Any:
    kind = type(value)
    if kind is int:
        return value
    if kind is Decimal:
        return None if value.is_nan() else value
    if is_number(value) or kind is str:
        return to_decimal(value)
    return None


def _key(value: Any, number: Any) -> tuple[Any, ...]:
    if value is None:
        return _NULL
    if type(value) is bool:
        return (1, value)
    if is_number(value) and number is not None:
        return (2, number)
    if isinstance(value, date):
        moment = to_datetime(value)
        return (3, moment) if moment is not None else (5, type(value).__name__, repr(value))
    if type(value) is str:
        moment = to_datetime(value)
        return (3, moment) if moment is not None else (4, value)
    return (5, type(value).__name__, repr(value))
