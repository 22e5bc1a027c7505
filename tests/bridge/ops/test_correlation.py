"""The order's correlation id travels as ``X-Correlation-ID`` on SAP and shop calls made
for it (the same id the bridge's log lines carry), and not on calls made for no order."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestServer

from bridge.sap.client import ServiceLayerClient
from bridge.shop.client import WooClient
from sapchaos.logs import correlated


async def test_sap_and_shop_calls_carry_the_correlation_id() -> None:
    seen: list[tuple[str, str | None]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append((request.path, request.headers.get("X-Correlation-ID")))
        if request.path.endswith("/Login"):
            resp = web.json_response({"SessionId": "s1", "SessionTimeout": 30})
            resp.set_cookie("B1SESSION", "s1")
            return resp
        return web.json_response({"value": [], "id": 7})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    async with TestServer(app) as server:
        sap = ServiceLayerClient(
            str(server.make_url("/b1s/v1")), "SBODEMO", "manager", "pw", 2.0, 5.0, 2
        )
        shop = WooClient(str(server.make_url("")), "ck_x", "cs_x", 5.0)
        try:
            with correlated("wc:7"):
                await sap.request("GET", "Items", params={"$top": "1"})
                await shop.request("GET", "orders/7")
            await shop.request("GET", "orders/8")  # no order in context: no header
        finally:
            await sap.close()
            await shop.close()
    by_path = {path: cid for path, cid in seen}
    assert by_path["/b1s/v1/Items"] == "wc:7"
    assert by_path["/wp-json/wc/v3/orders/7"] == "wc:7"
    assert by_path["/wp-json/wc/v3/orders/8"] is None
