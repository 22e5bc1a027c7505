"""The query layer behind a real aiohttp server, wired the way fakesap's HTTP layer uses it.

A tiny collection endpoint (defined here, not fakesap's app) proves the contract: URL
decoding, SL 400 bodies for QueryError, nextLink paging with Prefer, counts per flavour.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from fakesap.errors import ODataVersion, error_bytes
from fakesap.odata import (
    QueryError,
    apply_query,
    next_link,
    page_size_from_prefer,
    parse_query,
    quote_string,
)

ORDERS_KEY = web.AppKey("orders", list)


async def collection(request: web.Request) -> web.Response:
    assert request.match_info["version"] in ("v1", "v2")
    version: ODataVersion = "v2" if request.match_info["version"] == "v2" else "v1"
    size, applied = page_size_from_prefer(request.headers.get("Prefer"))
    try:
        opts = parse_query(request.query, version, size)
    except QueryError as err:
        sl = err.sl_error()
        return web.Response(
            status=sl.status, body=error_bytes(sl, version), content_type="application/json"
        )
    rows: list[dict[str, Any]] = request.app[ORDERS_KEY]
    result = apply_query(rows, opts, opts.page_size)
    prefix = "odata." if version == "v1" else "@odata."
    body: dict[str, Any] = {"value": result.rows}
    if opts.count:
        body[prefix + "count"] = result.total
    if result.next_skip is not None:
        body[prefix + "nextLink"] = next_link("Orders", opts, result.next_skip)
    headers = {"Preference-Applied": f"odata.maxpagesize={size}"} if applied else {}
    return web.Response(
        text=json.dumps(body, default=str), content_type="application/json", headers=headers
    )


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    app = web.Application()
    app[ORDERS_KEY] = [
        {
            "DocEntry": i,
            "CardCode": "C1" if i % 2 else "C2",
            "CardName": "O'Connor" if i == 7 else f"Customer {i}",
            "DocTotal": Decimal(i) * Decimal("10.25"),
            "U_IdemKey": f"wc:{i}:order",
        }
        for i in range(1, 51)
    ]
    app.router.add_get("/b1s/{version}/Orders", collection)
    server = TestServer(app, port=0)
    await server.start_server()
    yield str(server.make_url("/b1s"))
    await server.close()


async def test_lookup_by_idempotency_key(base_url: str) -> None:
    filter_text = quote(f"U_IdemKey eq {quote_string('wc:7:order')}")
    async with (
        ClientSession() as http,
        http.get(f"{base_url}/v1/Orders?$filter={filter_text}&$select=DocEntry") as resp,
    ):
        assert resp.status == 200
        assert (await resp.json())["value"] == [{"DocEntry": 7}]


async def test_paging_through_next_links_with_prefer(base_url: str) -> None:
    seen: list[int] = []
    url: str | None = f"{base_url}/v2/Orders?$filter=CardCode%20eq%20'C1'&$count=true"
    async with ClientSession() as http:
        while url is not None:
            async with http.get(url, headers={"Prefer": "odata.maxpagesize=10"}) as resp:
                assert resp.status == 200
                assert resp.headers["Preference-Applied"] == "odata.maxpagesize=10"
                body = await resp.json()
            assert body["@odata.count"] == 25
            seen += [row["DocEntry"] for row in body["value"]]
            link = body.get("@odata.nextLink")
            url = f"{base_url}/v2/{link}" if link else None
    assert seen == list(range(1, 51, 2))


async def test_default_page_is_twenty(base_url: str) -> None:
    async with ClientSession() as http, http.get(f"{base_url}/v1/Orders") as resp:
        body = await resp.json()
    assert len(body["value"]) == 20
    assert body["odata.nextLink"] == "Orders?$skip=20"


async def test_escaped_quote_survives_the_url(base_url: str) -> None:
    filter_text = quote("CardName eq " + quote_string("O'Connor"))
    async with (
        ClientSession() as http,
        http.get(f"{base_url}/v1/Orders?$filter={filter_text}") as resp,
    ):
        rows = (await resp.json())["value"]
    assert [row["DocEntry"] for row in rows] == [7]


@pytest.mark.parametrize(
    ("version", "query", "fragment"),
    [
        ("v1", "$filter=CardCode%20EQ%20'C1'", "Invalid $filter: unknown operator 'EQ'"),
        ("v1", "$filter=(CardCode%20eq%20'C1'", "missing ')'"),
        ("v2", "$top=-5", "Invalid query option $top"),
        ("v2", "$inlinecount=allpages", "$count=true"),
        ("v1", "$top=1&$top=2", "more than once"),
    ],
)
async def test_bad_queries_are_sl_400s(
    base_url: str, version: str, query: str, fragment: str
) -> None:
    async with ClientSession() as http, http.get(f"{base_url}/{version}/Orders?{query}") as resp:
        assert resp.status == 400
        body = await resp.json()
    if version == "v1":
        assert body["error"]["code"] == -1000
        assert fragment in body["error"]["message"]["value"]
    else:
        assert body["error"]["code"] == "-1000"
        assert fragment in body["error"]["message"]
