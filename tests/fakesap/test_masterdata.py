"""Spec §6 Master data: Items with warehouse stock, BusinessPartners, Warehouses, VatGroups
seeded from the catalog; read-only over /b1s; upload through /__admin/master-data."""

from __future__ import annotations

from sapchaos.catalog import load_catalog

from .sl_client import SL, D, order


async def test_items_seeded_from_catalog(sl: SL) -> None:
    catalog = load_catalog()
    r = await sl.get("Items")
    assert r.status == 200
    assert len(r.json["value"]) == 13  # first page of 20; 12 products + 1 inactive
    item = (await sl.get("Items('BOOK-ES-01')")).json
    product = catalog.product_by_sku("BOOK-ES-01")
    assert item["ItemName"] == product.name
    assert item["SalesVATGroup"] == "R1"
    assert item["ItemPrices"][0]["Price"] == product.price
    rows = {r["WarehouseCode"]: r for r in item["ItemWarehouseInfoCollection"]}
    assert (
        rows["01"]["InStock"] == 3000
        and rows["02"]["InStock"] == 50
        and rows["01"]["Committed"] == 0
    )
    assert item["QuantityOnStock"] == 3050
    frozen = (await sl.get("Items('OLD-DISCONT')")).json
    assert (frozen["Frozen"], frozen["Valid"]) == ("tYES", "tNO")


async def test_partners_warehouses_vat_groups(sl: SL) -> None:
    bp = (await sl.get("BusinessPartners('C10012')")).json
    assert bp["CardName"] == "O'Connor Distribuciones S.L." and bp["CardType"] == "cCustomer"
    assert bp["FederalTaxID"] == "B12345674"
    assert (await sl.get("BusinessPartners('WEB-GUEST')")).status == 200
    whs = (await sl.get("Warehouses")).json["value"]
    assert [w["WarehouseCode"] for w in whs] == ["01", "02"]
    vg = (await sl.get("VatGroups('R2')")).json
    assert vg["Category"] == "bovcOutputTax" and vg["VatGroups_Lines"][-1]["Rate"] == 10
    codes = {v["Code"] for v in (await sl.get("VatGroups")).json["value"]}
    assert codes == {"R3", "R2", "R1", "EXE"}


async def test_master_data_is_read_only_over_b1s(sl: SL) -> None:
    assert (await sl.patch("Items('MUG-LOGO')", {"ItemName": "x"})).status == 405
    assert (await sl.call("DELETE", "BusinessPartners('C10011')")).status == 405


async def test_upload_rows_through_admin(sl: SL) -> None:
    upload = {
        "VatGroups": [
            {
                "Code": "R9",
                "Name": "IVA 9",
                "VatGroups_Lines": [{"Effectivefrom": "2020-01-01", "Rate": 9}],
            }
        ],
        "Items": [
            {
                "ItemCode": "A'1",
                "ItemName": "Quote item",
                "SalesVATGroup": "R9",
                "ItemPrices": [{"PriceList": 1, "Price": 10}],
                "ItemWarehouseInfoCollection": [{"WarehouseCode": "01", "InStock": 3}],
            }
        ],
        "BusinessPartners": [{"CardCode": "C20000", "CardName": "New customer"}],
    }
    r = await sl.post("/__admin/master-data", upload)
    assert r.status == 200 and r.json["loaded"] == {
        "VatGroups": 1,
        "BusinessPartners": 1,
        "Items": 1,
    }
    item = (await sl.get("Items('A''1')")).json
    assert item["ItemCode"] == "A'1"
    doc = await sl.create(
        "Orders", order(CardCode="C20000", lines=[{"ItemCode": "A'1", "Quantity": 2}])
    )
    assert doc["DocumentLines"][0]["VatGroup"] == "R9"
    assert doc["DocTotal"] == D("21.80")
    bad = await sl.post("/__admin/master-data", {"Items": [{"ItemName": "no code"}]})
    assert bad.status == 400
    bad = await sl.post("/__admin/master-data", {"Gizmos": []})
    assert bad.status == 400


async def test_upload_whole_catalog_replaces_master_data(sl: SL) -> None:
    raw = dict(load_catalog().raw)
    raw["products"] = [p for p in raw["products"] if p["sku"] == "MUG-LOGO"]
    r = await sl.post("/__admin/master-data", raw)
    assert r.status == 200 and r.json["loaded"]["Items"] == 2  # + the inactive product
    assert (await sl.get("Items('TSH-RED-M')")).status == 404
