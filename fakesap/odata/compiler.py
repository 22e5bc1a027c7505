"""Compile a parsed ``$filter`` into nested closures: parse once, evaluate fast per row.

Each node becomes a small function over the row; comparisons against a literal are
specialised (string equality, integer fast paths, date normalisation done once for the
literal) so a simple ``U_IdemKey eq '…'`` over 100k rows costs one dict lookup per row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from typing import Literal as TypingLiteral

from fakesap.odata.functions import FUNCTIONS
from fakesap.odata.nodes import And, Call, Compare, Expr, Lambda, Literal, Not, Or, Path
from fakesap.odata.parser import parse_expression
from fakesap.odata.values import FLIPPED, OPERATORS, compare, to_datetime

Row = Mapping[str, Any]
#: a compiled filter: true when the row matches
Predicate = Callable[[Any], bool]
Getter = Callable[[Any], Any]

_MEMO_LIMIT = 4096


def parse_filter(text: str, version: TypingLiteral["v1", "v2"] = "v1") -> Predicate:
    """Parse and compile a ``$filter``; QueryError (and nothing else) if malformed."""
    return compile_filter(parse_expression(text, version))


def compile_filter(expr: Expr) -> Predicate:
    """The predicate of an already parsed filter."""
    return _condition(expr, None)


def path_getter(segments: tuple[str, ...]) -> Getter:
    """Read a property path from a row; a missing key or non-object step is null."""
    if not segments:
        return lambda row: row
    if len(segments) == 1:
        name = segments[0]

        def get_one(row: Any) -> Any:
            # rows are dicts; EAFP is several times cheaper than isinstance(row, Mapping)
            try:
                return row.get(name)
            except AttributeError:
                return None

        return get_one

    def get_path(row: Any) -> Any:
        value = row
        for name in segments:
            if not isinstance(value, Mapping):
                return None
            value = value.get(name)
        return value

    return get_path


# -- conditions ----------------------------------------------------------------------
def _condition(expr: Expr, scope: str | None) -> Predicate:
    """``scope`` is the lambda variable the closure's argument is bound to (None: the row)."""
    if isinstance(expr, Compare):
        return _compare(expr, scope)
    if isinstance(expr, And):
        return _and([_condition(item, scope) for item in expr.items])
    if isinstance(expr, Or):
        return _or([_condition(item, scope) for item in expr.items])
    if isinstance(expr, Not):
        inner = _condition(expr.item, scope)
        return lambda row: not inner(row)
    if isinstance(expr, Lambda):
        return _lambda(expr, scope)
    value = _value(expr, scope)
    return lambda row: value(row) is True


def _and(preds: list[Predicate]) -> Predicate:
    if len(preds) == 2:
        first, second = preds
        return lambda row: first(row) and second(row)

    def all_of(row: Any) -> bool:
        return all(pred(row) for pred in preds)

    return all_of


def _or(preds: list[Predicate]) -> Predicate:
    if len(preds) == 2:
        first, second = preds
        return lambda row: first(row) or second(row)

    def any_of(row: Any) -> bool:
        return any(pred(row) for pred in preds)

    return any_of


def _lambda(expr: Lambda, scope: str | None) -> Predicate:
    get_items = _path(expr.collection, scope)
    if expr.body is None:

        def non_empty(row: Any) -> bool:
            items = get_items(row)
            return isinstance(items, list | tuple) and len(items) > 0

        return non_empty
    body = _condition(expr.body, expr.var)
    if expr.kind == "any":

        def any_item(row: Any) -> bool:
            items = get_items(row)
            if not isinstance(items, list | tuple):
                return False
            return any(body(item) for item in items)

        return any_item

    def all_items(row: Any) -> bool:
        items = get_items(row)
        if not isinstance(items, list | tuple):
            return True  # OData: all() over null/empty is true
        return all(body(item) for item in items)

    return all_items


def _path(path: Path, scope: str | None) -> Getter:
    # inside a lambda the closure receives the item bound to the variable, so the path
    # ``d/ItemCode`` is read as ``ItemCode`` of that item (the parser checked the prefix)
    if scope is not None and path.segments[0] == scope:
        return path_getter(path.segments[1:])
    return path_getter(path.segments)


# -- values --------------------------------------------------------------------------
def _value(expr: Expr, scope: str | None) -> Getter:
    if isinstance(expr, Literal):
        constant = expr.value
        return lambda row: constant
    if isinstance(expr, Path):
        return _path(expr, scope)
    if isinstance(expr, Call):
        return _call(expr, scope)
    return _condition(expr, scope)


def _call(expr: Call, scope: str | None) -> Getter:
    body = FUNCTIONS[expr.name].body
    args = [_value(arg, scope) for arg in expr.args]
    if len(args) == 1:
        (only,) = args
        return lambda row: body(only(row))
    if len(args) == 2:
        first, second = args
        return lambda row: body(first(row), second(row))
    return lambda row: body(*[arg(row) for arg in args])


# -- comparisons ---------------------------------------------------------------------
def _compare(expr: Compare, scope: str | None) -> Predicate:
    op: str = expr.op
    left, right = expr.left, expr.right
    if isinstance(left, Literal) and not isinstance(right, Literal):
        left, right, op = right, left, FLIPPED[op]
    if isinstance(right, Literal) and not isinstance(left, Literal):
        return _against_literal(op, _value(left, scope), right)
    get_left, get_right = _value(left, scope), _value(right, scope)
    if isinstance(left, Literal) and isinstance(right, Literal):
        result = compare(op, left.value, right.value)
        return lambda row: result
    return lambda row: compare(op, get_left(row), get_right(row))


def _against_literal(op: str, get: Getter, literal: Literal) -> Predicate:
    """``value op literal`` specialised on the literal's kind."""
    lit = literal.value
    if literal.kind == "null":
        if op == "eq":
            return lambda row: get(row) is None
        if op == "ne":
            return lambda row: get(row) is not None
        return lambda row: False
    if literal.kind == "bool" and op in ("eq", "ne"):
        if op == "eq":
            return lambda row: get(row) is lit
        return lambda row: get(row) is not lit
    fn = OPERATORS[op]
    if literal.kind == "number":

        def number(row: Any) -> bool:
            value = get(row)
            kind = type(value)
            if kind is int or (kind is Decimal and not value.is_nan()):
                return fn(value, lit)
            return compare(op, value, lit)

        return number
    if literal.kind == "datetime" or (literal.kind == "string" and to_datetime(lit) is not None):
        return _against_instant(op, get, literal)
    if literal.kind == "string":
        return _against_text(op, get, lit)
    return lambda row: compare(op, get(row), lit)


def _against_text(op: str, get: Getter, lit: str) -> Predicate:
    """A literal that is not date-like compares with row strings as plain (ordinal) text."""
    if op == "eq":

        def equal(row: Any) -> bool:
            value = get(row)
            if type(value) is str:
                return value == lit
            return compare("eq", value, lit)

        return equal
    fn = OPERATORS[op]

    def text(row: Any) -> bool:
        value = get(row)
        if type(value) is str:
            return fn(value, lit)
        return compare(op, value, lit)

    return text


def _against_instant(op: str, get: Getter, literal: Literal) -> Predicate:
    """Dates: ``'2024-01-31'`` equals ``"2024-01-31T00:00:00Z"``; non-dates compare as text."""
    fn = OPERATORS[op]
    if literal.kind == "datetime":
        moment: datetime = literal.value
        text: str | None = None
    else:
        text = literal.value
        parsed = to_datetime(text)
        assert parsed is not None
        moment = parsed

    # rows repeat few distinct date texts; parse each once per request (bounded memo)
    memo: dict[str, datetime | None] = {}

    def instant(row: Any) -> bool:
        value = get(row)
        if value is None:
            return op == "ne"
        if type(value) is str:
            if value == text:
                return op in ("eq", "ge", "le")
            if value in memo:
                other = memo[value]
            else:
                other = to_datetime(value)
                if len(memo) < _MEMO_LIMIT:
                    memo[value] = other
        else:
            other = to_datetime(value)
        if other is not None:
            return fn(other, moment)
        if text is not None and type(value) is str:
            return fn(value, text)
        return compare(op, value, text if text is not None else moment)

    return instant
