"""Spec §3 Stock: orders commit, deliveries issue, cancel/close release, negative
inventory refused; per warehouse in ItemWarehouseInfoCollection."""

from __future__ import annotations

from decimal import Decimal

from fakesap.app import FAKESAP_KEY

from .sl_client import SL, order


async def stock(sl: SL, item: str, warehouse: str = "01") -> tuple[Decimal, Decimal]:
    it = (await sl.get(f"Items('{item}')")).json
    row = next(r for r in it["ItemWarehouseInfoCollection"] if r["WarehouseCode"] == warehouse)
    return row["InStock"], row["Committed"]


async def test_order_commits_delivery_issues_per_warehouse(sl: SL) -> None:
    assert await stock(sl, "LAMP-DESK") == (40, 0)
    await sl.create(
        "Orders",
        order(
            lines=[
                {"ItemCode": "LAMP-DESK", "Quantity": 3},
                {"ItemCode": "LAMP-DESK", "Quantity": 2, "WarehouseCode": "02"},
            ]
        ),
    )
    assert await stock(sl, "LAMP-DESK") == (40, 3)
    assert await stock(sl, "LAMP-DESK", "02") == (5, 2)
    item = (await sl.get("Items('LAMP-DESK')")).json
    assert item["QuantityOnStock"] == 45 and item["QuantityOrderedByCustomers"] == 5
    await sl.create(
        "DeliveryNotes",
        {
            "CardCode": "C10011",
            "DocumentLines": [{"BaseType": 17, "BaseEntry": 1, "BaseLine": 0, "Quantity": 2}],
        },
    )
    assert await stock(sl, "LAMP-DESK") == (38, 1)
    assert await stock(sl, "LAMP-DESK", "02") == (5, 2)


async def test_cancel_and_close_release_committed_reopen_recommits(sl: SL) -> None:
    await sl.create("Orders", order(1, lines=[{"ItemCode": "HEADPH-BT", "Quantity": 4}]))
    await sl.create("Orders", order(2, lines=[{"ItemCode": "HEADPH-BT", "Quantity": 6}]))
    assert await stock(sl, "HEADPH-BT") == (2000, 10)
    await sl.post("Orders(1)/Cancel")
    assert await stock(sl, "HEADPH-BT") == (2000, 6)
    await sl.post("Orders(2)/Close")
    assert await stock(sl, "HEADPH-BT") == (2000, 0)
    await sl.post("Orders(2)/Reopen")
    assert await stock(sl, "HEADPH-BT") == (2000, 6)


async def test_patch_quantity_moves_committed(sl: SL) -> None:
    await sl.create("Orders", order(lines=[{"ItemCode": "SOCKS-3PK", "Quantity": 4}]))
    await sl.patch(
        "Orders(1)",
        {
            "DocumentLines": [
                {"LineNum": 0, "Quantity": 1},
                {"ItemCode": "SOCKS-3PK", "Quantity": 2, "WarehouseCode": "02"},
            ]
        },
    )
    assert await stock(sl, "SOCKS-3PK") == (5000, 1)
    assert await stock(sl, "SOCKS-3PK", "02") == (150, 2)


async def test_negative_inventory_is_refused_naming_the_line(sl: SL) -> None:
    r = await sl.post(
        "DeliveryNotes",
        {
            "CardCode": "C10011",
            "DocumentLines": [
                {"ItemCode": "MUG-LOGO", "Quantity": 1},
                {"ItemCode": "LAMP-DESK", "Quantity": 41},
            ],
        },
    )
    assert r.status == 400
    assert (
        r.error["message"]["value"]
        == "Quantity falls into negative inventory  [DLN1.ItemCode][line: 2]"
    )
    assert await stock(sl, "MUG-LOGO") == (5000, 0)  # atomic: line 1 did not move stock
    inv = await sl.post(
        "Invoices",
        {"CardCode": "C10011", "DocumentLines": [{"ItemCode": "LAMP-DESK", "Quantity": 40}]},
    )
    assert inv.status == 201  # an invoice without delivery issues stock itself
    assert await stock(sl, "LAMP-DESK") == (0, 0)
    cn = await sl.post(
        "CreditNotes",
        {
            "CardCode": "C10011",
            "DocumentLines": [{"BaseType": 13, "BaseEntry": 1, "BaseLine": 0, "Quantity": 4}],
        },
    )
    assert cn.status == 201
    assert await stock(sl, "LAMP-DESK") == (4, 0)


async def test_adjust_stock_seam_goods_receipt_and_issue(sl: SL) -> None:
    sap = sl.server.app[FAKESAP_KEY]
    await sap.adjust_stock("LAMP-DESK", "02", Decimal(10), reason="goods receipt")
    assert await stock(sl, "LAMP-DESK", "02") == (15, 0)
    await sap.adjust_stock("LAMP-DESK", "02", Decimal(-15), reason="goods issue")
    assert await stock(sl, "LAMP-DESK", "02") == (0, 0)
    try:
        await sap.adjust_stock("LAMP-DESK", "02", Decimal(-1), reason="goods issue")
    except Exception as exc:
        assert "negative inventory" in str(exc)
    else:
        raise AssertionError("negative stock accepted")


async def test_negative_stock_allowed_when_configured(start_sl) -> None:  # type: ignore[no-untyped-def]
    sl = await start_sl(allow_negative_stock=True)
    r = await sl.post(
        "DeliveryNotes",
        {"CardCode": "C10011", "DocumentLines": [{"ItemCode": "LAMP-DESK", "Quantity": 50}]},
    )
    assert r.status == 201
    assert await stock(sl, "LAMP-DESK") == (-10, 0)
