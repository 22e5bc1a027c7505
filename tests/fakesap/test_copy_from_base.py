"""Spec §3 Copy from base: BaseType/BaseEntry/BaseLine take item, price and VAT from the
base line, respect open quantities, and close the base when fully copied."""

from __future__ import annotations

from typing import Any

from .sl_client import SL, D, order


def based(
    base_type: int, entry: int, line: int, qty: float | None = None, **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"BaseType": base_type, "BaseEntry": entry, "BaseLine": line, **extra}
    if qty is not None:
        out["Quantity"] = qty
    return out


async def make_order(sl: SL) -> dict[str, Any]:
    return await sl.create(
        "Orders",
        order(
            lines=[
                {"ItemCode": "TSH-RED-M", "Quantity": 5, "UnitPrice": 16.52, "DiscountPercent": 10},
                {
                    "ItemCode": "BREAD-MIX",
                    "Quantity": 2,
                    "PriceAfterVAT": 2.15,
                    "WarehouseCode": "02",
                },
            ]
        ),
    )


async def test_partial_delivery_takes_item_price_vat_and_lowers_open_quantity(sl: SL) -> None:
    await make_order(sl)
    dn = await sl.create(
        "DeliveryNotes", {"CardCode": "C10011", "DocumentLines": [based(17, 1, 0, 2)]}
    )
    line = dn["DocumentLines"][0]
    assert (line["ItemCode"], line["VatGroup"], line["WarehouseCode"]) == ("TSH-RED-M", "R3", "01")
    assert (line["UnitPrice"], line["DiscountPercent"], line["LineTotal"]) == (
        D("16.52"),
        D("10"),
        D("29.74"),
    )
    assert (line["BaseType"], line["BaseEntry"], line["BaseLine"]) == (17, 1, 0)
    base = (await sl.get("Orders(1)")).json
    assert base["DocumentLines"][0]["RemainingOpenQuantity"] == 3
    assert base["DocumentLines"][0]["LineStatus"] == "bost_Open"
    assert base["DocumentStatus"] == "bost_Open"


async def test_quantity_above_open_quantity_is_refused_atomically(sl: SL) -> None:
    await make_order(sl)
    await sl.create("DeliveryNotes", {"CardCode": "C10011", "DocumentLines": [based(17, 1, 0, 4)]})
    r = await sl.post(
        "DeliveryNotes",
        {"CardCode": "C10011", "DocumentLines": [based(17, 1, 1, 1), based(17, 1, 0, 2)]},
    )
    assert r.status == 400 and r.error["code"] == -5002
    assert "[DLN1.Quantity][line: 2]" in r.error["message"]["value"]
    # two lines on the same base line add up
    r = await sl.post(
        "DeliveryNotes",
        {"CardCode": "C10011", "DocumentLines": [based(17, 1, 0, 1), based(17, 1, 0, 1)]},
    )
    assert r.status == 400
    base = (await sl.get("Orders(1)")).json
    assert [ln["RemainingOpenQuantity"] for ln in base["DocumentLines"]] == [
        1,
        2,
    ]  # nothing changed
    assert len((await sl.admin("documents?entity_set=DeliveryNotes"))["documents"]) == 1


async def test_full_copy_closes_the_base_and_default_quantity_is_the_open_one(sl: SL) -> None:
    await make_order(sl)
    dn = await sl.create(
        "DeliveryNotes", {"CardCode": "C10011", "DocumentLines": [based(17, 1, 0), based(17, 1, 1)]}
    )
    assert [ln["Quantity"] for ln in dn["DocumentLines"]] == [5, 2]
    gross_line = dn["DocumentLines"][1]
    assert gross_line["GrossTotal"] == D("4.30") and gross_line["LineTotal"] == D("4.13")
    base = (await sl.get("Orders(1)")).json
    assert base["DocumentStatus"] == "bost_Close"
    assert all(ln["LineStatus"] == "bost_Close" for ln in base["DocumentLines"])
    r = await sl.post(
        "DeliveryNotes", {"CardCode": "C10011", "DocumentLines": [based(17, 1, 0, 1)]}
    )
    assert r.status == 400 and "closed" in r.error["message"]["value"]
    # the order has follow-ups: it can no longer be cancelled
    assert (await sl.post("Orders(1)/Cancel")).status == 400


async def test_invoice_from_delivery_and_credit_note_from_invoice(sl: SL) -> None:
    await make_order(sl)
    await sl.create(
        "DeliveryNotes", {"CardCode": "C10011", "DocumentLines": [based(17, 1, 0), based(17, 1, 1)]}
    )
    inv = await sl.create(
        "Invoices", {"CardCode": "C10011", "DocumentLines": [based(15, 1, 0), based(15, 1, 1)]}
    )
    order_doc = (await sl.get("Orders(1)")).json
    delivery = (await sl.get("DeliveryNotes(1)")).json
    assert inv["DocTotal"] == order_doc["DocTotal"] == delivery["DocTotal"]
    assert delivery["DocumentStatus"] == "bost_Close"
    cn = await sl.create(
        "CreditNotes", {"CardCode": "C10011", "DocumentLines": [based(13, 1, 1, 1)]}
    )
    assert cn["DocumentLines"][0]["PriceAfterVAT"] == D("2.15")
    assert cn["DocTotal"] == D("2.15")


async def test_base_errors(sl: SL) -> None:
    await make_order(sl)
    cases = [
        ({"CardCode": "C10011", "DocumentLines": [based(17, 99, 0)]}, "not found"),
        ({"CardCode": "C10011", "DocumentLines": [based(17, 1, 7)]}, "Base line 7"),
        ({"CardCode": "C10011", "DocumentLines": [based(13, 1, 0)]}, "BaseType"),
        ({"CardCode": "C10012", "DocumentLines": [based(17, 1, 0)]}, "Business partner"),
        (
            {"CardCode": "C10011", "DocumentLines": [based(17, 1, 0, ItemCode="MUG-LOGO")]},
            "ItemCode",
        ),
        ({"CardCode": "C10011", "DocumentLines": [{"BaseEntry": 1, "BaseLine": 0}]}, "BaseType"),
    ]
    for body, text in cases:
        r = await sl.post("DeliveryNotes", body)
        assert r.status == 400, (body, r)
        assert text in r.error["message"]["value"], (text, r)


async def test_cancelling_a_delivery_gives_quantities_back(sl: SL) -> None:
    await make_order(sl)
    await sl.create(
        "DeliveryNotes", {"CardCode": "C10011", "DocumentLines": [based(17, 1, 0), based(17, 1, 1)]}
    )
    assert (await sl.get("Orders(1)")).json["DocumentStatus"] == "bost_Close"
    assert (await sl.post("DeliveryNotes(1)/Cancel")).status == 204
    base = (await sl.get("Orders(1)")).json
    assert base["DocumentStatus"] == "bost_Open"
    assert [ln["RemainingOpenQuantity"] for ln in base["DocumentLines"]] == [5, 2]
    assert (await sl.post("Orders(1)/Cancel")).status == 204
