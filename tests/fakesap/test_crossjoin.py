"""``QueryService_PostQuery`` with ``$crossjoin(Orders,Orders/DocumentLines)`` and the
manual's ``$expand``/``$filter`` forms, and the ``GET $crossjoin(...)`` form; through plain
HTTP and the third-party b1sl-python builders (``crossjoin``, ``query_service``)."""

from __future__ import annotations

from typing import Any

from .conftest import StartSL
from .live import live_fakesap
from .sl_client import SL, order

LINES = [
    {"ItemCode": "TSH-RED-M", "Quantity": 1, "WarehouseCode": "01"},
    {"ItemCode": "LAMP-DESK", "Quantity": 2, "WarehouseCode": "01"},
]


async def _seed(sl: SL, n: int = 4) -> None:
    for i in range(n):
        await sl.create("Orders", order(i + 1, lines=LINES))


async def test_post_query_as_in_the_manual(sl: SL) -> None:
    await _seed(sl)
    r = await sl.post(
        "QueryService_PostQuery",
        {
            "QueryPath": "$crossjoin(Orders,Orders/DocumentLines)",
            "QueryOption": "$expand=Orders($select=DocEntry, DocNum),"
            "Orders/DocumentLines($select=ItemCode,LineNum)"
            "&$filter=Orders/DocEntry eq Orders/DocumentLines/DocEntry"
            " and Orders/DocEntry ge 3 and Orders/DocumentLines/LineNum eq 0",
        },
    )
    assert r.status == 200, r
    assert r.json["odata.metadata"].endswith("$metadata#Collection(Edm.ComplexType)")
    assert r.json["value"] == [
        {
            "Orders": {"DocEntry": e, "DocNum": 100000 + e},
            "Orders/DocumentLines": {"ItemCode": "TSH-RED-M", "LineNum": 0},
        }
        for e in (3, 4)
    ]


async def test_line_level_filter_with_parentheses_orderby_and_paging(start_sl: StartSL) -> None:
    sl = await start_sl(version="v2")
    await _seed(sl, 3)
    option = (
        "$expand=Orders($select=DocEntry),Orders/DocumentLines($select=ItemCode,Quantity)"
        "&$filter=Orders/DocEntry eq Orders/DocumentLines/DocEntry and "
        "(Orders/DocumentLines/ItemCode eq 'LAMP-DESK' or Orders/DocEntry eq 1)"
        "&$orderby=Orders/DocEntry desc"
    )
    body = {"QueryPath": "$crossjoin(Orders,Orders/DocumentLines)", "QueryOption": option}
    r = await sl.post("QueryService_PostQuery", body, headers={"B1S-PageSize": "2"})
    assert r.status == 200, r
    got = [
        (x["Orders"]["DocEntry"], x["Orders/DocumentLines"]["ItemCode"]) for x in r.json["value"]
    ]
    assert got == [(3, "LAMP-DESK"), (2, "LAMP-DESK")]
    nxt = r.json["@odata.nextLink"]
    assert nxt.startswith("$crossjoin(Orders,Orders/DocumentLines)?")
    r = await sl.get(nxt, headers={"B1S-PageSize": "2"})
    got = [
        (x["Orders"]["DocEntry"], x["Orders/DocumentLines"]["ItemCode"]) for x in r.json["value"]
    ]
    assert got == [(1, "TSH-RED-M"), (1, "LAMP-DESK")]


async def test_bad_crossjoins_are_400s(sl: SL) -> None:
    bad: list[dict[str, Any]] = [
        {"QueryPath": "$crossjoin(Orders,Nope)", "QueryOption": "$expand=Orders"},
        {"QueryPath": "Orders", "QueryOption": "$expand=Orders"},
        {"QueryPath": "$crossjoin(Orders,Orders/DocumentLines)", "QueryOption": "$filter=x eq 1"},
        {
            "QueryPath": "$crossjoin(Orders,Orders/DocumentLines)",
            "QueryOption": "$expand=Orders&$filter=Nope/DocEntry eq 1",
        },
        {"QueryPath": "$crossjoin(Items,Items/DocumentLines)", "QueryOption": "$expand=Items"},
        {"QueryPath": 1, "QueryOption": ""},
    ]
    for body in bad:
        r = await sl.post("QueryService_PostQuery", body)
        assert r.status == 400, (body, r)
    assert (await sl.get("QueryService_PostQuery")).status == 405


def test_b1sl_python_crossjoin_and_query_service() -> None:
    with live_fakesap() as live:
        from b1sl.b1sl.client import B1Client
        from b1sl.b1sl.config import B1Config

        cfg = B1Config(
            base_url=live.base, username="manager", password="manager", company_db="SBODEMOES"
        )
        with B1Client(cfg, version="v2") as b1:
            for i in range(2):
                b1._adapter.post("Orders", data=order(i + 1, lines=LINES))
            rows = (
                b1.crossjoin("Orders", "BusinessPartners")
                .expand({"Orders": ["DocEntry"], "BusinessPartners": ["CardName"]})
                .filter("Orders/CardCode eq BusinessPartners/CardCode")
                .execute()
            )
            assert [(x["Orders"]["DocEntry"], x["BusinessPartners"]["CardName"]) for x in rows] == [
                (1, "Lucía Fernández"),
                (2, "Lucía Fernández"),
            ]
            lines = (
                b1.query_service("$crossjoin(Orders,Orders/DocumentLines)")
                .expand({"Orders": ["DocNum"], "Orders/DocumentLines": ["ItemCode"]})
                .filter(
                    "Orders/DocEntry eq Orders/DocumentLines/DocEntry"
                    " and Orders/DocumentLines/ItemCode eq 'LAMP-DESK'"
                )
                .execute()
            )
            assert [x["Orders"]["DocNum"] for x in lines] == [100001, 100002]
