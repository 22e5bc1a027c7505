"""The parsed form of a ``$filter``: a small immutable tree, compiled once per request.

Mirrors the OData common-expression grammar the Service Layer accepts: comparisons,
``and``/``or``/``not``, literals, property paths, canonical functions and any/all lambdas.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from typing import Literal as TypingLiteral

LiteralKind = TypingLiteral["string", "number", "bool", "null", "datetime"]
CompareOp = TypingLiteral["eq", "ne", "gt", "ge", "lt", "le"]


@dataclass(frozen=True)
class Literal:
    """A constant: ``'text'``, ``12.5``, ``true``, ``null``, ``2024-01-31`` (v4) …"""

    kind: LiteralKind
    value: Any
    pos: int


@dataclass(frozen=True)
class Path:
    """A property path such as ``CardCode`` or ``d/ItemCode`` (a missing key is null)."""

    segments: tuple[str, ...]
    pos: int


@dataclass(frozen=True)
class Call:
    """A canonical function call such as ``startswith(CardCode,'C1')``."""

    name: str
    args: tuple[Expr, ...]
    pos: int


@dataclass(frozen=True)
class Compare:
    """``left op right`` with one of the six OData comparison operators."""

    op: CompareOp
    left: Expr
    right: Expr
    pos: int


@dataclass(frozen=True)
class And:
    """A flattened chain ``a and b and c`` (n-ary, so long chains never recurse deeply)."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    """A flattened chain ``a or b or c``."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    """``not x``."""

    item: Expr


@dataclass(frozen=True)
class Lambda:
    """``Collection/any(v: body)`` or ``Collection/all(v: body)``; ``any()`` tests non-empty."""

    kind: TypingLiteral["any", "all"]
    collection: Path
    var: str | None
    body: Expr | None


Expr = Literal | Path | Call | Compare | And | Or | Not | Lambda


def outer_paths(expr: Expr) -> Iterator[Path]:
    """Property paths that read the row itself (not those through a lambda variable)."""
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Path):
            yield node
        elif isinstance(node, Call):
            stack.extend(node.args)
        elif isinstance(node, Compare):
            stack.extend((node.left, node.right))
        elif isinstance(node, And | Or):
            stack.extend(node.items)
        elif isinstance(node, Not):
            stack.append(node.item)
        elif isinstance(node, Lambda):
            yield node.collection
