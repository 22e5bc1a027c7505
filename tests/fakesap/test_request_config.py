"""Configuration by request (B1S-PageSize, B1S-CaseInsensitive), ROUTEID values that name
no node, the ping endpoints, and v2's @odata.etag; through plain HTTP and through the
third-party SL client b1sl-python."""

from __future__ import annotations

import aiohttp
import httpx
from b1sl.b1sl.config import B1Config
from b1sl.b1sl.rest_adapter import RestAdapter

from fakesap.config import FakeSapConfig

from .conftest import StartSL
from .live import live_fakesap
from .sl_client import LOGIN, order


async def _orders(sl, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        await sl.create("Orders", order(i + 1))


async def test_b1s_pagesize_sets_the_page_and_next_links_continue_with_it(
    start_sl: StartSL,
) -> None:
    sl = await start_sl()
    await _orders(sl, 7)
    size = {"B1S-PageSize": "3"}
    seen: list[int] = []
    path = "Orders?$select=DocEntry"
    pages = []
    while path:
        r = await sl.get(path, headers=size)
        assert r.status == 200, r
        pages.append(len(r.json["value"]))
        seen += [row["DocEntry"] for row in r.json["value"]]
        path = r.json.get("odata.nextLink")
    assert pages == [3, 3, 1]
    assert seen == list(range(1, 8))
    # without the header: the server's page (20) holds all seven
    r = await sl.get("Orders?$select=DocEntry")
    assert len(r.json["value"]) == 7 and "odata.nextLink" not in r.json


async def test_b1s_pagesize_wins_over_prefer_and_zero_means_one_page(start_sl: StartSL) -> None:
    sl = await start_sl(page_size=2)
    await _orders(sl, 5)
    r = await sl.get(
        "Orders?$select=DocEntry",
        headers={"B1S-PageSize": "4", "Prefer": "odata.maxpagesize=1"},
    )
    assert len(r.json["value"]) == 4
    assert "Preference-Applied" not in r.headers
    r = await sl.get("Orders?$select=DocEntry", headers={"B1S-PageSize": "0"})
    assert len(r.json["value"]) == 5 and "odata.nextLink" not in r.json
    r = await sl.get("Orders?$select=DocEntry", headers={"Prefer": "odata.maxpagesize=3"})
    assert len(r.json["value"]) == 3
    assert r.headers["Preference-Applied"] == "odata.maxpagesize=3"


async def test_bad_request_config_headers_are_400s_naming_the_header(start_sl: StartSL) -> None:
    sl = await start_sl()
    for header, value in (("B1S-PageSize", "ten"), ("B1S-PageSize", "-1")):
        r = await sl.get("Orders", headers={header: value})
        assert r.status == 400, r
        assert header in r.error["message"]["value"]
    r = await sl.get("Orders", headers={"B1S-CaseInsensitive": "yes"})
    assert r.status == 400 and "B1S-CaseInsensitive" in r.error["message"]["value"]


async def test_case_insensitive_filter(start_sl: StartSL) -> None:
    sl = await start_sl(version="v2")
    q = "BusinessPartners?$filter=CardName eq 'lucía fernández'&$select=CardCode"
    r = await sl.get(q)
    assert r.status == 200 and r.json["value"] == []  # HANA: case-sensitive by default
    ci = {"B1S-CaseInsensitive": "true"}
    r = await sl.get(q, headers=ci)
    assert [row["CardCode"] for row in r.json["value"]] == ["C10011"]
    r = await sl.get(
        "BusinessPartners?$filter=contains(CardName,'O''CONNOR')&$select=CardCode", headers=ci
    )
    assert [row["CardCode"] for row in r.json["value"]] == ["C10012"]
    r = await sl.get("BusinessPartners/$count?$filter=startswith(CardCode,'c1001')", headers=ci)
    assert int(r.text) >= 3
    r = await sl.get("BusinessPartners/$count?$filter=startswith(CardCode,'c1001')")
    assert r.text == "0"
    # false is the default; numbers and dates are untouched
    r = await sl.get(q, headers={"B1S-CaseInsensitive": "false"})
    assert r.json["value"] == []


async def test_routeid_naming_no_node_is_treated_as_absent(start_sl: StartSL) -> None:
    sl = await start_sl(login=False)
    r = await sl.login()
    sid = r.json["SessionId"]
    async with aiohttp.ClientSession() as http:  # no jar: only the cookies given here

        async def status(route: str) -> int:
            cookie = {"Cookie": f"B1SESSION={sid}; ROUTEID={route}"}
            async with http.get(sl.url("Orders"), headers=cookie) as reply:
                return reply.status

        for route in ("None", "", "null", '"None"'):
            assert await status(route) == 200, route
        assert await status(".node1") == 200
        assert await status(".node2") == 401  # another node really does not know it


async def test_ping_balancer_and_node(start_sl: StartSL) -> None:
    sl = await start_sl(login=False, route_node=3)
    r = await sl.get("/ping/")
    assert r.status == 200 and r.json["message"] == "pong"
    assert r.json["sender"] == "SAP Business One Service Layer Load Balancer"
    assert isinstance(r.json["timestamp"], int)
    for path in ("/ping/node", "/ping/node/3"):
        r = await sl.get(path)
        assert r.status == 200 and r.json["sender"].endswith("Node 3"), r
    r = await sl.get("/ping/node/7")
    assert r.json["sender"].endswith("Load Balancer")


async def test_v2_entities_carry_odata_etag(start_sl: StartSL) -> None:
    sl = await start_sl(version="v2")
    r = await sl.post("Orders", order(1))
    assert r.status == 201
    assert r.json["@odata.etag"] == r.headers["ETag"]
    r = await sl.get("Orders(1)")
    tag = r.json["@odata.etag"]
    assert tag == r.headers["ETag"] and tag.startswith('W/"')
    r = await sl.patch("Orders(1)", {"Comments": "x"}, headers={"If-Match": tag})
    assert r.status == 204
    r = await sl.patch("Orders(1)", {"Comments": "y"}, headers={"If-Match": tag})
    assert r.status == 412  # the body's tag is as stale as the header's would be
    r = await sl.get("Orders?$select=DocEntry,DocTotal")
    [row] = r.json["value"]
    assert set(row) == {"@odata.etag", "DocEntry", "DocTotal"}
    assert row["@odata.etag"] == (await sl.get("Orders(1)")).headers["ETag"]
    sl.version = "v1"
    r = await sl.get("Orders?$select=DocEntry")
    assert r.json["value"] == [{"DocEntry": 1}]
    r = await sl.get("Orders(1)")
    assert "@odata.etag" not in r.json and "ETag" in r.headers


def test_b1sl_python_client_pages_with_b1s_pagesize_and_survives_routeid_none() -> None:
    with live_fakesap(FakeSapConfig()) as live:
        config = B1Config(
            base_url=live.base,
            username=LOGIN["UserName"],
            password=LOGIN["Password"],
            company_db=LOGIN["CompanyDB"],
        )
        adapter = RestAdapter(config, version="v2")
        for i in range(5):
            assert adapter.post("Orders", data=order(i + 1)).status_code == 201
        page = adapter.get(
            "Orders", ep_params={"$select": "DocEntry"}, headers={"B1S-PageSize": "2"}
        )
        rows = page.data["value"] if isinstance(page.data, dict) else page.data
        assert [row["DocEntry"] for row in rows] == [1, 2]
        assert page.next_link
        ci = adapter.get(
            "BusinessPartners",
            ep_params={"$filter": "CardName eq 'lucía fernández'", "$select": "CardCode"},
            headers={"B1S-CaseInsensitive": "true"},
        )
        found = ci.data["value"] if isinstance(ci.data, dict) else ci.data
        assert [row["CardCode"] for row in found] == ["C10011"]
        # a ROUTEID of "None" (what clients send when the login carried no route)
        sid = adapter.session_id
        with httpx.Client() as http:
            r = http.get(
                f"{live.sl('v2')}/Orders(1)",
                headers={"Cookie": f"B1SESSION={sid}; ROUTEID=None"},
            )
            assert r.status_code == 200
            assert r.json()["@odata.etag"] == r.headers["ETag"]
        adapter.close()
