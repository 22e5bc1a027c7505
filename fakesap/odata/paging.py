"""Running parsed options over a collection, with the Service Layer's server paging.

The SL answers at most one page (default 20, ``Prefer: odata.maxpagesize=N``) and adds a
``nextLink`` carrying ``$skip`` (and what is left of ``$top``) while rows remain.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fakesap.odata.options import QueryOptions
from fakesap.odata.ordering import sort_rows

_MAXPAGESIZE = re.compile(r"(?:^|[,;\s])odata\.maxpagesize\s*=\s*\"?(\d{1,9})\"?(?=$|[,;\s])")


@dataclass
class QueryResult:
    """One page: ``rows`` (copies, ``$select`` applied), ``total`` matching the filter
    before ``$skip``/``$top`` (what ``$inlinecount``/``$count`` report), and ``next_skip``
    when more rows remain within ``$top``."""

    rows: list[dict[str, Any]]
    total: int
    next_skip: int | None


def apply_query(
    rows: Iterable[Mapping[str, Any]], opts: QueryOptions, page_size: int
) -> QueryResult:
    """filter → order → skip → one server page of ``min(top, page_size)`` → select.

    ``rows`` come in key order (DocEntry); ``page_size`` 0 means no server paging.
    """
    pred = opts.filter
    matched = [row for row in rows if pred(row)] if pred is not None else list(rows)
    total = len(matched)
    if opts.orderby:
        matched = sort_rows(matched, opts.orderby)
    start = opts.skip
    end = total if opts.top is None else min(total, start + opts.top)
    if start >= end:
        return QueryResult([], total, None)
    take = end - start if page_size <= 0 else min(end - start, page_size)
    page = matched[start : start + take]
    next_skip = start + take if start + take < end else None
    return QueryResult(project(page, opts.select), total, next_skip)


def project(rows: Iterable[Mapping[str, Any]], select: list[str] | None) -> list[dict[str, Any]]:
    """Shallow copies of ``rows`` keeping only the ``$select`` keys (missing keys omitted)."""
    if select is None:
        return [dict(row) for row in rows]
    return [{name: row[name] for name in select if name in row} for row in rows]


def count_matching(rows: Iterable[Mapping[str, Any]], opts: QueryOptions) -> int:
    """What ``GET /Orders/$count`` answers: rows matching ``$filter`` ($top/$skip ignored)."""
    pred: Callable[[Any], bool] | None = opts.filter
    if pred is None:
        return sum(1 for _ in rows)
    return sum(1 for row in rows if pred(row))


def next_link(resource: str, opts: QueryOptions, next_skip: int) -> str:
    """The relative ``nextLink`` (``Orders?$skip=20``), repeating the client's options.

    ``$top`` is reduced by what earlier pages delivered, so following links never returns
    more than the client's original ``$top``.
    """
    parts: list[str] = []
    if opts.filter_text is not None:
        parts.append("$filter=" + quote(opts.filter_text, safe="'(),/:"))
    if opts.select is not None:
        parts.append("$select=" + ",".join(opts.select))
    if opts.orderby:
        items = [f"{path} desc" if desc else path for path, desc in opts.orderby]
        parts.append("$orderby=" + quote(",".join(items), safe=",/"))
    if opts.top is not None:
        parts.append(f"$top={opts.skip + opts.top - next_skip}")
    if opts.count:
        parts.append("$inlinecount=allpages" if opts.version == "v1" else "$count=true")
    parts.append(f"$skip={next_skip}")
    return f"{resource}?{'&'.join(parts)}"


def page_size_from_prefer(prefer: str | None, default: int = 20) -> tuple[int, bool]:
    """``Prefer: odata.maxpagesize=N`` → ``(N, True)``; absent or malformed → ``(default, False)``.

    Per RFC 7240 an unparseable preference is ignored, not an error; the second value says
    whether to answer ``Preference-Applied: odata.maxpagesize=N``. 0 means one page.
    """
    if not prefer:
        return default, False
    match = _MAXPAGESIZE.search(prefer)
    if match is None:
        return default, False
    return int(match.group(1)), True
