"""Spec §2 Errors: validation refusals in the SL's own shape and codes; never a 500 for a
client's mistake; v1 and v2 shapes; the document is atomic."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import StartSL
from .sl_client import SL, order


def with_line(**line: Any) -> dict[str, Any]:
    return order(lines=[{"ItemCode": "MUG-LOGO", "Quantity": 1, **line}])


CASES: list[tuple[str, dict[str, Any], int, int, str]] = [
    ("unknown property", order(Foo=1), 400, -1000, "Property 'Foo' of 'Document' is invalid"),
    (
        "unknown line property",
        with_line(Bar=2),
        400,
        -1000,
        "Property 'Bar' of 'DocumentLine' is invalid",
    ),
    ("undeclared UDF", order(U_Nope="x"), 400, -1000, "Property 'U_Nope' of 'Document' is invalid"),
    (
        "missing CardCode",
        {k: v for k, v in order().items() if k != "CardCode"},
        400,
        -10,
        "Field 'CardCode' is mandatory  [ORDR.CardCode]",
    ),
    (
        "unknown CardCode",
        order(CardCode="C99999"),
        400,
        -10,
        "Invalid BP code 'C99999'  [ORDR.CardCode]",
    ),
    (
        "missing DocDueDate",
        {k: v for k, v in order().items() if k != "DocDueDate"},
        400,
        -10,
        "Field 'DocDueDate' is mandatory",
    ),
    (
        "unknown item",
        order(lines=[{"ItemCode": "MUG-LOGO", "Quantity": 1}, {"ItemCode": "NOPE", "Quantity": 1}]),
        400,
        -10,
        "Item code 'NOPE' is invalid  [RDR1.ItemCode][line: 2]",
    ),
    (
        "frozen item",
        with_line(ItemCode="OLD-DISCONT"),
        400,
        -10,
        "Item 'OLD-DISCONT' is inactive  [RDR1.ItemCode][line: 1]",
    ),
    (
        "string quantity",
        with_line(Quantity="2"),
        400,
        -1000,
        "Value '2' is invalid for property 'Quantity'",
    ),
    ("negative quantity", with_line(Quantity=-1), 400, -1000, "property 'Quantity'"),
    ("zero quantity", with_line(Quantity=0), 400, -1000, "property 'Quantity'"),
    ("boolean price", with_line(Price=True), 400, -1000, "property 'Price'"),
    ("discount > 100", with_line(DiscountPercent=101), 400, -1000, "property 'DiscountPercent'"),
    (
        "unknown VAT group",
        with_line(VatGroup="ZZ"),
        400,
        -10,
        "Invalid tax group 'ZZ'  [RDR1.VatGroup][line: 1]",
    ),
    (
        "unknown warehouse",
        with_line(WarehouseCode="99"),
        400,
        -10,
        "Invalid warehouse '99'  [RDR1.WhsCode][line: 1]",
    ),
    ("bad date", order(DocDueDate="30/11/2026"), 400, -1000, "property 'DocDueDate'"),
    ("impossible date", order(DocDueDate="2026-02-30"), 400, -1000, "property 'DocDueDate'"),
    (
        "comments too long",
        order(Comments="x" * 255),
        400,
        -10,
        "Value too long in property 'Comments'",
    ),
    ("no lines", order(DocumentLines=[]), 400, -10, "Field 'DocumentLines' is mandatory"),
    ("lines not a list", order(DocumentLines={"a": 1}), 400, -1000, "DocumentLines"),
    ("line not an object", order(DocumentLines=[1]), 400, -1000, "DocumentLines"),
    ("foreign currency", order(DocCurrency="USD"), 400, -1000, "DocCurrency"),
    (
        "bad expense",
        order(DocumentAdditionalExpenses=[{"ExpenseCode": 42, "LineTotal": 1}]),
        400,
        -1000,
        "ExpenseCode",
    ),
    ("NaN price", with_line(Price=float("nan")), 400, -1000, "property 'Price'"),
]


@pytest.mark.parametrize(
    ("what", "body", "status", "code", "text"), CASES, ids=[c[0] for c in CASES]
)
async def test_validation_errors(
    sl: SL, what: str, body: dict[str, Any], status: int, code: int, text: str
) -> None:
    r = await sl.post("Orders", body)
    assert r.status == status, r
    assert r.error["code"] == code
    assert text in r.error["message"]["value"]
    assert (await sl.get("Orders/$count")).text == "0"  # nothing was created


async def test_v2_error_shape(sl: SL) -> None:
    r = await sl.post("/b1s/v2/Orders", order(Foo=1))
    assert r.status == 400
    assert r.json == {
        "error": {"code": "-1000", "message": "Property 'Foo' of 'Document' is invalid"}
    }


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"[]",
        b'"x"',
        b"null",
        b"\xff\xfe",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"CardCode": NaN}',
    ],
    ids=["empty", "truncated", "array", "string", "null", "not-utf8", "deep", "nan-card"],
)
async def test_malformed_bodies_are_400(sl: SL, raw: bytes) -> None:
    r = await sl.call("POST", "Orders", raw=raw, headers={"Content-Type": "application/json"})
    assert r.status == 400, r
    assert r.error["code"] in (-1000, -10)


async def test_unknown_resources_methods_sizes_and_types(start_sl: StartSL) -> None:
    sl = await start_sl(max_body_bytes=10_000)
    r = await sl.get("Widgets")
    assert r.status == 404 and r.error["code"] == -1 and "Widgets" in r.error["message"]["value"]
    assert (await sl.get("/b1s/v3/Orders")).status == 404
    assert (await sl.get("Orders(abc)")).status == 404
    assert (await sl.get("Items(1)")).status == 404
    assert (await sl.get("Orders(1")).status == 404
    r = await sl.post("Items", {"ItemCode": "X"})
    assert r.status == 405 and "POST" in r.error["message"]["value"]
    assert (await sl.call("DELETE", "Orders")).status == 405
    r = await sl.call(
        "POST",
        "Orders",
        raw=b'{"Comments": "' + b"x" * 20_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status == 413 and r.error["code"] == -1000
    r = await sl.call(
        "POST", "Orders", raw=b"<Order/>", headers={"Content-Type": "application/xml"}
    )
    assert r.status == 415
    # curl -d sends form-urlencoded; the real SL reads the JSON anyway
    r = await sl.call(
        "POST",
        "Orders",
        raw=b'{"CardCode": "C10011"}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status == 400 and "DocDueDate" in r.error["message"]["value"]


async def test_unknown_key_is_404_no_matching_records(sl: SL) -> None:
    r = await sl.get("Orders(42)")
    assert r.status == 404
    assert r.json == {
        "error": {
            "code": -2028,
            "message": {"lang": "en-us", "value": "No matching records found (ODBC -2028)"},
        }
    }
    assert (await sl.get("Items('NOPE')")).status == 404
    assert (await sl.patch("Orders(42)", {"Comments": "x"})).status == 404
