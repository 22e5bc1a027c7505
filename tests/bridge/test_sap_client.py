"""ServiceLayerClient against a tiny SL stub: cookies, re-login on 401, classification, paging."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bridge.sap.client import ServiceLayerClient
from bridge.sap.errors import Ambiguous, Permanent, Transient

V1_SESSION_ERR = {
    "error": {
        "code": 301,
        "message": {"lang": "en-us", "value": "Invalid session or session already timeout."},
    }
}


def stub_app(state: dict[str, Any]) -> web.Application:
    async def login(request: web.Request) -> web.Response:
        body = await request.json()
        if body != {"CompanyDB": "SBO", "UserName": "manager", "Password": "pw"}:
            return web.json_response(
                {"error": {"code": -304, "message": {"lang": "en-us", "value": "Login failed"}}},
                status=401,
            )
        state["logins"] += 1
        sid = f"s{state['logins']}"
        state["valid"] = sid
        resp = web.json_response({"SessionId": sid, "SessionTimeout": 30})
        resp.set_cookie("B1SESSION", sid, httponly=True, path="/b1s")
        resp.set_cookie("ROUTEID", ".node1", path="/b1s")
        return resp

    def authed(request: web.Request) -> bool:
        return (
            request.cookies.get("B1SESSION") == state["valid"]
            and request.cookies.get("ROUTEID") == ".node1"
        )

    async def orders(request: web.Request) -> web.Response:
        if not authed(request):
            return web.json_response(V1_SESSION_ERR, status=401)
        state["filters"].append(request.query.get("$filter"))
        skip = int(request.query.get("$skip", "0"))
        page = [{"DocEntry": i} for i in range(skip, min(skip + 2, 5))]
        body: dict[str, Any] = {"value": page}
        if skip + 2 < 5:
            body["odata.nextLink"] = f"Orders?$skip={skip + 2}"
        return web.json_response(body)

    async def create(request: web.Request) -> web.Response:
        if not authed(request):
            return web.json_response(V1_SESSION_ERR, status=401)
        doc = await request.json()
        mode = doc.get("mode")
        if mode == "hang":
            await asyncio.sleep(5)
        if mode == "bad":
            return web.json_response(
                {"error": {"code": "-10", "message": "Item bad [RDR1.ItemCode][line: 1]"}},
                status=400,
            )
        if mode == "5xx":
            return web.Response(status=502, text="<html>Bad Gateway</html>")
        if mode == "429":
            return web.json_response(
                {"error": {"code": -1000, "message": "slow"}},
                status=429,
                headers={"Retry-After": "3"},
            )
        state["created"].append(doc)
        return web.json_response({"DocEntry": 1, "DocNum": 1000, **doc}, status=201)

    app = web.Application()
    app.router.add_post("/b1s/v1/Login", login)
    app.router.add_get("/b1s/v1/Orders", orders)
    app.router.add_post("/b1s/v1/Orders", create)
    return app


@pytest.fixture
async def sl() -> AsyncIterator[tuple[ServiceLayerClient, dict[str, Any]]]:
    state: dict[str, Any] = {"logins": 0, "valid": None, "filters": [], "created": []}
    async with TestServer(stub_app(state)) as server:
        client = ServiceLayerClient(
            str(server.make_url("/b1s/v1")),
            "SBO",
            "manager",
            "pw",
            connect_timeout_s=1,
            total_timeout_s=0.5,
            concurrency=2,
        )
        async with client:
            yield client, state


async def test_login_once_cookies_and_relogin_on_401(
    sl: tuple[ServiceLayerClient, dict[str, Any]],
) -> None:
    client, state = sl
    assert len(await client.query("Orders")) == 5  # three pages via odata.nextLink
    assert state["logins"] == 1
    state["valid"] = "expired-elsewhere"  # the session timed out
    await asyncio.gather(*(client.query("Orders", top=1) for _ in range(4)))
    assert state["logins"] == 2  # one fresh login shared by all callers


async def test_find_by_udf_escapes_quotes(sl: tuple[ServiceLayerClient, dict[str, Any]]) -> None:
    client, state = sl
    await client.find_by_udf("Orders", "U_IdemKey", "wc:1:o'x")
    assert state["filters"][0] == "U_IdemKey eq 'wc:1:o''x'"


async def test_classification(sl: tuple[ServiceLayerClient, dict[str, Any]]) -> None:
    client, _ = sl
    with pytest.raises(Permanent) as perm:
        await client.create("Orders", {"mode": "bad"})
    assert perm.value.code == "-10" and "line: 1" in perm.value.message
    with pytest.raises(Ambiguous):
        await client.create("Orders", {"mode": "5xx"})
    with pytest.raises(Ambiguous):
        await client.create("Orders", {"mode": "hang"})  # total timeout 0.5 s
    with pytest.raises(Transient) as limited:
        await client.create("Orders", {"mode": "429"})
    assert not isinstance(limited.value, Ambiguous) and limited.value.retry_after_s == 3
    created = await client.create("Orders", {"mode": "ok"})
    assert created["DocNum"] == 1000


async def test_connection_refused_is_transient_not_ambiguous() -> None:
    from sapchaos.net import free_port

    client = ServiceLayerClient(
        f"http://127.0.0.1:{free_port()}/b1s/v1",
        "SBO",
        "manager",
        "pw",
        connect_timeout_s=0.5,
        total_timeout_s=1,
    )
    async with client:
        with pytest.raises(Transient) as exc:
            await client.create("Orders", {})
    assert not isinstance(exc.value, Ambiguous)
