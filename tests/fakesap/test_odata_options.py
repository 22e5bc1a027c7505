"""parse_query / apply_query: options per flavour, paging math, ordering, select."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from multidict import MultiDict

from fakesap.odata import (
    QueryError,
    QueryOptions,
    apply_query,
    count_matching,
    next_link,
    page_size_from_prefer,
    parse_query,
)


def docs(n: int) -> list[dict[str, Any]]:
    return [
        {
            "DocEntry": i,
            "CardCode": f"C{i % 3}",
            "DocTotal": Decimal(i * 10) + Decimal("0.5"),
            "Comments": None if i % 4 == 0 else f"note {i}",
        }
        for i in range(1, n + 1)
    ]


def entries(rows: list[dict[str, Any]]) -> list[int]:
    return [row["DocEntry"] for row in rows]


def query_error(params: dict[str, str], version: str = "v1") -> QueryError:
    with pytest.raises(QueryError) as info:
        parse_query(params, version)  # type: ignore[arg-type]
    return info.value


# -- parse_query ---------------------------------------------------------------------
def test_parse_query_reads_every_option() -> None:
    opts = parse_query(
        {
            "$filter": "CardCode eq 'C1'",
            "$select": "DocEntry, CardCode,DocEntry",
            "$orderby": "DocTotal desc, DocEntry",
            "$top": "5",
            "$skip": "2",
            "$inlinecount": "allpages",
            "sap-client": "ignored",
        },
        "v1",
        max_page_size=50,
    )
    assert opts.filter is not None and opts.filter({"CardCode": "C1"})
    assert opts.filter_text == "CardCode eq 'C1'"
    assert opts.select == ["DocEntry", "CardCode"]
    assert opts.orderby == [("DocTotal", True), ("DocEntry", False)]
    assert (opts.top, opts.skip, opts.count, opts.page_size) == (5, 2, True, 50)


def test_defaults() -> None:
    opts = parse_query({}, "v2")
    assert opts == QueryOptions(version="v2")
    assert opts.filter is None and opts.select is None and opts.orderby == []
    assert (opts.top, opts.skip, opts.count) == (None, 0, False)


def test_count_spelling_per_flavour() -> None:
    assert parse_query({"$count": "true"}, "v2").count is True
    assert parse_query({"$count": "false"}, "v2").count is False
    assert parse_query({"$inlinecount": "none"}, "v1").count is False
    assert "$inlinecount=allpages" in query_error({"$count": "true"}, "v1").message
    assert "$count=true" in query_error({"$inlinecount": "allpages"}, "v2").message
    assert query_error({"$count": "yes"}, "v2").option == "$count"
    assert query_error({"$inlinecount": "all"}, "v1").option == "$inlinecount"


@pytest.mark.parametrize(
    ("params", "option", "fragment"),
    [
        ({"$top": "-1"}, "$top", "non-negative integer"),
        ({"$top": "abc"}, "$top", "non-negative integer"),
        ({"$top": ""}, "$top", "non-negative integer"),
        ({"$top": "1.5"}, "$top", "non-negative integer"),
        ({"$top": "٣"}, "$top", "non-negative integer"),
        ({"$top": "9" * 5000}, "$top", "at most 2147483647"),
        ({"$skip": " 1"}, "$skip", "non-negative integer"),
        ({"$skip": "2147483648"}, "$skip", "at most"),
        ({"$select": ""}, "$select", "empty"),
        ({"$select": "A,,B"}, "$select", "empty item at position 3"),
        ({"$select": "A,B-C"}, "$select", "invalid property name 'B-C' at position 3"),
        ({"$orderby": ""}, "$orderby", "empty"),
        ({"$orderby": "A DESC"}, "$orderby", "directions are lower-case"),
        ({"$orderby": "A,"}, "$orderby", "empty item at position 3"),
        ({"$orderby": "A asc desc"}, "$orderby", "expected ',' after 'A asc', found 'desc'"),
        ({"$orderby": "A up"}, "$orderby", "expected asc or desc after 'A', found 'up'"),
        ({"$orderby": "1A"}, "$orderby", "invalid property path"),
        ({"$filter": ""}, "$filter", "empty"),
        ({"$filter": "A eq"}, "$filter", "position 5"),
        ({"$expand": "DocumentLines"}, "$expand", "not supported"),
        ({"$Filter": "A eq 1"}, "$Filter", "did you mean $filter?"),
        ({"$frobnicate": "1"}, "$frobnicate", "unknown query option"),
        ({"$format": "xml"}, "$format", "only json"),
    ],
)
def test_malformed_options(params: dict[str, str], option: str, fragment: str) -> None:
    err = query_error(params)
    assert err.option == option
    assert fragment in err.message
    sl = err.sl_error()
    assert sl.status == 400
    assert option in sl.message


def test_repeated_option_in_a_multidict_is_refused() -> None:
    params: MultiDict[str] = MultiDict([("$top", "1"), ("$top", "2")])
    assert "more than once" in query_error(params).message  # type: ignore[arg-type]


def test_select_star_means_everything() -> None:
    assert parse_query({"$select": "*"}, "v1").select is None


def test_known_fields_validate_select_orderby_and_filter() -> None:
    fields = {"DocEntry", "CardCode", "DocumentLines"}
    parse_query(
        {
            "$select": "DocEntry",
            "$orderby": "CardCode",
            "$filter": "DocumentLines/any(d: d/Whatever eq 1)",
        },
        "v1",
        fields=fields,
    )
    assert query_error_fields({"$select": "DocEntry,Foo"}, fields) == ("$select", "'Foo'")
    assert query_error_fields({"$orderby": "Foo desc"}, fields) == ("$orderby", "'Foo'")
    assert query_error_fields({"$filter": "DocEntry eq 1 or Foo eq 2"}, fields) == (
        "$filter",
        "'Foo' is invalid at position 18",
    )


def query_error_fields(params: dict[str, str], fields: set[str]) -> tuple[str, str]:
    with pytest.raises(QueryError) as info:
        parse_query(params, "v2", fields=fields)
    err = info.value
    fragment = "'Foo' is invalid at position 18" if err.option == "$filter" else "'Foo'"
    assert fragment in err.message
    return err.option, fragment


# -- apply_query paging ----------------------------------------------------------------
def test_server_paging_follows_next_skip_to_the_end() -> None:
    rows = docs(45)
    opts = parse_query({}, "v1")
    seen: list[int] = []
    skip: int | None = 0
    pages = 0
    while skip is not None:
        page_opts = parse_query({"$skip": str(skip)}, "v1")
        result = apply_query(rows, page_opts, page_size=20)
        assert result.total == 45
        seen += entries(result.rows)
        skip = result.next_skip
        pages += 1
    assert pages == 3 and seen == list(range(1, 46))
    first = apply_query(rows, opts, page_size=20)
    assert first.next_skip == 20 and len(first.rows) == 20


@pytest.mark.parametrize(
    ("n", "top", "skip", "page", "expected_rows", "expected_next"),
    [
        (45, 5, 0, 20, list(range(1, 6)), None),  # top smaller than a page
        (45, 30, 0, 20, list(range(1, 21)), 20),  # top larger than a page
        (45, 30, 20, 20, list(range(21, 41)), 40),  # second page of a large top ...
        (45, 30, 0, 0, list(range(1, 31)), None),  # page size 0 = no server paging
        (45, None, 40, 20, list(range(41, 46)), None),  # last partial page
        (45, None, 45, 20, [], None),  # skip exactly at the end
        (45, None, 1000, 20, [], None),  # skip beyond the end
        (45, 0, 0, 20, [], None),  # top 0
        (40, None, 20, 20, list(range(21, 41)), None),  # exact multiple: no empty page
        (45, 20, 0, 20, list(range(1, 21)), None),  # top equal to the page
    ],
)
def test_paging_math(
    n: int,
    top: int | None,
    skip: int,
    page: int,
    expected_rows: list[int],
    expected_next: int | None,
) -> None:
    params = {"$skip": str(skip)}
    if top is not None:
        params["$top"] = str(top)
    result = apply_query(docs(n), parse_query(params, "v1"), page_size=page)
    assert entries(result.rows) == expected_rows
    assert result.next_skip == expected_next
    assert result.total == n


def test_next_link_keeps_options_and_reduces_top() -> None:
    opts = parse_query(
        {
            "$filter": "CardCode eq 'C1'",
            "$select": "DocEntry",
            "$orderby": "DocTotal desc",
            "$top": "30",
            "$skip": "5",
            "$inlinecount": "allpages",
        },
        "v1",
    )
    link = next_link("Orders", opts, 25)
    assert link == (
        "Orders?$filter=CardCode%20eq%20'C1'&$select=DocEntry&$orderby=DocTotal%20desc"
        "&$top=10&$inlinecount=allpages&$skip=25"
    )
    assert next_link("Orders", parse_query({}, "v2"), 20) == "Orders?$skip=20"
    assert next_link("Orders", parse_query({"$count": "true"}, "v2"), 20) == (
        "Orders?$count=true&$skip=20"
    )


def test_following_next_links_never_exceeds_top() -> None:
    rows = docs(100)
    params: dict[str, str] = {"$top": "47", "$skip": "3", "$orderby": "DocEntry desc"}
    collected: list[int] = []
    for _ in range(10):
        opts = parse_query(params, "v2")
        result = apply_query(rows, opts, page_size=20)
        collected += entries(result.rows)
        if result.next_skip is None:
            break
        query = next_link("Orders", opts, result.next_skip).split("?", 1)[1]
        params = dict(part.split("=", 1) for part in query.split("&"))
        params["$orderby"] = params["$orderby"].replace("%20", " ")
    assert collected == list(range(97, 50, -1))


def test_filter_total_select_and_copies() -> None:
    rows = docs(10)
    opts = parse_query({"$filter": "CardCode eq 'C1'", "$select": "DocEntry,Nope"}, "v1")
    result = apply_query(rows, opts, page_size=2)
    assert result.total == 4  # 1, 4, 7, 10
    assert result.rows == [{"DocEntry": 1}, {"DocEntry": 4}]
    assert result.next_skip == 2
    full = apply_query(rows, parse_query({}, "v1"), page_size=1).rows[0]
    full["DocEntry"] = 999
    assert rows[0]["DocEntry"] == 1  # rows are copies: callers cannot corrupt the store
    assert count_matching(rows, opts) == 4
    assert count_matching(rows, parse_query({"$top": "1"}, "v1")) == 10


def test_apply_query_accepts_any_iterable() -> None:
    result = apply_query(iter(docs(3)), parse_query({"$top": "2"}, "v1"), page_size=20)
    assert entries(result.rows) == [1, 2] and result.total == 3


# -- $orderby ------------------------------------------------------------------------
def test_orderby_multiple_keys_is_stable() -> None:
    rows = docs(9)
    opts = parse_query({"$orderby": "CardCode desc,DocTotal desc"}, "v1")
    result = apply_query(rows, opts, page_size=0)
    assert entries(result.rows) == [8, 5, 2, 7, 4, 1, 9, 6, 3]
    mixed = parse_query({"$orderby": "CardCode,DocTotal desc"}, "v1")
    assert entries(apply_query(rows, mixed, 0).rows) == [9, 6, 3, 7, 4, 1, 8, 5, 2]
    same = parse_query({"$orderby": "CardCode"}, "v1")
    # equal keys keep the incoming (DocEntry) order in both directions
    assert entries(apply_query(rows, same, 0).rows) == [3, 6, 9, 1, 4, 7, 2, 5, 8]
    desc = parse_query({"$orderby": "CardCode desc"}, "v1")
    assert entries(apply_query(rows, desc, 0).rows) == [2, 5, 8, 1, 4, 7, 3, 6, 9]


def test_orderby_nulls_first_ascending_last_descending() -> None:
    rows = docs(8)
    asc = entries(apply_query(rows, parse_query({"$orderby": "Comments"}, "v1"), 0).rows)
    assert asc[:2] == [4, 8]
    desc = entries(apply_query(rows, parse_query({"$orderby": "Comments desc"}, "v1"), 0).rows)
    assert desc[-2:] == [4, 8]


def test_orderby_numeric_strings_and_dates() -> None:
    rows: list[dict[str, Any]] = [
        {"DocEntry": 1, "DocTotal": "100.00", "DocDate": "2024-02-01"},
        {"DocEntry": 2, "DocTotal": "99.5", "DocDate": "2024-01-31T00:00:00Z"},
        {"DocEntry": 3, "DocTotal": 1000, "DocDate": "2023-12-31"},
        {"DocEntry": 4, "DocTotal": None, "DocDate": None},
    ]
    by_total = apply_query(rows, parse_query({"$orderby": "DocTotal"}, "v1"), 0)
    assert entries(by_total.rows) == [4, 2, 1, 3]
    by_date = apply_query(rows, parse_query({"$orderby": "DocDate desc"}, "v1"), 0)
    assert entries(by_date.rows) == [1, 2, 3, 4]


def test_orderby_mixed_kinds_never_raises() -> None:
    rows: list[dict[str, Any]] = [
        {"DocEntry": 1, "X": "b"},
        {"DocEntry": 2, "X": 3},
        {"DocEntry": 3, "X": True},
        {"DocEntry": 4, "X": {"a": 1}},
        {"DocEntry": 5, "X": None},
        {"DocEntry": 6, "X": "a"},
        {"DocEntry": 7, "X": Decimal("NaN")},
        {"DocEntry": 8, "X": [1]},
    ]
    result = apply_query(rows, parse_query({"$orderby": "X"}, "v1"), 0)
    assert entries(result.rows)[:4] == [5, 3, 2, 6]


def test_orderby_complex_property_path() -> None:
    rows: list[dict[str, Any]] = [
        {"DocEntry": 1, "AddressExtension": {"ShipToCity": "Sevilla"}},
        {"DocEntry": 2, "AddressExtension": {"ShipToCity": "Madrid"}},
        {"DocEntry": 3},
    ]
    opts = parse_query({"$orderby": "AddressExtension/ShipToCity"}, "v1")
    assert entries(apply_query(rows, opts, 0).rows) == [3, 2, 1]


# -- Prefer header ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, (20, False)),
        ("", (20, False)),
        ("odata.maxpagesize=50", (50, True)),
        ("return=minimal, odata.maxpagesize=5", (5, True)),
        ('odata.maxpagesize="7"', (7, True)),
        ("odata.maxpagesize=0", (0, True)),
        ("odata.maxpagesize=-3", (20, False)),
        ("odata.maxpagesize=abc", (20, False)),
        ("xodata.maxpagesize=5", (20, False)),
    ],
)
def test_prefer_max_page_size(header: str | None, expected: tuple[int, bool]) -> None:
    assert page_size_from_prefer(header) == expected
