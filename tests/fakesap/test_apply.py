"""``$apply`` aggregate/groupby/filter as the Service Layer manual documents them, through
plain HTTP and the third-party b1sl-python query builder (``.apply()``, ``.page_size()``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from b1sl.b1sl.models.base import B1Model
from pydantic import ConfigDict

from .conftest import StartSL
from .live import live_fakesap
from .sl_client import SL, order


class Row(B1Model):
    """Any SL row (b1sl-python validates each row through a pydantic model)."""

    model_config = ConfigDict(extra="allow")


def lines(qty: int) -> list[dict[str, Any]]:
    return [{"ItemCode": "TSH-RED-M", "Quantity": qty, "WarehouseCode": "01"}]


async def _seed(sl: SL) -> list[dict[str, Any]]:
    docs = []
    for n, (card, qty) in enumerate((("C10011", 1), ("C10011", 3), ("C10012", 2), ("C10013", 5))):
        docs.append(await sl.create("Orders", order(n + 1, lines=lines(qty), CardCode=card)))
    return docs


async def test_aggregate_sum_count_average_min_max_countdistinct(sl: SL) -> None:
    docs = await _seed(sl)
    totals = [Decimal(str(d["DocTotal"])) for d in docs]
    apply = (
        "aggregate(DocTotal with sum as Total, DocTotal with max as Top, "
        "DocTotal with min as Low, DocTotal with average as Mean, "
        "CardCode with countdistinct as Customers, $count as Orders)"
    )
    r = await sl.get(f"Orders?$apply={apply}")
    assert r.status == 200, r
    [row] = r.json["value"]
    assert row["Total"] == sum(totals)
    assert row["Top"] == max(totals) and row["Low"] == min(totals)
    assert abs(row["Mean"] - sum(totals) / 4) < Decimal("0.0001")
    assert row["Customers"] == 3 and row["Orders"] == 4


async def test_groupby_with_filter_orderby_and_paging(start_sl: StartSL) -> None:
    sl = await start_sl(version="v2")
    docs = await _seed(sl)
    r = await sl.get(
        "Orders?$apply=groupby((CardCode), aggregate(DocTotal with sum as Total, $count as N))"
        "&$orderby=Total desc"
    )
    assert r.status == 200, r
    rows = r.json["value"]
    by_card: dict[str, Decimal] = {}
    for d in docs:
        by_card[d["CardCode"]] = by_card.get(d["CardCode"], Decimal(0)) + Decimal(
            str(d["DocTotal"])
        )
    assert [(x["CardCode"], x["Total"]) for x in rows] == sorted(
        by_card.items(), key=lambda kv: kv[1], reverse=True
    )
    assert {x["CardCode"]: x["N"] for x in rows}["C10011"] == 2
    # filter() as a step, and $filter before the transformations
    r = await sl.get("Orders?$apply=filter(CardCode eq 'C10011')/aggregate($count as N)")
    assert r.json["value"] == [{"N": 2}]
    r = await sl.get("Orders?$filter=CardCode ne 'C10011'&$apply=aggregate($count as N)")
    assert r.json["value"] == [{"N": 2}]
    r = await sl.get("Orders?$apply=groupby((CardCode))&$orderby=CardCode")
    assert r.json["value"] == [{"CardCode": c} for c in ("C10011", "C10012", "C10013")]
    # server paging of aggregated rows; the next link repeats $apply
    r = await sl.get(
        "Orders?$apply=groupby((CardCode))&$orderby=CardCode", headers={"B1S-PageSize": "2"}
    )
    assert len(r.json["value"]) == 2
    r = await sl.get(r.json["@odata.nextLink"], headers={"B1S-PageSize": "2"})
    assert r.json["value"] == [{"CardCode": "C10013"}]
    # case-insensitive inside filter()
    r = await sl.get(
        "Orders?$apply=filter(CardCode eq 'c10011')/aggregate($count as N)",
        headers={"B1S-CaseInsensitive": "true"},
    )
    assert r.json["value"] == [{"N": 2}]


async def test_bad_apply_is_a_400_naming_apply(sl: SL) -> None:
    for bad in (
        "aggregate(DocTotal with median as M)",
        "aggregate(DocTotal as M)",
        "aggregate(Nope with sum as M)",
        "groupby(CardCode)",
        "compute(DocTotal mul 2 as X)",
        "aggregate(DocTotal with sum as A, DocTotal with max as A)",
        "filter(CardCode eq 'x'",
    ):
        r = await sl.get(f"Orders?$apply={bad}")
        assert r.status == 400, (bad, r)
        assert "$apply" in r.error["message"]["value"], bad
    r = await sl.get("Orders?$apply=groupby((CardCode))&$orderby=DocTotal")
    assert r.status == 400  # after groupby only the group properties exist


def test_b1sl_python_apply_and_page_size() -> None:
    with live_fakesap() as live:
        from b1sl.b1sl.client import B1Client
        from b1sl.b1sl.config import B1Config

        cfg = B1Config(
            base_url=live.base, username="manager", password="manager", company_db="SBODEMOES"
        )
        with B1Client(cfg, version="v2") as b1:
            for n in range(3):
                b1._adapter.post("Orders", data=order(n + 1, CardCode=f"C1001{n + 1}"))
            orders = b1.get_resource(Row, "Orders")
            grouped = orders.apply("groupby((CardCode), aggregate($count as N))").execute()
            got = sorted((r.model_dump()["CardCode"], r.model_dump()["N"]) for r in grouped)
            assert got == [("C10011", 1), ("C10012", 1), ("C10013", 1)]
            page = orders.page_size(2).select("DocEntry").execute()
            assert [r.model_dump()["DocEntry"] for r in page] == [1, 2]
            assert page.next_params is not None and page.next_params["$skip"] == "2"
