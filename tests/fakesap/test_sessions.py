"""Spec §1 Sessions: Login/Logout, cookies, idle timeout, the 401 body (code 301)."""

from __future__ import annotations

import aiohttp

from fakesap.backend import FakeSap
from fakesap.config import Company, FakeSapConfig

from .conftest import FakeClock, StartSL
from .sl_client import LOGIN, SL

INVALID_SESSION = "Invalid session or session already timeout."


async def test_login_v1_reply_shape_and_cookies(start_sl: StartSL) -> None:
    sl = await start_sl(login=False)
    r = await sl.login()
    assert r.status == 200
    body = r.json
    assert body["odata.metadata"].endswith("/b1s/v1/$metadata#B1Sessions/@Element")
    assert body["SessionTimeout"] == 30
    assert body["Version"] == "1000190"
    assert len(body["SessionId"]) == 36
    cookies = r.headers.getall("Set-Cookie")
    b1 = next(c for c in cookies if c.startswith("B1SESSION="))
    assert b1.startswith(f"B1SESSION={body['SessionId']};")
    assert "HttpOnly" in b1 and "Path=/b1s" in b1
    route = next(c for c in cookies if c.startswith("ROUTEID="))
    assert route.startswith("ROUTEID=.node1;") and "Path=/b1s" in route


async def test_login_v2_reply_uses_odata_context(start_sl: StartSL) -> None:
    sl = await start_sl(login=False, version="v2")
    r = await sl.login()
    assert r.status == 200
    assert r.json["@odata.context"].endswith("/b1s/v2/$metadata#B1Sessions/$entity")
    assert "odata.metadata" not in r.json


async def test_one_session_serves_both_flavours(sl: SL) -> None:
    assert (await sl.get("/b1s/v1/Warehouses")).status == 200
    assert (await sl.get("/b1s/v2/Warehouses")).status == 200


async def test_wrong_password_and_unknown_company_are_401_sl_errors(start_sl: StartSL) -> None:
    sl = await start_sl(login=False)
    r = await sl.login(Password="nope")
    assert r.status == 401
    assert r.error["code"] == -304
    assert r.error["message"]["lang"] == "en-us"
    r = await sl.login(CompanyDB="SBO_NOPE")
    assert r.status == 401 and "SBO_NOPE" in r.error["message"]["value"]
    r = await sl.call("POST", "Login", raw=b'{"CompanyDB": 1}')
    assert r.status == 401
    r = await sl.call("POST", "Login", raw=b"not json")
    assert r.status == 400


async def test_missing_unknown_session_gives_401_code_301_both_shapes(start_sl: StartSL) -> None:
    sl = await start_sl(login=False)
    r = await sl.get("Orders")
    assert r.status == 401
    assert r.json == {
        "error": {"code": 301, "message": {"lang": "en-us", "value": INVALID_SESSION}}
    }
    r = await sl.get("/b1s/v2/Orders", headers={"Cookie": "B1SESSION=made-up"})
    assert r.status == 401
    assert r.json == {"error": {"code": "301", "message": INVALID_SESSION}}


async def test_idle_timeout_expires_and_each_request_refreshes(
    start_sl: StartSL, clock: FakeClock
) -> None:
    state = FakeSap(FakeSapConfig(session_timeout_min=30), clock=clock)
    sl = await start_sl(state=state)
    clock.advance(29 * 60)
    assert (await sl.get("Warehouses")).status == 200  # refreshes
    clock.advance(29 * 60)
    assert (await sl.get("Warehouses")).status == 200
    clock.advance(30 * 60 + 1)
    r = await sl.get("Warehouses")
    assert r.status == 401 and r.error["code"] == 301
    assert state.sessions.ids() == []


async def test_logout_ends_the_session(sl: SL) -> None:
    r = await sl.post("Logout")
    assert r.status == 204 and r.text == ""
    r = await sl.get("Orders")
    assert r.status == 401 and r.error["code"] == 301


async def test_routeid_of_another_node_is_an_unknown_session(sl: SL) -> None:
    sid = sl.http.cookie_jar.filter_cookies(sl.server.make_url("/b1s/v1/"))["B1SESSION"].value
    async with aiohttp.ClientSession() as plain:  # no cookie jar: exactly these cookies
        cookie = f"B1SESSION={sid}; ROUTEID=.node2"
        async with plain.get(sl.url("Warehouses"), headers={"Cookie": cookie}) as resp:
            assert resp.status == 401
        cookie = f"B1SESSION={sid}; ROUTEID=.node1"
        async with plain.get(sl.url("Warehouses"), headers={"Cookie": cookie}) as resp:
            assert resp.status == 200
        # no ROUTEID at all: a single node answers anyway
        async with plain.get(sl.url("Warehouses"), headers={"Cookie": f"B1SESSION={sid}"}) as resp:
            assert resp.status == 200


async def test_login_needs_post_and_users_come_from_config(start_sl: StartSL) -> None:
    config = FakeSapConfig(
        companies=(Company("SBO_TEST", "Test", {"alice": "s3cret"}),), session_timeout_min=5
    )
    sl = await start_sl(config, login=False)
    assert (await sl.get("Login")).status == 405
    assert (await sl.login()).status == 401  # default manager/manager is not configured
    r = await sl.login(CompanyDB="SBO_TEST", UserName="alice", Password="s3cret")
    assert r.status == 200 and r.json["SessionTimeout"] == 5


async def test_sessions_seam_for_the_fault_engine(sl: SL) -> None:
    from fakesap.app import FAKESAP_KEY

    sap = sl.server.app[FAKESAP_KEY]
    assert len(sap.sessions.ids()) == 1
    assert sap.sessions.drop(sap.sessions.ids()[0]) is True
    assert (await sl.get("Orders")).status == 401
    await sl.login()
    await sl.login()
    assert sap.sessions.drop_all() == 2
    assert LOGIN["CompanyDB"] == "SBODEMOES"


async def test_session_limit_per_user_like_licence_exhaustion(
    start_sl: StartSL, clock: FakeClock
) -> None:
    state = FakeSap(FakeSapConfig(max_sessions_per_user=2, session_timeout_min=30), clock=clock)
    sl = await start_sl(state=state)
    assert (await sl.login()).status == 200
    r = await sl.login()
    assert r.status == 401 and "already has 2 sessions" in r.error["message"]["value"]
    await sl.post("Logout")  # ends the newest manager session (the cookie jar's)
    assert (await sl.login()).status == 200  # logging out freed a slot
    assert (await sl.login(UserName="bridge", Password="bridge")).status == 200  # per user
    clock.advance(31 * 60)
    assert (await sl.login()).status == 200  # idle sessions do not count
