"""Each fault observed from a plain HTTP client against a running fakesap."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.fakesap.test_faults_helpers import Client, binomial_interval, order_body, start


@pytest.fixture
async def sl() -> AsyncIterator[Client]:
    async for client in start():
        yield client


async def post_order(sl: Client, n: int, **kw: object) -> aiohttp.ClientResponse:
    return await sl.http.post(sl.url("/b1s/v1/Orders"), json=order_body(n), **kw)  # type: ignore[arg-type]


async def test_http_error_share_within_binomial_interval(sl: Client) -> None:
    await sl.add_rule(
        {
            "id": "flaky",
            "fault": "http_error",
            "methods": ["GET"],
            "path": "Orders",
            "probability": 0.3,
            "params": {"status": 503},
        }
    )
    n = 2000
    statuses: list[int] = []

    async def one() -> None:
        async with sl.http.get(sl.url("/b1s/v1/Orders")) as r:
            statuses.append(r.status)
            if r.status == 503:
                body = await r.json()
                assert body["error"]["code"] == -1
                assert body["error"]["message"]["value"] == "Service Unavailable"

    for _ in range(n // 50):
        await asyncio.gather(*(one() for _ in range(50)))
    failures = sum(1 for s in statuses if s == 503)
    assert set(statuses) <= {200, 503}
    lo, hi = binomial_interval(n, 0.3)
    print(f"http_error: {failures}/{n} 503s, 99.9% interval [{lo:.0f}, {hi:.0f}]")
    assert lo <= failures <= hi
    _, listing = await sl.admin("GET", "/__admin/faults")
    assert listing["rules"][0]["fired"] == failures


async def test_http_error_gateway_html_and_v2_sl_body(sl: Client) -> None:
    await sl.add_rule(
        {"fault": "http_error", "version": "v1", "params": {"status": 502, "style": "nginx"}}
    )
    await sl.add_rule(
        {"fault": "http_error", "version": "v2", "params": {"status": 500, "style": "sl"}}
    )
    async with sl.http.post(sl.url("/b1s/v1/Orders"), json=order_body(1)) as r:
        assert r.status == 502
        assert r.content_type == "text/html"
        assert "<title>502 Bad Gateway</title>" in await r.text()
    async with sl.http.get(sl.url("/b1s/v2/Orders")) as r:
        assert r.status == 500
        assert await r.json() == {"error": {"code": "-1", "message": "Internal error"}}
    assert await sl.documents() == []  # nothing committed behind a plain 5xx


async def test_latency_delays_the_matching_endpoint_only(sl: Client) -> None:
    await sl.add_rule(
        {"fault": "latency", "methods": ["POST"], "path": "Orders", "params": {"ms": 300}}
    )
    t0 = time.monotonic()
    async with await post_order(sl, 1) as r:
        assert r.status == 201
    slow = time.monotonic() - t0
    t0 = time.monotonic()
    async with sl.http.get(sl.url("/b1s/v1/Orders")) as r:
        assert r.status == 200
    fast = time.monotonic() - t0
    assert slow >= 0.3
    assert fast < 0.3


async def test_hang_never_answers_and_does_not_block_others(sl: Client) -> None:
    await sl.add_rule({"fault": "hang", "methods": ["POST"], "path": "Orders"})
    hung = asyncio.ensure_future(post_order(sl, 1, timeout=aiohttp.ClientTimeout(total=0.5)))
    await asyncio.sleep(0.1)
    async with sl.http.get(sl.url("/b1s/v1/Orders")) as r:  # served while the POST hangs
        assert r.status == 200
    assert not hung.done()
    with pytest.raises(asyncio.TimeoutError):
        await hung
    assert await sl.documents() == []


async def test_commit_then_fail_error_leaves_document(sl: Client) -> None:
    await sl.add_rule(
        {"fault": "commit_then_fail", "max_count": 1, "params": {"outcome": "error", "status": 504}}
    )
    async with await post_order(sl, 1) as r:
        assert r.status == 504
        assert r.content_type == "text/html"
    docs = await sl.documents()
    assert [d["document"]["U_IdemKey"] for d in docs] == ["wc:1:order"]


async def test_commit_then_fail_reset_leaves_document(sl: Client) -> None:
    await sl.add_rule({"fault": "commit_then_fail", "max_count": 1, "params": {"outcome": "reset"}})
    with pytest.raises(aiohttp.ClientError) as info:
        async with await post_order(sl, 2):
            pass
    assert not isinstance(info.value, aiohttp.ClientResponseError)
    docs = await sl.documents()
    assert [d["document"]["U_IdemKey"] for d in docs] == ["wc:2:order"]


async def test_late_commit_commits_after_client_gave_up(sl: Client) -> None:
    await sl.add_rule(
        {
            "fault": "late_commit",
            "path": "Orders",
            "methods": ["POST"],
            "params": {"delay_s": 0.4, "after_disconnect": True},
        }
    )
    with pytest.raises(asyncio.TimeoutError):
        await post_order(sl, 3, timeout=aiohttp.ClientTimeout(total=0.3))
    gave_up = time.time()
    await asyncio.sleep(0.2)
    assert await sl.documents() == []  # not yet: the SL is still "working"
    for _ in range(60):
        docs = await sl.documents()
        if docs:
            break
        await asyncio.sleep(0.05)
    assert [d["document"]["U_IdemKey"] for d in docs] == ["wc:3:order"]
    committed_at = docs[0]["committed_at"]
    if isinstance(committed_at, str):  # ISO 8601 in the real core's ground truth
        from datetime import datetime

        committed_at = datetime.fromisoformat(committed_at.replace("Z", "+00:00")).timestamp()
    assert committed_at >= gave_up + 0.3


async def test_line_reject_refuses_whole_document_naming_line(sl: Client) -> None:
    await sl.add_rule({"fault": "line_reject", "params": {"skus": ["MUG-LOGO"]}})
    body = order_body(4, skus=("TSH-RED-M", "MUG-LOGO"))
    async with sl.http.post(sl.url("/b1s/v1/Orders"), json=body) as r:
        assert r.status == 400
        err = (await r.json())["error"]
    assert err["code"] == -10
    assert "[RDR1.ItemCode][line: 2]" in err["message"]["value"]
    assert "MUG-LOGO" in err["message"]["value"]
    async with await post_order(sl, 5) as r:  # a document without the sku goes through
        assert r.status == 201
    assert [d["document"]["U_IdemKey"] for d in await sl.documents()] == ["wc:5:order"]


async def test_partial_document_line_patch_refused_header_stays(sl: Client) -> None:
    await sl.add_rule({"fault": "partial_document", "params": {"line": "last"}})
    header = order_body(6)
    async with sl.http.post(sl.url("/b1s/v1/Orders"), json=header) as r:
        assert r.status == 201
        entry = (await r.json())["DocEntry"]
    patch = {
        "DocumentLines": [
            {"ItemCode": "MUG-LOGO", "Quantity": 1, "WarehouseCode": "01"},
            {"ItemCode": "SOCKS-3PK", "Quantity": 2, "WarehouseCode": "01"},
        ]
    }
    async with sl.http.patch(sl.url(f"/b1s/v1/Orders({entry})"), json=patch) as r:
        assert r.status == 400
        err = (await r.json())["error"]
    assert "[RDR1.ItemCode][line: 3]" in err["message"]["value"]
    assert "SOCKS-3PK" in err["message"]["value"]
    async with sl.http.get(sl.url(f"/b1s/v1/Orders({entry})")) as r:
        doc = await r.json()
    assert [line["ItemCode"] for line in doc["DocumentLines"]] == ["TSH-RED-M"]


async def test_session_expiry_gives_401_until_relogin(sl: Client) -> None:
    await sl.add_rule({"fault": "session_expiry", "max_count": 1, "params": {"scope": "all"}})
    async with sl.http.get(sl.url("/b1s/v1/Orders")) as r:
        assert r.status == 401
        assert (await r.json())["error"]["code"] == 301
    async with sl.http.get(sl.url("/b1s/v1/Orders")) as r:
        assert r.status == 401  # the session is really gone, not just one reply
    await sl.login()
    async with sl.http.get(sl.url("/b1s/v1/Orders")) as r:
        assert r.status == 200


async def test_rate_limit_429_with_retry_after(sl: Client) -> None:
    await sl.add_rule({"fault": "rate_limit", "params": {"retry_after_s": 7}})
    async with await post_order(sl, 7) as r:
        assert r.status == 429
        assert r.headers["Retry-After"] == "7"
        assert (await r.json())["error"]["message"]["value"].startswith("Too many requests")
    assert await sl.documents() == []


@pytest.mark.parametrize(
    ("variant", "committed"),
    [
        ("truncated_json", True),
        ("wrong_content_type", True),
        ("empty_200", True),
        ("html_page", False),
    ],
)
async def test_malformed_variants(sl: Client, variant: str, committed: bool) -> None:
    await sl.add_rule({"fault": "malformed", "params": {"variant": variant}})
    async with await post_order(sl, 8) as r:
        raw = await r.read()
        ctype = r.content_type
        status = r.status
    if variant == "truncated_json":
        assert status == 201 and ctype == "application/json" and raw
        with pytest.raises(ValueError):
            json.loads(raw)
    elif variant == "wrong_content_type":
        assert status == 200 and ctype == "text/html"
        assert json.loads(raw)["U_IdemKey"] == "wc:8:order"
    elif variant == "empty_200":
        assert status == 200 and raw == b""
    else:
        assert status == 200 and ctype == "text/html" and b"<form" in raw
    assert len(await sl.documents()) == (1 if committed else 0)


async def test_reset_closes_connection_without_reply(sl: Client) -> None:
    await sl.add_rule({"fault": "reset", "methods": ["POST"]})
    with pytest.raises(aiohttp.ClientError) as info:
        async with await post_order(sl, 9):
            pass
    assert not isinstance(info.value, aiohttp.ClientResponseError)
    assert await sl.documents() == []
    async with sl.http.get(sl.url("/b1s/v1/Orders")) as r:  # the server itself is fine
        assert r.status == 200


async def test_hang_and_late_commit_without_handler_cancellation() -> None:
    """Production servers (AppRunner) do not cancel handlers on disconnect: a hang must
    notice the client left, and a late commit must still land."""
    from aiohttp import web

    from fakesap.faults import FaultsConfig
    from sapchaos.net import free_port
    from tests.fakesap.test_faults_helpers import build_app

    runner = web.AppRunner(build_app(FaultsConfig(seed=1)))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.post(
                f"{base}/b1s/v1/Login",
                json={"CompanyDB": "SBODEMOES", "UserName": "manager", "Password": "manager"},
            ) as r:
                assert r.status == 200
            for rule in (
                {"id": "h", "fault": "hang", "methods": ["GET"], "path": "Orders", "max_count": 1},
                {
                    "id": "lc",
                    "fault": "late_commit",
                    "methods": ["POST"],
                    "params": {"delay_s": 0.5},
                },
            ):
                async with http.post(f"{base}/__admin/faults", json=rule) as r:
                    assert r.status == 201
            with pytest.raises(asyncio.TimeoutError):
                await http.get(f"{base}/b1s/v1/Orders", timeout=aiohttp.ClientTimeout(total=0.3))
            with pytest.raises(asyncio.TimeoutError):
                await http.post(
                    f"{base}/b1s/v1/Orders",
                    json=order_body(11),
                    timeout=aiohttp.ClientTimeout(total=0.2),
                )
            history: list[dict[str, Any]] = []
            docs: list[dict[str, Any]] = []
            for _ in range(40):
                async with http.get(f"{base}/__admin/faults/history") as r:
                    history = [d for d in (await r.json())["decisions"] if "facts" in d]
                async with http.get(f"{base}/__admin/documents") as r:
                    docs = (await r.json())["documents"]
                if len(history) == 2 and docs:
                    break
                await asyncio.sleep(0.05)
            facts = {d["rules"][0]: d["facts"][0] for d in history}
            assert facts["h"]["client_gave_up"] is True
            assert facts["lc"]["committed"] is True and facts["lc"]["client_gave_up"] is True
            assert len(docs) == 1
    finally:
        await runner.cleanup()


async def test_deeply_nested_body_with_rules_active_is_400_invalid_json(sl: Client) -> None:
    # a rule that parses bodies (line_reject looks at DocumentLines) must not turn an
    # over-deep body into a 500: the handler answers it as invalid JSON
    await sl.add_rule({"fault": "line_reject", "path": "Orders", "params": {"skus": ["X"]}})
    deep = b'{"DocumentLines": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    async with sl.http.post(
        sl.url("/b1s/v1/Orders"), data=deep, headers={"Content-Type": "application/json"}
    ) as r:
        assert r.status == 400
        body = await r.json()
        assert body["error"]["code"] == -1000
        assert body["error"]["message"]["value"].startswith("Invalid JSON")
    async with sl.http.post(sl.url("/b1s/v1/Orders"), json=order_body(1)) as r:
        assert r.status == 201  # the engine is still healthy afterwards


async def test_requests_are_counted_with_and_without_rules(sl: Client) -> None:
    _, before = await sl.admin("GET", "/__admin/faults")
    for n in (1, 2):
        async with sl.http.post(sl.url("/b1s/v1/Orders"), json=order_body(n)) as r:
            assert r.status == 201
    _, listing = await sl.admin("GET", "/__admin/faults")
    assert listing["requests_seen"] == before["requests_seen"] + 2
    assert listing["rules"] == []
    await sl.add_rule({"fault": "latency", "methods": ["GET"], "params": {"ms": 1}})
    async with sl.http.post(sl.url("/b1s/v1/Orders"), json=order_body(3)) as r:
        assert r.status == 201
    _, listing = await sl.admin("GET", "/__admin/faults")
    assert listing["requests_seen"] == before["requests_seen"] + 3
    assert listing["rules"][0]["fired"] == 0
