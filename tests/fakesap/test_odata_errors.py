"""Malformed $filter input: always a QueryError naming the position, never anything else."""

from __future__ import annotations

import pytest

from fakesap.errors import SLError
from fakesap.odata import MAX_DEPTH, QueryError, parse_filter


def error_of(text: str, version: str = "v1") -> QueryError:
    with pytest.raises(QueryError) as info:
        parse_filter(text, version)  # type: ignore[arg-type]
    assert info.value.option == "$filter"
    return info.value


@pytest.mark.parametrize(
    ("text", "fragment", "position"),
    [
        ("CardCode eq 'C1", "unterminated string literal starting at position 13", 13),
        ("(CardCode eq 'C1'", "missing ')' to close the '(' opened at position 1", 18),
        ("CardCode eq 'C1')", "unbalanced ')' at position 17", 17),
        ("CardCode EQ 'C1'", "unknown operator 'EQ' (operators are lower-case) at position 10", 10),
        ("CardCode like 'C1'", "unknown operator 'like'", 10),
        ("CardCode = 'C1'", "unexpected character '=' (use eq for equality) at position 10", 10),
        ('CardCode eq "C1"', "string literals use single quotes", 13),
        ("foo(CardCode)", "unknown function 'foo' at position 1", 1),
        ("StartsWith(CardCode,'C')", "function names are lower-case", 1),
        ("CardCode eq 'C1' extra", "expected 'and', 'or', found 'extra' at position 18", 18),
        ("CardCode eq", "found the end of the filter at position 12", 12),
        ("CardCode", "expected a comparison operator", 9),
        ("CardCode eq 1 eq 2", "comparisons cannot be chained", 15),
        ("DocTotal add 1 eq 2", "arithmetic operator 'add' is not supported", 10),
        ("CardCode in ('a','b')", "operator 'in' is not supported", 10),
        ("CardCode eq 'a' and", "found the end of the filter at position 20", 20),
        ("and CardCode eq 'a'", "found the keyword 'and' at position 1", 1),
        ("startswith(CardCode)", "startswith takes 2 argument(s), got 1", 1),
        ("startswith(CardCode,5)", "startswith expects a string here, got number", 21),
        ("startswith(CardCode,'a'", "expected ',' or ')'", 24),
        ("Lines/any(d d/X eq 1)", "expected ':' after the lambda variable", 13),
        ("Lines/any(d: X eq 1)", "paths must start with the lambda variable 'd'", 14),
        ("Lines/all()", "expected a lambda variable", 11),
        ("DocEntry eq 12abc", "invalid number '12abc'", 13),
        ("DocEntry eq 1e99999999999999999999999999999", "out of range", 13),
        ("DocDate eq datetime'2024-02-30'", "invalid date/time '2024-02-30'", 21),
        ("DocDate eq guid'0000'", "typed literal guid'…' is not supported", 12),
        ("DocDate eq 2024-01-31", "unquoted date 2024-01-31 is OData v4 syntax", 12),
        ("not 'x'", "expected a comparison operator", 8),
        (")", "expected a value, a property or a function, found ')'", 1),
        ("CardCode eq 'a' or ()", "found ')' at position 21", 21),
        ("Lines/(x) eq 1", "expected a property name after '/', found '('", 7),
        ("X eq 'a' ; DROP TABLE ORDR", "unexpected character ';' at position 10", 10),
    ],
)
def test_malformed_filters_name_the_position(text: str, fragment: str, position: int) -> None:
    err = error_of(text)
    assert fragment in err.message
    assert err.position == position
    assert f"position {position}" in err.message


def test_v4_date_with_bad_calendar_is_an_error() -> None:
    assert "invalid date/time '2024-13-01'" in error_of("DocDate eq 2024-13-01", "v2").message


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_filter(text: str) -> None:
    assert error_of(text).message == "the filter is empty"


def test_absurdly_long_filter_is_refused_before_parsing() -> None:
    text = " or ".join(f"DocEntry eq {i}" for i in range(1000))
    assert len(text.encode()) > 8192
    err = error_of(text)
    assert "too long" in err.message and "8192" in err.message


def test_long_but_allowed_chain_evaluates_without_recursion() -> None:
    text = " or ".join(f"D eq {i}" for i in range(650))
    assert len(text.encode()) <= 8192
    pred = parse_filter(text)
    assert pred({"D": 649}) and not pred({"D": 650})
    conj = " and ".join("D ne 1" for _ in range(700))
    assert parse_filter(conj)({"D": 2})


def test_nesting_limit_is_exact() -> None:
    ok = "(" * MAX_DEPTH + "DocEntry eq 1" + ")" * MAX_DEPTH
    assert parse_filter(ok)({"DocEntry": 1})
    deep = "(" * (MAX_DEPTH + 1) + "DocEntry eq 1" + ")" * (MAX_DEPTH + 1)
    assert "nested too deeply" in error_of(deep).message
    nots = "not " * (MAX_DEPTH + 1) + "DocEntry eq 1"
    assert "nested too deeply" in error_of(nots).message
    calls = "tolower(" * 200 + "X" + ")" * 200 + " eq 'x'"
    assert "nested too deeply" in error_of(calls).message


def test_deep_nesting_far_beyond_the_limit_is_still_a_query_error() -> None:
    assert "nested too deeply" in error_of("(" * 4000).message
    assert "nested too deeply" in error_of("not " * 2000 + "A eq 1").message


def test_query_error_maps_to_the_service_layer_400() -> None:
    err = error_of("CardCode EQ 'x'")
    sl = err.sl_error()
    assert isinstance(sl, SLError)
    assert sl.status == 400 and sl.code == -1000
    assert sl.message.startswith("Invalid $filter: unknown operator 'EQ'")
    body = sl.body("v2")
    assert body["error"]["code"] == "-1000"
    assert "position 10" in body["error"]["message"]
    assert str(err).startswith("$filter: ")
