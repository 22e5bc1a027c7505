"""``$crossjoin`` and the query service ``QueryService_PostQuery`` (SL 9.3 PL01+).

The Service Layer filters document lines together with their header through a cross
join: ``QueryPath`` ``$crossjoin(Orders,Orders/DocumentLines)`` and ``QueryOption``
``$expand=Orders($select=DocEntry,DocNum),Orders/DocumentLines($select=ItemCode,LineNum)
&$filter=Orders/DocEntry eq Orders/DocumentLines/DocEntry and …``. The answer is a
collection of complex values, one per combination that passes the filter, each holding
one object per expanded member, keyed by the member name
(``{"Orders": {…}, "Orders/DocumentLines": {…}}``). The same query is served as
``GET /b1s/vN/$crossjoin(…)?$expand=…&$filter=…``.

Members are entity sets (``Orders``, ``BusinessPartners``) or a document set's line
collection (``Orders/DocumentLines``, ``Invoices/DocumentAdditionalExpenses``). Paths in
``$filter``/``$orderby`` start with a member name. ``$top``, ``$skip`` and server paging
apply to the combinations. Combinations are enumerated in full (a cross join), so the
product of the members' sizes is capped.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from fakesap.odata.caseless import caseless
from fakesap.odata.compiler import Predicate, compile_filter
from fakesap.odata.errors import QueryError
from fakesap.odata.nodes import And, Call, Compare, Expr, Lambda, Not, Or, Path
from fakesap.odata.options import _parse_count_value, _parse_orderby, _parse_select
from fakesap.odata.ordering import sort_rows
from fakesap.odata.parser import parse_expression

Version = Literal["v1", "v2"]
#: most combinations one cross join may enumerate before it is refused
MAX_COMBINATIONS = 2_000_000
COLLECTIONS = ("DocumentLines", "DocumentAdditionalExpenses")
_PATH = re.compile(r"\$crossjoin\(([^()]*)\)\Z")
_KNOWN = frozenset({"$expand", "$filter", "$orderby", "$top", "$skip", "$select"})


@dataclass(frozen=True)
class CrossJoin:
    members: tuple[str, ...]
    expand: dict[str, list[str] | None]  # member -> $select (None: every property)
    filter: Predicate | None
    orderby: list[tuple[str, bool]]
    top: int | None
    skip: int


def parse_members(query_path: str, entity_sets: Mapping[str, bool]) -> tuple[str, ...]:
    """``$crossjoin(A,A/DocumentLines)`` → members; ``entity_sets`` maps each set to
    whether it is a document set (only those have line collections)."""
    m = _PATH.match(query_path.strip())
    if m is None:
        raise QueryError("QueryPath", "expected $crossjoin(EntitySet,EntitySet/DocumentLines,...)")
    members = tuple(p.strip() for p in m.group(1).split(","))
    for member in members:
        head, _, tail = member.partition("/")
        if head not in entity_sets or (tail and (tail not in COLLECTIONS or not entity_sets[head])):
            raise QueryError("QueryPath", f"{member!r} is not an entity set or a document's lines")
    if len(set(members)) != len(members) or len(members) < 2:
        raise QueryError("QueryPath", "$crossjoin needs at least two distinct members")
    return members


def _member_of(segments: tuple[str, ...], members: tuple[str, ...]) -> tuple[str, ...]:
    """``(Orders, DocumentLines, ItemCode)`` → ``("Orders/DocumentLines", "ItemCode")``."""
    for take in (2, 1):
        if len(segments) > take:
            head = "/".join(segments[:take])
            if head in members:
                return (head, *segments[take:])
    raise QueryError("$filter", f"path {'/'.join(segments)!r} does not start with a member")


def _rewrite(expr: Expr, members: tuple[str, ...]) -> Expr:
    if isinstance(expr, Path):
        return replace(expr, segments=_member_of(expr.segments, members))
    if isinstance(expr, Compare):
        return replace(expr, left=_rewrite(expr.left, members), right=_rewrite(expr.right, members))
    if isinstance(expr, Call):
        return replace(expr, args=tuple(_rewrite(a, members) for a in expr.args))
    if isinstance(expr, And):
        return And(tuple(_rewrite(i, members) for i in expr.items))
    if isinstance(expr, Or):
        return Or(tuple(_rewrite(i, members) for i in expr.items))
    if isinstance(expr, Not):
        return Not(_rewrite(expr.item, members))
    if isinstance(expr, Lambda):
        raise QueryError("$filter", "any/all are not supported in a $crossjoin")
    return expr


def _split_top(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _parse_expand(text: str, members: tuple[str, ...]) -> dict[str, list[str] | None]:
    out: dict[str, list[str] | None] = {}
    for raw in _split_top(text):
        item = raw.strip()
        name, paren, rest = item.partition("(")
        name = name.strip()
        if name not in members:
            raise QueryError("$expand", f"{name!r} is not a member of the $crossjoin")
        select: list[str] | None = None
        if paren:
            if not rest.endswith(")"):
                raise QueryError("$expand", f"unbalanced parentheses in {item[:60]!r}")
            opt, _, value = rest[:-1].partition("=")
            if opt.strip() != "$select":
                raise QueryError(
                    "$expand", f"only $select is supported inside $expand, not {opt!r}"
                )
            select = _parse_select(value)
        out[name] = select
    return out


def split_options(text: str) -> dict[str, str]:
    """``QueryOption`` text (``$expand=…&$filter=…``) into its options."""
    out: dict[str, str] = {}
    for part in text.split("&"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep:
            raise QueryError("QueryOption", f"expected name=value, found {part[:60]!r}")
        if name in out:
            raise QueryError(name, f"{name} is given more than once")
        out[name] = value
    return out


def parse_crossjoin(
    members: tuple[str, ...],
    options: Mapping[str, str],
    version: Version,
    *,
    case_insensitive: bool = False,
) -> CrossJoin:
    for name in options:
        if name.startswith("$") and name not in _KNOWN:
            raise QueryError(name, f"{name} is not supported in a $crossjoin")
    if "$select" in options:
        raise QueryError("$select", "select per member inside $expand: Member($select=...)")
    if "$expand" not in options:
        raise QueryError("$expand", "a $crossjoin needs $expand naming the members to return")
    expand = _parse_expand(options["$expand"], members)
    pred = None
    if options.get("$filter") is not None:
        expr = _rewrite(parse_expression(options["$filter"], version), members)
        pred = compile_filter(caseless(expr) if case_insensitive else expr)
    orderby = [(p, d) for p, d in _parse_orderby(options.get("$orderby"))]
    for path, _ in orderby:
        _member_of(tuple(path.split("/")), members)
    return CrossJoin(
        members=members,
        expand=expand,
        filter=pred,
        orderby=orderby,
        top=_parse_count_value("$top", options.get("$top")),
        skip=_parse_count_value("$skip", options.get("$skip")) or 0,
    )


def run_crossjoin(
    cj: CrossJoin, rows_of: Callable[[str], list[dict[str, Any]]], page_size: int
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of combinations (projected per ``$expand``) and the next ``$skip``."""
    tables: list[list[dict[str, Any]]] = []
    size = 1
    for member in cj.members:
        head, _, coll = member.partition("/")
        rows = rows_of(head)
        if coll:
            rows = [line for doc in rows for line in doc.get(coll) or ()]
        tables.append(rows)
        size *= max(1, len(rows))
    if size > MAX_COMBINATIONS:
        raise QueryError(
            "QueryPath", f"the $crossjoin has {size} combinations; at most {MAX_COMBINATIONS}"
        )
    combos: Iterator[tuple[dict[str, Any], ...]] = itertools.product(*tables)
    matched = []
    pred = cj.filter
    for combo in combos:
        row = dict(zip(cj.members, combo, strict=True))
        if pred is None or pred(row):
            matched.append(row)
    if cj.orderby:
        keyed = [
            {**{f"k{n}": _dig(r, p, cj.members) for n, (p, _) in enumerate(cj.orderby)}, "i": i}
            for i, r in enumerate(matched)
        ]
        order = sort_rows(keyed, [(f"k{n}", desc) for n, (_, desc) in enumerate(cj.orderby)])
        matched = [matched[k["i"]] for k in order]
    end = len(matched) if cj.top is None else min(len(matched), cj.skip + cj.top)
    start = cj.skip
    take = max(0, end - start) if page_size <= 0 else max(0, min(end - start, page_size))
    page = matched[start : start + take]
    next_skip = start + take if start + take < end else None
    out = []
    for row in page:
        item: dict[str, Any] = {}
        for member, select in cj.expand.items():
            value = row[member]
            item[member] = (
                dict(value) if select is None else {k: value[k] for k in select if k in value}
            )
        out.append(item)
    return out, next_skip


def _dig(row: Mapping[str, Any], path: str, members: tuple[str, ...]) -> Any:
    member, *rest = _member_of(tuple(path.split("/")), members)
    value: Any = row.get(member)
    for name in rest:
        value = value.get(name) if isinstance(value, Mapping) else None
    return value
