"""``SQLQueries`` (SL 10.0 FP 2011+): create, list, read, patch, delete definitions and run
them with parameters through ``List`` (POST with ParamList, GET with query parameters),
with paging; refused statements get the SQL service's codes. Through plain HTTP and the
third-party b1sl-python ``sql_queries`` resource."""

from __future__ import annotations

from .live import live_fakesap
from .sl_client import SL, order

BIG = "SELECT T0.DocEntry, T0.CardCode, T0.DocTotal FROM ORDR T0 WHERE T0.DocTotal >= :minTotal AND T0.CardCode = :card ORDER BY T0.DocEntry"


async def _seed(sl: SL) -> None:
    for n, (card, qty) in enumerate((("C10011", 1), ("C10011", 4), ("C10012", 4), ("C10011", 6))):
        lines = [{"ItemCode": "TSH-RED-M", "Quantity": qty, "WarehouseCode": "01"}]
        await sl.create("Orders", order(n + 1, lines=lines, CardCode=card))


async def test_create_list_run_with_parameters_and_paging(sl: SL) -> None:
    await _seed(sl)
    r = await sl.post("SQLQueries", {"SqlCode": "big", "SqlName": "Big orders", "SqlText": BIG})
    assert r.status == 201, r
    assert r.json["ParamList"] == "minTotal,card"
    assert r.headers["Location"].endswith("/SQLQueries('big')")
    assert [q["SqlCode"] for q in (await sl.get("SQLQueries")).json["value"]] == ["big"]
    r = await sl.post("SQLQueries('big')/List", {"ParamList": "minTotal=50&card='C10011'"})
    assert r.status == 200, r
    assert r.json["SqlText"] == BIG
    assert [row["DocEntry"] for row in r.json["value"]] == [2, 4]
    assert set(r.json["value"][0]) == {"DocEntry", "CardCode", "DocTotal"}
    r = await sl.get(
        "SQLQueries('big')/List?minTotal=0&card='C10011'", headers={"B1S-PageSize": "2"}
    )
    assert [row["DocEntry"] for row in r.json["value"]] == [1, 2]
    r = await sl.get(r.json["odata.nextLink"], headers={"B1S-PageSize": "2"})
    assert [row["DocEntry"] for row in r.json["value"]] == [4]
    assert "odata.nextLink" not in r.json
    # joins over header and lines work as in SQL
    join = (
        "SELECT T0.DocEntry, SUM(T1.Quantity) AS Qty FROM ORDR T0 "
        "INNER JOIN RDR1 T1 ON T1.DocEntry = T0.DocEntry GROUP BY T0.DocEntry ORDER BY T0.DocEntry"
    )
    assert (
        await sl.post("SQLQueries", {"SqlCode": "q", "SqlName": "q", "SqlText": join})
    ).status == 201
    r = await sl.post("SQLQueries('q')/List")
    assert [(x["DocEntry"], x["Qty"]) for x in r.json["value"]] == [(1, 1), (2, 4), (3, 4), (4, 6)]
    # patch and delete
    r = await sl.patch("SQLQueries('q')", {"SqlName": "renamed"})
    assert r.status == 204
    assert (await sl.get("SQLQueries('q')")).json["SqlName"] == "renamed"
    assert (await sl.call("DELETE", "SQLQueries('q')")).status == 204
    assert (await sl.get("SQLQueries('q')")).status == 404


async def test_refused_statements_and_parameters(sl: SL) -> None:
    for text in ("DELETE FROM ORDR", "SELECT 1; DROP TABLE ORDR", "UPDATE ORDR SET DocTotal=0"):
        r = await sl.post("SQLQueries", {"SqlCode": "x", "SqlName": "x", "SqlText": text})
        assert r.status == 400 and r.error["code"] == 702, (text, r)
    ok = {"SqlCode": "t", "SqlName": "t", "SqlText": "SELECT * FROM OUSR"}
    assert (await sl.post("SQLQueries", ok)).status == 201
    r = await sl.post("SQLQueries('t')/List")
    assert r.status == 400 and r.error["code"] == 702  # a table outside the allowed list
    await sl.post("SQLQueries", {"SqlCode": "big", "SqlName": "b", "SqlText": BIG})
    r = await sl.post("SQLQueries('big')/List", {"ParamList": "minTotal=1"})
    assert r.status == 400 and r.error["code"] == 704 and "card" in r.error["message"]["value"]
    r = await sl.post("SQLQueries('big')/List", {"ParamList": "minTotal=1&card='x'&extra=2"})
    assert r.status == 400 and r.error["code"] == 704
    r = await sl.post("SQLQueries", {"SqlCode": "big", "SqlName": "b", "SqlText": BIG})
    assert r.status == 400  # the code exists
    assert (await sl.post("SQLQueries('nope')/List")).status == 404
    r = await sl.post("SQLQueries", {"SqlCode": "m", "SqlName": "m"})
    assert r.status == 400 and "SqlText" in r.error["message"]["value"]


def test_b1sl_python_sql_queries_run() -> None:
    with live_fakesap() as live:
        from b1sl.b1sl.client import B1Client
        from b1sl.b1sl.config import B1Config

        cfg = B1Config(
            base_url=live.base, username="manager", password="manager", company_db="SBODEMOES"
        )
        with B1Client(cfg, version="v2") as b1:
            for n in range(3):
                b1._adapter.post("Orders", data=order(n + 1))
            b1._adapter.post("SQLQueries", data={"SqlCode": "big", "SqlName": "b", "SqlText": BIG})
            result = b1.sql_queries.run("big", minTotal=0, card="C10011")
            assert [row["DocEntry"] for row in result.rows] == [1, 2, 3]
            assert result.sql_text == BIG
            streamed = list(
                b1.sql_queries.run_stream("big", page_size=2, minTotal=0, card="C10011")
            )
            assert [row["DocEntry"] for row in streamed] == [1, 2, 3]
            info = b1.sql_queries.describe("big")
            assert info.params == ["minTotal", "card"]
