"""``$apply``: the OData data-aggregation transformations the Service Layer documents.

Supported, as in the manual's examples (HANA companies):

- ``aggregate(DocTotal with sum as Total)`` and several items separated by commas;
  methods ``sum``, ``max``, ``min``, ``average``, ``countdistinct``;
- ``aggregate($count as N)``: the number of rows;
- ``groupby((CardCode,DocCurrency))`` (distinct combinations) and
  ``groupby((CardCode), aggregate(...))`` (one aggregated row per group);
- ``filter(<$filter expression>)`` as a step, and steps chained with ``/``:
  ``filter(DocTotal gt 100)/groupby((CardCode), aggregate($count as Orders))``.

Grouping and aggregating read top-level properties. Nulls are skipped by every method
(``$count`` counts rows); a sum or average of nothing is null. Malformed input raises
``QueryError`` naming ``$apply``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from fakesap.odata.caseless import caseless
from fakesap.odata.compiler import Predicate, compile_filter
from fakesap.odata.errors import QueryError
from fakesap.odata.nodes import outer_paths
from fakesap.odata.parser import parse_expression

Version = Literal["v1", "v2"]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ITEM = re.compile(
    r"\s*([A-Za-z_][A-Za-z0-9_]*)\s+with\s+([a-z]+)\s+as\s+([A-Za-z_][A-Za-z0-9_]*)\s*\Z"
)
_COUNT = re.compile(r"\s*\$count\s+as\s+([A-Za-z_][A-Za-z0-9_]*)\s*\Z")


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    return None


def _sum(values: list[Any]) -> Any:
    nums = [n for n in map(_number, values) if n is not None]
    return sum(nums, Decimal(0)) if nums else None


def _average(values: list[Any]) -> Any:
    nums = [n for n in map(_number, values) if n is not None]
    return sum(nums, Decimal(0)) / len(nums) if nums else None


def _max(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    try:
        return max(present) if present else None
    except TypeError:
        raise QueryError("$apply", "max over values of different types") from None


def _min(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    try:
        return min(present) if present else None
    except TypeError:
        raise QueryError("$apply", "min over values of different types") from None


def _countdistinct(values: list[Any]) -> Any:
    return len({repr(v) for v in values if v is not None})


#: the aggregation methods, one entry each
METHODS: dict[str, Callable[[list[Any]], Any]] = {
    "sum": _sum,
    "max": _max,
    "min": _min,
    "average": _average,
    "countdistinct": _countdistinct,
}


@dataclass(frozen=True)
class Aggregate:
    """``prop with method as alias``; ``prop`` None is ``$count``."""

    prop: str | None
    method: str
    alias: str


@dataclass(frozen=True)
class Step:
    kind: Literal["filter", "groupby", "aggregate"]
    predicate: Predicate | None = None
    group: tuple[str, ...] = ()
    aggregates: tuple[Aggregate, ...] = ()


def _split_top(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside parentheses and quotes."""
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth < 0:
                raise QueryError("$apply", f"unbalanced ')' at position {i + 1}", i + 1)
        elif not quoted and depth == 0 and ch == sep:
            parts.append(text[start:i])
            start = i + 1
    if depth or quoted:
        raise QueryError("$apply", "unbalanced parentheses or quotes")
    parts.append(text[start:])
    return parts


def _call(text: str) -> tuple[str, str]:
    text = text.strip()
    open_at = text.find("(")
    if open_at <= 0 or not text.endswith(")"):
        raise QueryError("$apply", f"expected name(...), found {text[:60]!r}")
    return text[:open_at].strip(), text[open_at + 1 : -1]


def _aggregates(text: str, fields: frozenset[str] | None) -> tuple[Aggregate, ...]:
    items: list[Aggregate] = []
    for raw in _split_top(text, ","):
        count = _COUNT.match(raw)
        if count:
            items.append(Aggregate(None, "count", count.group(1)))
            continue
        m = _ITEM.match(raw)
        if m is None:
            raise QueryError(
                "$apply",
                f"expected 'Property with method as Alias' or '$count as Alias', "
                f"found {raw.strip()[:60]!r}",
            )
        prop, method, alias = m.groups()
        if method not in METHODS:
            raise QueryError(
                "$apply",
                f"unknown aggregation method {method!r}; use {', '.join(METHODS)}",
            )
        if fields is not None and prop not in fields:
            raise QueryError("$apply", f"property {prop!r} is invalid")
        items.append(Aggregate(prop, method, alias))
    aliases = [a.alias for a in items]
    if len(set(aliases)) != len(aliases):
        raise QueryError("$apply", "aliases must be distinct")
    return tuple(items)


def parse_apply(
    text: str,
    version: Version,
    fields: frozenset[str] | None = None,
    *,
    case_insensitive: bool = False,
) -> list[Step]:
    """Parse ``$apply`` into steps; ``fields`` are the entity's property names."""
    if not text.strip():
        raise QueryError("$apply", "$apply is empty")
    steps: list[Step] = []
    known = fields
    for raw in _split_top(text, "/"):
        name, inner = _call(raw)
        if name == "filter":
            if steps and steps[-1].kind != "filter":
                raise QueryError("$apply", "filter() after groupby/aggregate is not supported")
            expr = parse_expression(inner, version)
            if known is not None:
                for node in outer_paths(expr):
                    if node.segments[0] not in known:
                        raise QueryError("$apply", f"property {node.segments[0]!r} is invalid")
            if case_insensitive:
                expr = caseless(expr)
            steps.append(Step("filter", predicate=compile_filter(expr)))
        elif name == "aggregate":
            steps.append(Step("aggregate", aggregates=_aggregates(inner, known)))
            known = frozenset(a.alias for a in steps[-1].aggregates)
        elif name == "groupby":
            parts = _split_top(inner, ",")
            head = parts[0].strip()
            if not (head.startswith("(") and head.endswith(")")):
                raise QueryError("$apply", "groupby needs a parenthesised property list")
            group = tuple(p.strip() for p in head[1:-1].split(","))
            for prop in group:
                if not _NAME.match(prop) or (known is not None and prop not in known):
                    raise QueryError("$apply", f"property {prop!r} is invalid")
            aggs: tuple[Aggregate, ...] = ()
            if len(parts) > 2:
                raise QueryError("$apply", "groupby takes a property list and one aggregate()")
            if len(parts) == 2:
                agg_name, agg_inner = _call(parts[1])
                if agg_name != "aggregate":
                    raise QueryError(
                        "$apply", f"groupby's second argument must be aggregate(), not {agg_name}"
                    )
                aggs = _aggregates(agg_inner, known)
            steps.append(Step("groupby", group=group, aggregates=aggs))
            known = frozenset(group) | {a.alias for a in aggs}
        else:
            raise QueryError(
                "$apply", f"unsupported transformation {name!r}; use filter, groupby, aggregate"
            )
    return steps


def _aggregate(rows: list[Mapping[str, Any]], items: Iterable[Aggregate]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if item.prop is None:
            out[item.alias] = len(rows)
        else:
            out[item.alias] = METHODS[item.method]([row.get(item.prop) for row in rows])
    return out


def run_apply(rows: Iterable[Mapping[str, Any]], steps: list[Step]) -> list[dict[str, Any]]:
    """The rows after every step."""
    current: list[Mapping[str, Any]] = list(rows)
    for step in steps:
        if step.kind == "filter":
            assert step.predicate is not None
            pred = step.predicate
            current = [row for row in current if pred(row)]
        elif step.kind == "aggregate":
            current = [_aggregate(current, step.aggregates)]
        else:
            groups: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
            keys: dict[tuple[str, ...], dict[str, Any]] = {}
            for row in current:
                values = {p: row.get(p) for p in step.group}
                k = tuple(repr(values[p]) for p in step.group)
                groups.setdefault(k, []).append(row)
                keys.setdefault(k, values)
            current = [
                {**keys[k], **_aggregate(members, step.aggregates)} for k, members in groups.items()
            ]
    return [dict(row) for row in current]


def result_columns(steps: list[Step], fields: frozenset[str]) -> frozenset[str]:
    """The property names of the rows ``run_apply`` returns."""
    columns = fields
    for step in steps:
        if step.kind == "aggregate":
            columns = frozenset(a.alias for a in step.aggregates)
        elif step.kind == "groupby":
            columns = frozenset(step.group) | {a.alias for a in step.aggregates}
    return columns
