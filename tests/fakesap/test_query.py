"""Spec §5 Query options over HTTP: $filter $select $orderby $top $skip, counts, $count,
server paging with nextLink and Prefer: odata.maxpagesize, v1 and v2 shapes."""

from __future__ import annotations

from urllib.parse import quote

from .conftest import StartSL
from .sl_client import SL, D, order


async def seed(sl: SL, n: int = 45) -> None:
    for i in range(1, n + 1):
        sku = "MUG-LOGO" if i % 3 else "BOOK-ES-01"
        await sl.create(
            "Orders", order(i, lines=[{"ItemCode": sku, "Quantity": i}], NumAtCard=f"WEB-{i:03d}")
        )


async def test_default_page_of_20_and_next_link_followed_to_the_end(sl: SL) -> None:
    await seed(sl)
    r = await sl.get("Orders?$select=DocEntry")
    assert len(r.json["value"]) == 20
    assert r.json["odata.nextLink"] == "Orders?$select=DocEntry&$skip=20"
    seen = [row["DocEntry"] for row in r.json["value"]]
    link = r.json["odata.nextLink"]
    while link:
        r = await sl.get(link)
        seen += [row["DocEntry"] for row in r.json["value"]]
        link = r.json.get("odata.nextLink")
    assert seen == list(range(1, 46))


async def test_v2_shapes_count_and_next_link(sl: SL) -> None:
    await seed(sl, 25)
    r = await sl.get("/b1s/v2/Orders?$count=true&$select=DocEntry,DocNum")
    assert r.json["@odata.context"].endswith("/b1s/v2/$metadata#Orders")
    assert r.json["@odata.count"] == 25
    assert (
        r.json["@odata.nextLink"].startswith("Orders?") and "$skip=20" in r.json["@odata.nextLink"]
    )
    first = r.json["value"][0]
    assert first.pop("@odata.etag").startswith('W/"')  # OData v4: per-entity etag
    assert first == {"DocEntry": 1, "DocNum": 100001}
    v1 = await sl.get("Orders?$inlinecount=allpages&$top=2")
    assert (
        v1.json["odata.count"] == 25
        and len(v1.json["value"]) == 2
        and "odata.nextLink" not in v1.json
    )


async def test_maxpagesize_preference(sl: SL) -> None:
    await seed(sl, 12)
    r = await sl.get("Orders?$select=DocEntry", headers={"Prefer": "odata.maxpagesize=5"})
    assert r.headers["Preference-Applied"] == "odata.maxpagesize=5"
    assert len(r.json["value"]) == 5 and r.json["odata.nextLink"].endswith("$skip=5")
    r = await sl.get("Orders?$select=DocEntry", headers={"Prefer": "odata.maxpagesize=0"})
    assert len(r.json["value"]) == 12 and "odata.nextLink" not in r.json


async def test_filter_orderby_top_skip(sl: SL) -> None:
    await seed(sl, 30)
    r = await sl.get(
        "Orders?$filter=DocTotal gt 100 and DocumentStatus eq 'bost_Open'&$orderby=DocTotal desc&$top=3&$select=DocEntry,DocTotal"
    )
    assert r.status == 200, r
    totals = [row["DocTotal"] for row in r.json["value"]]
    assert (
        totals == sorted(totals, reverse=True) and len(totals) == 3 and all(t > 100 for t in totals)
    )
    r = await sl.get("Orders?$filter=startswith(NumAtCard,'WEB-01')&$select=NumAtCard&$skip=2")
    assert [row["NumAtCard"] for row in r.json["value"]] == [f"WEB-{i:03d}" for i in range(12, 20)]
    r = await sl.get("Orders?$filter=substringof('-00',NumAtCard)&$select=DocEntry")
    assert len(r.json["value"]) == 9
    r = await sl.get("/b1s/v2/Orders?$filter=contains(NumAtCard,'-00')&$select=DocEntry")
    assert len(r.json["value"]) == 9
    r = await sl.get("Orders?$filter=DocDate eq '2026-11-23' or DocEntry le 2&$select=DocEntry")
    assert r.status == 200


async def test_count_segment_is_a_plain_number(sl: SL) -> None:
    await seed(sl, 7)
    r = await sl.get("Orders/$count")
    assert r.status == 200 and r.text == "7" and r.headers["Content-Type"].startswith("text/plain")
    r = await sl.get("Orders/$count?$filter=" + quote("DocEntry ge 5"))
    assert r.text == "3"


async def test_filter_by_udf_with_an_escaped_quote(sl: SL) -> None:
    await sl.create("Orders", order(1, U_IdemKey="wc:1:o'brien"))
    await sl.create("Orders", order(2))
    r = await sl.get(
        "Orders?$filter=" + quote("U_IdemKey eq 'wc:1:o''brien'") + "&$select=DocEntry,U_IdemKey"
    )
    assert r.json["value"] == [{"DocEntry": 1, "U_IdemKey": "wc:1:o'brien"}]


async def test_malformed_options_are_sl_400s(sl: SL) -> None:
    for query, option in [
        ("$filter=DocEntry eq", "$filter"),
        ("$filter=" + quote("U_IdemKey eq 'x' or 1 eq 1; DROP TABLE ORDR"), "$filter"),
        ("$top=-1", "$top"),
        ("$skip=abc", "$skip"),
        ("$orderby=DocEntry sideways", "$orderby"),
        ("$select=Nope", "$select"),
        ("$filter=Nope eq 1", "$filter"),
        ("$expand=DocumentLines", "$expand"),
        ("$count=true", "$count"),
    ]:
        r = await sl.get(f"Orders?{query}")
        assert r.status == 400, (query, r)
        assert r.error["code"] == -1000
        assert option in r.error["message"]["value"], (query, r)


async def test_master_data_queries(start_sl: StartSL) -> None:
    sl = await start_sl(page_size=5)
    r = await sl.get("Items?$filter=SalesVATGroup eq 'R2'&$select=ItemCode&$orderby=ItemCode")
    assert [row["ItemCode"] for row in r.json["value"]] == ["FOOD-JAMON-100", "FOOD-OLIVE-1L"]
    r = await sl.get("Items?$select=ItemCode")
    assert len(r.json["value"]) == 5 and r.json["odata.nextLink"].endswith("$skip=5")
    r = await sl.get("Items?$filter=QuantityOnStock lt 100&$select=ItemCode,QuantityOnStock")
    assert r.json["value"] == [
        {"ItemCode": "LAMP-DESK", "QuantityOnStock": D(45)},
        {"ItemCode": "OLD-DISCONT", "QuantityOnStock": D(10)},
    ]
