"""Worked examples of $filter against Service Layer-shaped rows (both flavours)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from fakesap.odata import parse_filter, quote_string

ORDERS: list[dict[str, Any]] = [
    {
        "DocEntry": 1,
        "U_IdemKey": "wc:1:order",
        "CardCode": "C10000",
        "CardName": "O'Connor",
        "DocTotal": Decimal("121.00"),
        "DocumentStatus": "bost_Open",
        "Cancelled": "tNO",
        "DocDate": "2024-01-31",
        "DocumentLines": [
            {"LineNum": 0, "ItemCode": "A0001", "Quantity": 2},
            {"LineNum": 1, "ItemCode": "B0002", "Quantity": 1},
        ],
    },
    {
        "DocEntry": 2,
        "U_IdemKey": "wc:2:order",
        "CardCode": "C20000",
        "CardName": "Müller GmbH",
        "DocTotal": 100.5,
        "DocumentStatus": "bost_Close",
        "Cancelled": "tYES",
        "DocDate": "2024-01-31T00:00:00Z",
        "DocumentLines": [{"LineNum": 0, "ItemCode": "A0001", "Quantity": 5}],
    },
    {
        "DocEntry": 3,
        "U_IdemKey": None,
        "CardCode": "C1",
        "CardName": "Smith",
        "DocTotal": "99.99",
        "DocumentStatus": "bost_Open",
        "Cancelled": "tNO",
        "DocDate": "2024-02-15T00:00:00Z",
        "DocumentLines": [],
    },
    {
        "DocEntry": 4,
        "CardCode": "WEB-GUEST",
        "CardName": "Guest",
        "DocTotal": 250,
        "DocumentStatus": "bost_Open",
        "Cancelled": "tYES",
        "DocDate": "2023-12-31",
    },
]


def matching(text: str, version: str = "v1", rows: list[dict[str, Any]] = ORDERS) -> list[int]:
    pred = parse_filter(text, version)  # type: ignore[arg-type]
    return [row["DocEntry"] for row in rows if pred(row)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("U_IdemKey eq 'wc:1:order'", [1]),
        ("U_IdemKey eq 'wc:9:order'", []),
        ("CardName eq 'O''Connor'", [1]),
        ("CardName eq 'Müller GmbH'", [2]),
        (
            "DocTotal gt 100.5 and (DocumentStatus eq 'bost_Open' or Cancelled eq 'tYES')",
            [1, 4],
        ),
        ("DocTotal gt 100.5 and DocumentStatus eq 'bost_Open' or Cancelled eq 'tYES'", [1, 2, 4]),
        ("not startswith(CardCode,'C1')", [2, 4]),
        ("startswith(CardCode,'C1')", [1, 3]),
        ("endswith(CardCode,'0000')", [1, 2]),
        ("DocumentStatus eq 'bost_Open'", [1, 3, 4]),
        ("DocumentStatus ne 'bost_Open'", [2]),
        ("DocEntry eq 2", [2]),
        ("DocEntry ge 2 and DocEntry lt 4", [2, 3]),
        ("DocEntry le 1 or DocEntry gt 3", [1, 4]),
        ("2 lt DocEntry", [3, 4]),
        ("DocEntry eq 2.0", [2]),
        ("DocEntry eq 2L", [2]),
        ("DocTotal eq 100.5", [2]),
        ("DocTotal eq 100.50M", [2]),
        ("DocTotal eq 121", [1]),
        ("DocTotal lt 100", [3]),
        ("DocTotal ge 99.99", [1, 2, 3, 4]),
        ("DocTotal gt -1", [1, 2, 3, 4]),
        ("DocTotal gt 1e2", [1, 2, 4]),
    ],
)
def test_worked_examples(text: str, expected: list[int]) -> None:
    assert matching(text) == expected
    assert matching(text, "v2") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("U_IdemKey eq null", [3, 4]),
        ("U_IdemKey ne null", [1, 2]),
        ("null eq U_IdemKey", [3, 4]),
        ("U_IdemKey ne 'wc:1:order'", [2, 3, 4]),
        ("U_IdemKey gt 'x'", []),
        ("U_IdemKey lt 'x'", [1, 2]),
        ("Nonexistent eq null", [1, 2, 3, 4]),
        ("Nonexistent eq 'x'", []),
        ("Nonexistent gt 0", []),
        ("not (U_IdemKey eq null)", [1, 2]),
    ],
)
def test_null_and_missing(text: str, expected: list[int]) -> None:
    assert matching(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DocDate eq '2024-01-31'", [1, 2]),
        ("DocDate eq '2024-01-31T00:00:00Z'", [1, 2]),
        ("DocDate ge '2024-01-31'", [1, 2, 3]),
        ("DocDate lt '2024-01-31'", [4]),
        ("DocDate gt '2024-01-31T12:00:00+02:00'", [3]),
        ("DocDate le datetime'2024-01-31T00:00:00'", [1, 2, 4]),
        ("DocDate ne '2024-01-31'", [3, 4]),
        ("year(DocDate) eq 2023", [4]),
        ("month(DocDate) eq 2 and day(DocDate) eq 15", [3]),
    ],
)
def test_dates_normalised(text: str, expected: list[int]) -> None:
    assert matching(text) == expected


def test_v4_unquoted_dates() -> None:
    assert matching("DocDate eq 2024-01-31", "v2") == [1, 2]
    assert matching("DocDate gt 2024-01-31T00:00:00Z", "v2") == [3]
    assert matching("DocDate lt 2024-01-01", "v2") == [4]


def test_date_objects_in_rows_compare_with_literals() -> None:
    rows: list[dict[str, Any]] = [
        {"DocEntry": 1, "DocDate": date(2024, 1, 31)},
        {"DocEntry": 2, "DocDate": datetime(2024, 2, 1, 10, 0)},
    ]
    assert matching("DocDate eq '2024-01-31'", rows=rows) == [1]
    assert matching("DocDate gt '2024-01-31'", rows=rows) == [2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("contains(CardName,'GmbH')", [2]),
        ("substringof('GmbH',CardName)", [2]),
        ("substringof('mit',CardName)", [3]),
        ("tolower(CardName) eq 'smith'", [3]),
        ("toupper(CardName) eq 'GUEST'", [4]),
        ("length(CardCode) eq 2", [3]),
        ("indexof(CardCode,'-') eq 3", [4]),
        ("concat(CardCode,'!') eq 'C1!'", [3]),
        ("startswith(U_IdemKey,'wc:')", [1, 2]),
        ("startswith(U_IdemKey,'wc:') eq false", [3, 4]),
        ("trim(' x ') eq 'x'", [1, 2, 3, 4]),
    ],
)
def test_functions_in_both_flavours(text: str, expected: list[int]) -> None:
    assert matching(text, "v1") == expected
    assert matching(text, "v2") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DocumentLines/any(d: d/ItemCode eq 'B0002')", [1]),
        ("DocumentLines/any(d: d/ItemCode eq 'A0001' and d/Quantity ge 5)", [2]),
        ("DocumentLines/any()", [1, 2]),
        ("not DocumentLines/any()", [3, 4]),
        ("DocumentLines/all(l: l/ItemCode eq 'A0001')", [2, 3, 4]),
        ("DocumentLines/any(d: startswith(d/ItemCode,'B'))", [1]),
    ],
)
def test_lambdas_over_document_lines(text: str, expected: list[int]) -> None:
    assert matching(text) == expected


def test_nested_lambda_and_complex_property() -> None:
    rows: list[dict[str, Any]] = [
        {
            "DocEntry": 1,
            "AddressExtension": {"ShipToCity": "Madrid"},
            "DocumentLines": [{"Batches": [{"BatchNumber": "B1"}]}],
        },
        {"DocEntry": 2, "AddressExtension": None, "DocumentLines": [{"Batches": []}]},
    ]
    assert matching("AddressExtension/ShipToCity eq 'Madrid'", rows=rows) == [1]
    assert matching("AddressExtension/ShipToCity eq null", rows=rows) == [2]
    text = "DocumentLines/any(d: d/Batches/any(b: b/BatchNumber eq 'B1'))"
    assert matching(text, rows=rows) == [1]


def test_precedence_not_and_or() -> None:
    # not > and > or: "not A or B and C" is "(not A) or (B and C)"
    text = "not DocEntry eq 1 or DocEntry eq 1 and Cancelled eq 'tYES'"
    assert matching(text) == [2, 3, 4]
    assert matching("not (DocEntry eq 1 or DocEntry eq 2)") == [3, 4]
    assert matching("not not DocEntry eq 1") == [1]


def test_numbers_compare_as_decimal_across_representations() -> None:
    rows: list[dict[str, Any]] = [
        {"DocEntry": 1, "X": 0.1},
        {"DocEntry": 2, "X": Decimal("0.10")},
        {"DocEntry": 3, "X": "0.1"},
        {"DocEntry": 4, "X": "zero"},
        {"DocEntry": 5, "X": True},
        {"DocEntry": 6, "X": float("nan")},
        {"DocEntry": 7, "X": Decimal("sNaN")},
    ]
    assert matching("X eq 0.1", rows=rows) == [1, 2, 3]
    assert matching("X ne 0.1", rows=rows) == [4, 5, 6, 7]
    assert matching("X gt 0", rows=rows) == [1, 2, 3]
    assert matching("X eq true", rows=rows) == [5]


def test_incompatible_types_are_false_not_errors() -> None:
    rows: list[dict[str, Any]] = [
        {"DocEntry": 1, "X": {"nested": 1}},
        {"DocEntry": 2, "X": [1, 2]},
        {"DocEntry": 3, "X": "text"},
        {"DocEntry": 4, "X": 5},
    ]
    for op in ("eq", "gt", "ge", "lt", "le"):
        assert matching(f"X {op} 5", rows=rows) == ([4] if op in ("eq", "ge", "le") else [])
        assert matching(f"X {op} 'text'", rows=rows) == ([3] if op in ("eq", "ge", "le") else [])
        assert matching(f"X {op} true", rows=rows) == []
    assert matching("X ne 5", rows=rows) == [1, 2, 3]
    assert matching("X eq Y", rows=rows) == []
    assert matching("startswith(X,'t')", rows=rows) == [3]


def test_field_to_field_comparison() -> None:
    rows: list[dict[str, Any]] = [
        {"DocEntry": 1, "Quantity": 5, "OpenQuantity": "5"},
        {"DocEntry": 2, "Quantity": 5, "OpenQuantity": Decimal("2.5")},
    ]
    assert matching("OpenQuantity eq Quantity", rows=rows) == [1]
    assert matching("OpenQuantity lt Quantity", rows=rows) == [2]


def test_constant_filters() -> None:
    assert matching("true") == [1, 2, 3, 4]
    assert matching("false") == []
    assert matching("1 eq 1") == [1, 2, 3, 4]
    assert matching("'a' eq 'b'") == []


@pytest.mark.parametrize(
    "value",
    ["O'Brien", "''", "'; DROP TABLE ORDR; --", "') or 1 eq 1 or ('", "__import__('os')", ""],
)
def test_quote_string_round_trips_as_data(value: str) -> None:
    rows = [{"DocEntry": 1, "NumAtCard": value}, {"DocEntry": 2, "NumAtCard": "other"}]
    assert matching(f"NumAtCard eq {quote_string(value)}", rows=rows) == [1]


def test_quote_string_spelling() -> None:
    assert quote_string("O'Brien") == "'O''Brien'"
    assert quote_string("plain") == "'plain'"


def test_keywords_can_be_property_segments_and_whitespace_is_free() -> None:
    rows = [{"DocEntry": 1, "A": {"eq": 1}}]
    assert matching("A/eq eq 1", rows=rows) == [1]
    assert matching("\tDocEntry\neq\r\n1 ", rows=rows) == [1]
    assert matching("(((DocEntry eq 1)))", rows=rows) == [1]
