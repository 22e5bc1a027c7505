"""Reading a request's OData system query options the way the Service Layer does.

``/b1s/v1`` speaks OData v3 (``$inlinecount=allpages``), ``/b1s/v2`` OData v4
(``$count=true``). Unknown or malformed ``$`` options are a 400, not silently ignored;
parameters without ``$`` are not query options and are left to the caller.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal

from fakesap.odata.caseless import caseless
from fakesap.odata.compiler import Predicate, compile_filter
from fakesap.odata.errors import QueryError
from fakesap.odata.nodes import Expr, outer_paths
from fakesap.odata.parser import parse_expression

Version = Literal["v1", "v2"]

#: Edm.Int32 bound for $top/$skip, as the Service Layer types them
MAX_INT32 = 2_147_483_647

_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*\Z")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

#: options fakesap reads, per flavour; the other flavour's spelling gets a hint
_KNOWN: dict[str, frozenset[str]] = {
    "v1": frozenset({"$filter", "$select", "$orderby", "$top", "$skip", "$inlinecount", "$format"}),
    "v2": frozenset({"$filter", "$select", "$orderby", "$top", "$skip", "$count", "$format"}),
}
_UNSUPPORTED = frozenset({"$expand", "$search", "$apply", "$skiptoken", "$levels", "$compute"})
_OTHER_FLAVOUR = {
    ("v1", "$count"): "OData v3 (/b1s/v1) counts with $inlinecount=allpages",
    ("v2", "$inlinecount"): "OData v4 (/b1s/v2) counts with $count=true",
}


@dataclass(frozen=True)
class QueryOptions:
    """The parsed options of one collection request; ``filter`` is compiled, ready to run.

    ``orderby`` is ``[(path, descending)]``; ``filter_text``, ``select``, ``orderby`` and
    ``top`` keep what the client sent so a ``nextLink`` can repeat it. ``page_size`` is the
    server page the request asked for (``max_page_size``; 0 = everything in one page).
    """

    filter: Predicate | None = None
    select: list[str] | None = None
    orderby: list[tuple[str, bool]] = field(default_factory=list)
    top: int | None = None
    skip: int = 0
    count: bool = False
    filter_text: str | None = None
    page_size: int = 20
    version: Version = "v1"
    filter_expr: Expr | None = None


def parse_query(
    params: Mapping[str, str],
    version: Version,
    max_page_size: int = 20,
    *,
    fields: Collection[str] | None = None,
    case_insensitive: bool = False,
) -> QueryOptions:
    """Read ``$filter $select $orderby $top $skip`` and the flavour's count option.

    ``fields``, when given, is the entity's property names: a ``$select``/``$orderby``/
    ``$filter`` naming anything else is refused like the Service Layer does.
    ``case_insensitive`` (``B1S-CaseInsensitive: true``) compares strings in ``$filter``
    ignoring case. Raises QueryError on an unknown ``$`` option or any malformed value.
    """
    if version not in _KNOWN:
        raise ValueError(f"version must be 'v1' or 'v2', not {version!r}")
    _check_options(params, version)
    filter_text = params.get("$filter")
    filter_expr = None if filter_text is None else parse_expression(filter_text, version)
    select = _parse_select(params.get("$select"))
    orderby = _parse_orderby(params.get("$orderby"))
    if fields is not None:
        _check_fields(fields, filter_expr, select, orderby)
    if case_insensitive and filter_expr is not None:
        filter_expr = caseless(filter_expr)
    return QueryOptions(
        filter=None if filter_expr is None else compile_filter(filter_expr),
        select=select,
        orderby=orderby,
        top=_parse_count_value("$top", params.get("$top")),
        skip=_parse_count_value("$skip", params.get("$skip")) or 0,
        count=_parse_count_option(params, version),
        filter_text=filter_text,
        page_size=max(0, max_page_size),
        version=version,
        filter_expr=filter_expr,
    )


def _check_options(params: Mapping[str, str], version: Version) -> None:
    known = _KNOWN[version]
    getall = getattr(params, "getall", None)
    for name in params:
        if not name.startswith("$"):
            continue
        if name in known:
            if getall is not None and len(getall(name)) > 1:
                raise QueryError(name, f"{name} is given more than once")
            continue
        hint = _OTHER_FLAVOUR.get((version, name))
        if hint is not None:
            raise QueryError(name, f"{name} is not an option here; {hint}")
        if name in _UNSUPPORTED:
            raise QueryError(name, f"{name} is not supported by fakesap")
        lowered = [k for k in known if k == name.lower()]
        suggestion = (
            f"; did you mean {lowered[0]}? (option names are case-sensitive)" if lowered else ""
        )
        raise QueryError(name, f"unknown query option {name}{suggestion}")
    fmt = params.get("$format")
    if fmt is not None and fmt not in ("json", "application/json"):
        raise QueryError("$format", f"$format={fmt!r} is not supported; only json")


def _parse_select(text: str | None) -> list[str] | None:
    if text is None:
        return None
    if not text.strip():
        raise QueryError("$select", "$select is empty")
    names: list[str] = []
    offset = 0
    for part in text.split(","):
        name = part.strip()
        if name == "*":
            return None
        if not _NAME.match(name):
            what = "an empty item" if not name else f"invalid property name {name!r}"
            raise QueryError("$select", f"{what} at position {offset + 1}", offset + 1)
        if name not in names:
            names.append(name)
        offset += len(part) + 1
    return names


def _parse_orderby(text: str | None) -> list[tuple[str, bool]]:
    if text is None:
        return []
    if not text.strip():
        raise QueryError("$orderby", "$orderby is empty")
    keys: list[tuple[str, bool]] = []
    offset = 0
    for part in text.split(","):
        position = offset + 1
        offset += len(part) + 1
        words = part.split()
        if not words:
            raise QueryError("$orderby", f"an empty item at position {position}", position)
        if len(words) > 2:
            raise QueryError(
                "$orderby",
                f"expected ',' after {' '.join(words[:2])!r}, found {words[2]!r} "
                f"at position {position}",
                position,
            )
        path, direction = words[0], (words[1] if len(words) == 2 else None)
        if not _PATH.match(path):
            raise QueryError(
                "$orderby", f"invalid property path {path!r} at position {position}", position
            )
        if direction not in (None, "asc", "desc"):
            hint = " (directions are lower-case)" if direction.lower() in ("asc", "desc") else ""
            raise QueryError(
                "$orderby",
                f"expected asc or desc after {path!r}, found {direction!r}{hint} "
                f"at position {position}",
                position,
            )
        keys.append((path, direction == "desc"))
    return keys


def _parse_count_value(option: str, text: str | None) -> int | None:
    if text is None:
        return None
    if not text.isascii() or not text.isdigit():
        raise QueryError(option, f"{option} must be a non-negative integer, not {text[:40]!r}")
    if len(text) > 10 or int(text) > MAX_INT32:
        raise QueryError(option, f"{option} must be at most {MAX_INT32}")
    return int(text)


def _parse_count_option(params: Mapping[str, str], version: Version) -> bool:
    if version == "v1":
        value = params.get("$inlinecount")
        if value is None or value == "none":
            return False
        if value == "allpages":
            return True
        raise QueryError(
            "$inlinecount", f"$inlinecount must be allpages or none, not {value[:40]!r}"
        )
    value = params.get("$count")
    if value is None or value == "false":
        return False
    if value == "true":
        return True
    raise QueryError("$count", f"$count must be true or false, not {value[:40]!r}")


def _check_fields(
    fields: Collection[str],
    filter_expr: Expr | None,
    select: list[str] | None,
    orderby: list[tuple[str, bool]],
) -> None:
    known = fields if isinstance(fields, set | frozenset | dict) else set(fields)
    for name in select or ():
        if name not in known:
            raise QueryError("$select", f"property {name!r} is invalid")
    for path, _ in orderby:
        head = path.split("/")[0]
        if head not in known:
            raise QueryError("$orderby", f"property {head!r} is invalid")
    if filter_expr is not None:
        for node in outer_paths(filter_expr):
            head = node.segments[0]
            if head not in known:
                raise QueryError(
                    "$filter",
                    f"property {head!r} is invalid at position {node.pos + 1}",
                    node.pos + 1,
                )
