"""Spec §3-4 Documents: computed totals on worked examples (net and gross prices, header
and line discounts, freight), numbering, POST/GET/PATCH, Prefer, actions, no DELETE."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fakesap.backend import FakeSap
from fakesap.config import FakeSapConfig

from .conftest import FakeClock, StartSL
from .sl_client import SL, D, order


def totals(doc: dict[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
    return doc["VatSum"], doc["DocTotal"], doc["TotalDiscount"]


async def test_worked_example_net_prices_mixed_vat_and_freight(sl: SL) -> None:
    doc = await sl.create(
        "Orders",
        order(
            lines=[
                {"ItemCode": "TSH-RED-M", "Quantity": 2, "UnitPrice": 16.52},  # R3 21 %
                {"ItemCode": "FOOD-OLIVE-1L", "Quantity": 3, "Price": 9.88},  # R2 10 %
                {"ItemCode": "BOOK-ES-01", "Quantity": 1, "LineTotal": 21.54},  # R1 4 %
            ],
            DocumentAdditionalExpenses=[{"ExpenseCode": 1, "LineTotal": 4.09, "VatGroup": "R3"}],
        ),
    )
    lines = doc["DocumentLines"]
    assert [ln["LineTotal"] for ln in lines] == [D("33.04"), D("29.64"), D("21.54")]
    assert [ln["TaxTotal"] for ln in lines] == [D("6.94"), D("2.96"), D("0.86")]
    assert [ln["VatGroup"] for ln in lines] == ["R3", "R2", "R1"]
    assert [ln["TaxPercentagePerRow"] for ln in lines] == [21, 10, 4]
    freight = doc["DocumentAdditionalExpenses"][0]
    assert (freight["LineTotal"], freight["TaxSum"], freight["LineGross"]) == (
        D("4.09"),
        D("0.86"),
        D("4.95"),
    )
    assert totals(doc) == (D("11.62"), D("99.93"), D("0"))


async def test_worked_example_gross_prices_keep_the_gross_total_exact(sl: SL) -> None:
    doc = await sl.create(
        "Orders",
        order(
            lines=[
                {"ItemCode": "CABLE-USBC-2M", "Quantity": 3, "PriceAfterVAT": 0.99},  # R3
                {"ItemCode": "BREAD-MIX", "Quantity": 2, "PriceAfterVAT": 2.15},  # R1
            ],
            DocumentAdditionalExpenses=[{"ExpenseCode": 1, "LineGross": 4.95}],
        ),
    )
    l1, l2 = doc["DocumentLines"]
    assert (l1["LineTotal"], l1["TaxTotal"], l1["GrossTotal"], l1["Price"]) == (
        D("2.45"),
        D("0.52"),
        D("2.97"),
        D("0.818182"),
    )
    assert (l2["LineTotal"], l2["TaxTotal"], l2["GrossTotal"]) == (D("4.13"), D("0.17"), D("4.30"))
    assert l1["PriceAfterVAT"] == D("0.99")
    assert doc["DocumentAdditionalExpenses"][0]["LineTotal"] == D("4.09")
    assert totals(doc) == (D("1.55"), D("12.22"), D("0"))
    assert doc["DocTotal"] == D("2.97") + D("4.30") + D("4.95")  # what the shop charged


async def test_the_same_line_priced_net_shows_the_classic_cent_difference(sl: SL) -> None:
    doc = await sl.create(
        "Orders", order(lines=[{"ItemCode": "CABLE-USBC-2M", "Quantity": 3, "Price": 0.818182}])
    )
    line = doc["DocumentLines"][0]
    assert (line["LineTotal"], line["TaxTotal"]) == (D("2.45"), D("0.51"))
    assert doc["DocTotal"] == D("2.96")  # one cent below the gross 2.97


async def test_worked_example_header_discount_applies_before_vat(sl: SL) -> None:
    doc = await sl.create(
        "Orders",
        order(
            lines=[
                {"ItemCode": "HEADPH-BT", "Quantity": 2, "UnitPrice": 50},  # R3
                {"ItemCode": "FOOD-JAMON-100", "Quantity": 5, "Price": 10},  # R2
            ],
            DiscountPercent=10,
            DocumentAdditionalExpenses=[{"ExpenseCode": 1, "LineTotal": 4.09}],
        ),
    )
    assert [ln["TaxTotal"] for ln in doc["DocumentLines"]] == [D("18.90"), D("4.50")]
    assert doc["DiscountPercent"] == 10
    assert totals(doc) == (D("24.26"), D("163.35"), D("15.00"))


async def test_line_discount_and_half_up_rounding(sl: SL) -> None:
    doc = await sl.create(
        "Orders",
        order(
            lines=[{"ItemCode": "SOCKS-3PK", "Quantity": 3, "UnitPrice": 10, "DiscountPercent": 15}]
        ),
    )
    line = doc["DocumentLines"][0]
    assert (line["UnitPrice"], line["Price"], line["LineTotal"]) == (D("10"), D("8.5"), D("25.50"))
    assert line["TaxTotal"] == D("5.36")  # 5.355 rounds half up
    assert doc["DocTotal"] == D("30.86")


async def test_line_total_derives_the_price_and_item_price_list_is_the_default(sl: SL) -> None:
    doc = await sl.create(
        "Orders",
        order(
            lines=[
                {"ItemCode": "SOCKS-3PK", "Quantity": 3, "LineTotal": 10},
                {"ItemCode": "MUG-LOGO", "Quantity": 2},
            ]
        ),
    )
    l1, l2 = doc["DocumentLines"]
    assert (l1["Price"], l1["LineTotal"]) == (D("3.333333"), D("10.00"))
    assert (l2["UnitPrice"], l2["LineTotal"], l2["TaxTotal"]) == (D("8.50"), D("17.00"), D("3.57"))
    assert doc["DocTotal"] == D("10.00") + D("2.10") + D("17.00") + D("3.57")


async def test_defaults_from_master_data_and_header_fields(
    start_sl: StartSL, clock: FakeClock
) -> None:
    sl = await start_sl(state=FakeSap(FakeSapConfig(), clock=clock))
    doc = await sl.create(
        "Orders", order(DocDueDate="2026-11-30T00:00:00Z", Comments="x" * 254, SalesPersonCode=3)
    )
    assert doc["CardName"] == "Lucía Fernández"
    assert doc["DocDate"] == "2026-11-23" and doc["TaxDate"] == "2026-11-23"
    assert doc["DocDueDate"] == "2026-11-30"
    assert doc["CreationDate"] == doc["UpdateDate"] == "2026-11-23"
    assert doc["UpdateTime"] == "10:00:00"
    assert doc["DocumentStatus"] == "bost_Open" and doc["Cancelled"] == "tNO"
    assert doc["DocCurrency"] == "EUR" and doc["DocType"] == "dDocument_Items"
    assert doc["SalesPersonCode"] == 3
    assert doc["U_ShopOrderId"] is None  # declared UDFs are always present
    line = doc["DocumentLines"][0]
    assert line["WarehouseCode"] == "01" and line["VatGroup"] == "R3"
    assert (line["LineStatus"], line["OpenQuantity"], line["RemainingOpenQuantity"]) == (
        "bost_Open",
        1,
        1,
    )
    assert line["ItemDescription"] == "Camiseta roja M" and line["BaseType"] == -1


async def test_docentry_is_the_key_and_docnum_comes_from_a_series(sl: SL) -> None:
    r = await sl.post("Orders", order(1))
    assert r.status == 201
    assert r.headers["Location"] == sl.url("Orders(1)")
    assert (r.json["DocEntry"], r.json["DocNum"]) == (1, 100001)
    second = await sl.create("Orders", order(2))
    assert (second["DocEntry"], second["DocNum"]) == (2, 100002)
    r = await sl.get("Orders(100001)")
    assert r.status == 404 and r.error["code"] == -2028
    assert (await sl.get("Orders(2)")).json["DocNum"] == 100002


async def test_prefer_return_no_content(sl: SL) -> None:
    r = await sl.post("Orders", order(), headers={"Prefer": "return-no-content"})
    assert r.status == 204 and r.text == ""
    assert r.headers["Location"].endswith("/b1s/v1/Orders(1)")
    assert r.headers["Preference-Applied"] == "return-no-content"
    assert (await sl.get("Orders(1)")).status == 200


async def test_get_entity_v1_and_v2_shapes_and_etag(sl: SL) -> None:
    await sl.create("Orders", order())
    v1 = await sl.get("Orders(1)")
    v2 = await sl.get("/b1s/v2/Orders(1)")
    assert v1.json["odata.metadata"].endswith("/b1s/v1/$metadata#Orders/@Element")
    assert v2.json["@odata.context"].endswith("/b1s/v2/$metadata#Orders/$entity")
    assert v1.headers["ETag"].startswith('W/"') and v1.headers["ETag"] == v2.headers["ETag"]
    strip = lambda b: {k: v for k, v in b.items() if "odata" not in k}  # noqa: E731
    assert strip(v1.json) == strip(v2.json)
    sel = await sl.get("Orders(1)?$select=DocEntry,DocTotal")
    assert set(strip(sel.json)) == {"DocEntry", "DocTotal"}


async def test_patch_header_and_merge_lines_by_linenum(sl: SL) -> None:
    await sl.create("Orders", order(lines=[{"ItemCode": "MUG-LOGO", "Quantity": 1, "Price": 10}]))
    r = await sl.patch(
        "Orders(1)",
        {
            "Comments": "paid",
            "U_TransactionId": "tx-9",
            "DocumentLines": [
                {"LineNum": 0, "Quantity": 3},
                {"ItemCode": "BOOK-ES-01", "Quantity": 1, "Price": 20},
            ],
        },
    )
    assert r.status == 204, r
    doc = (await sl.get("Orders(1)")).json
    assert doc["Comments"] == "paid" and doc["U_TransactionId"] == "tx-9"
    assert [(ln["LineNum"], ln["ItemCode"], ln["Quantity"]) for ln in doc["DocumentLines"]] == [
        (0, "MUG-LOGO", 3),
        (1, "BOOK-ES-01", 1),
    ]
    assert doc["DocumentLines"][0]["LineTotal"] == D("30.00")
    assert doc["VatSum"] == D("6.30") + D("0.80")
    assert doc["DocTotal"] == D("50.00") + D("7.10")


async def test_patch_with_replace_collections_header(sl: SL) -> None:
    await sl.create(
        "Orders",
        order(
            lines=[
                {"ItemCode": "MUG-LOGO", "Quantity": 1},
                {"ItemCode": "SOCKS-3PK", "Quantity": 1},
            ]
        ),
    )
    r = await sl.patch(
        "Orders(1)",
        {"DocumentLines": [{"ItemCode": "LAMP-DESK", "Quantity": 2, "Price": 30}]},
        headers={"B1S-ReplaceCollectionsOnPatch": "true"},
    )
    assert r.status == 204, r
    doc = (await sl.get("Orders(1)")).json
    assert [ln["ItemCode"] for ln in doc["DocumentLines"]] == ["LAMP-DESK"]
    assert doc["DocTotal"] == D("72.60")


async def test_patch_if_match_stale_etag_is_412(sl: SL) -> None:
    await sl.create("Orders", order())
    tag = (await sl.get("Orders(1)")).headers["ETag"]
    assert (await sl.patch("Orders(1)", {"Comments": "a"}, headers={"If-Match": tag})).status == 204
    r = await sl.patch("Orders(1)", {"Comments": "b"}, headers={"If-Match": tag})
    assert r.status == 412 and r.error["code"] == -2039


async def test_close_reopen_cancel(sl: SL) -> None:
    await sl.create("Orders", order())
    assert (await sl.post("Orders(1)/Close")).status == 204
    assert (await sl.get("Orders(1)")).json["DocumentStatus"] == "bost_Close"
    assert (await sl.post("Orders(1)/Close")).status == 400
    assert (await sl.post("Orders(1)/Reopen")).status == 204
    assert (await sl.get("Orders(1)")).json["DocumentStatus"] == "bost_Open"
    r = await sl.post("Orders(1)/Cancel")
    assert r.status == 204 and r.text == ""
    doc = (await sl.get("Orders(1)")).json
    assert (doc["Cancelled"], doc["DocumentStatus"]) == ("tYES", "bost_Close")
    r = await sl.post("Orders(1)/Cancel")
    assert r.status == 400 and r.error["code"] == -4006
    assert (await sl.post("Orders(1)/Reopen")).status == 400
    assert (await sl.post("Orders(99)/Cancel")).status == 404
    assert (await sl.post("Orders(1)/Explode")).status == 404


async def test_documents_cannot_be_deleted_or_put(sl: SL) -> None:
    await sl.create("Orders", order())
    r = await sl.call("DELETE", "Orders(1)")
    assert r.status == 400 and r.error["code"] == -5006
    assert (await sl.call("PUT", "Orders(1)", {"Comments": "x"})).status == 405
    assert (await sl.get("Orders(1)")).status == 200


async def test_posted_documents_take_texts_but_not_amounts(sl: SL) -> None:
    await sl.create("Orders", order())
    await sl.create(
        "DeliveryNotes",
        {"CardCode": "C10011", "DocumentLines": [{"BaseType": 17, "BaseEntry": 1, "BaseLine": 0}]},
    )
    assert (await sl.patch("DeliveryNotes(1)", {"U_TrackingNo": "1Z999"})).status == 204
    r = await sl.patch("DeliveryNotes(1)", {"DiscountPercent": 5})
    assert r.status == 400 and r.error["code"] == -5002
    r = await sl.patch("Orders(1)", {"CardCode": "C10012"})
    assert r.status == 400


async def test_v2_flavour_creates_in_the_same_backend(sl: SL) -> None:
    r = await sl.post("/b1s/v2/Orders", order())
    assert r.status == 201
    assert r.json["@odata.context"].endswith("/b1s/v2/$metadata#Orders/$entity")
    assert r.headers["Location"].endswith("/b1s/v2/Orders(1)")
    assert (await sl.get("/b1s/v1/Orders(1)")).json["DocNum"] == 100001


async def test_invoices_and_credit_notes_and_payments(sl: SL) -> None:
    inv = await sl.create(
        "Invoices",
        {"CardCode": "C10012", "DocumentLines": [{"ItemCode": "MUG-LOGO", "Quantity": 2}]},
    )
    assert inv["DocTotal"] == D("20.57") and inv["PaidToDate"] == 0
    pay = await sl.create(
        "IncomingPayments",
        {
            "CardCode": "C10012",
            "TransferSum": 20.57,
            "TransferAccount": "_SYS00000000001",
            "PaymentInvoices": [{"DocEntry": inv["DocEntry"], "SumApplied": 20.57}],
            "U_IdemKey": "wc:7:payment",
        },
    )
    assert pay["DocNum"] == 100001 and pay["PaymentInvoices"][0]["SumApplied"] == D("20.57")
    invoice = (await sl.get(f"Invoices({inv['DocEntry']})")).json
    assert invoice["PaidToDate"] == D("20.57") and invoice["DocumentStatus"] == "bost_Close"
    r = await sl.post(
        "IncomingPayments",
        {"CardCode": "C10012", "CashSum": 5, "PaymentInvoices": [{"DocEntry": 1, "SumApplied": 5}]},
    )
    assert r.status == 400 and r.error["code"] == -5002  # nothing left open
    credit = await sl.create(
        "CreditNotes",
        {
            "CardCode": "C10012",
            "DocumentLines": [{"BaseType": 13, "BaseEntry": 1, "BaseLine": 0, "Quantity": 1}],
        },
    )
    assert credit["DocTotal"] == D("10.29") and credit["DocumentStatus"] == "bost_Close"
    assert (await sl.post("IncomingPayments(1)/Cancel")).status == 204
    invoice = (await sl.get("Invoices(1)")).json
    assert invoice["PaidToDate"] == 0 and invoice["DocumentStatus"] == "bost_Open"
