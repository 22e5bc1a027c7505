"""``B1S-CaseInsensitive: true``: string comparisons in ``$filter`` ignore case.

The Service Layer's "configuration by request" header makes a HANA company compare
strings the way MSSQL's default collation does (``CardName eq 'acme'`` finds ``ACME``).
fakesap rewrites the parsed filter once per request: a comparison between a property (or
function result) and a non-date string literal compares ``tolower`` of both, and the
string functions (``contains``, ``startswith``, ``endswith``, ``substringof``,
``indexof``) get lower-cased arguments. Numbers, dates and nulls are untouched.
"""

from __future__ import annotations

from dataclasses import replace

from fakesap.odata.nodes import And, Call, Compare, Expr, Lambda, Literal, Not, Or
from fakesap.odata.values import to_datetime

#: functions whose string arguments are compared (their result is not a string)
_TEXT_MATCHERS = frozenset({"contains", "startswith", "endswith", "substringof", "indexof"})


def is_text(node: Expr) -> bool:
    """A string literal that is not read as a date (``'2026-11-30'`` stays a date)."""
    return (
        isinstance(node, Literal)
        and node.kind == "string"
        and isinstance(node.value, str)
        and to_datetime(node.value) is None
    )


def _lower(node: Expr) -> Expr:
    if isinstance(node, Literal):
        return replace(node, value=node.value.lower()) if is_text(node) else node
    pos = getattr(node, "pos", 0)
    return Call("tolower", (node,), pos)


def caseless(expr: Expr) -> Expr:
    """The same filter with case-insensitive string comparisons."""
    if isinstance(expr, Compare):
        left, right = expr.left, expr.right
        if is_text(left) or is_text(right):
            return replace(expr, left=_lower(left), right=_lower(right))
        return expr
    if isinstance(expr, Call):
        if expr.name in _TEXT_MATCHERS:
            return replace(expr, args=tuple(_lower(a) for a in expr.args))
        return expr
    if isinstance(expr, And):
        return And(tuple(caseless(item) for item in expr.items))
    if isinstance(expr, Or):
        return Or(tuple(caseless(item) for item in expr.items))
    if isinstance(expr, Not):
        return Not(caseless(expr.item))
    if isinstance(expr, Lambda) and expr.body is not None:
        return replace(expr, body=caseless(expr.body))
    return expr
