"""WooClient against the real fakeshop app: OAuth 1.0a over http, notes, status updates."""

from __future__ import annotations

from aiohttp.test_utils import TestServer

from bridge.shop.client import ShopError, WooClient
from fakeshop.app import create_app
from fakeshop.config import DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, ShopConfig


async def test_oauth_read_note_status_against_fakeshop() -> None:
    async with TestServer(create_app(ShopConfig(seed=3))) as server:
        base = str(server.make_url("")).rstrip("/")
        async with server_client(base) as admin:
            created = await admin.post(f"{base}/__admin/orders/generate", json={"count": 1})
            order_id = (await created.json())["created"][0]
        async with WooClient(base, DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET) as shop:
            order = await shop.get_order(order_id)
            assert order["id"] == order_id and order["line_items"]
            note = await shop.add_note(
                order_id, "SAP sales order 1 created (DocEntry 1, key wc:1:order)."
            )
            assert note["note"].startswith("SAP sales order 1")
            updated = await shop.set_status(order_id, "on-hold")
            assert updated["status"] == "on-hold"
            try:
                await shop.get_order(999999)
            except ShopError as exc:
                assert exc.status == 404 and exc.code == "woocommerce_rest_shop_order_invalid_id"
                assert not exc.transient
            else:
                raise AssertionError("expected a 404")
        async with WooClient(base, DEFAULT_CONSUMER_KEY, "cs_wrong") as bad:
            try:
                await bad.get_order(order_id)
            except ShopError as exc:
                assert exc.status == 401
            else:
                raise AssertionError("expected a 401")
        async with server_client(base) as admin:
            received = (await (await admin.get(f"{base}/__admin/received")).json())["received"]
        kinds = [r["kind"] for r in received if r["order_id"] == order_id]
        assert "note" in kinds and "status" in kinds


def server_client(base: str):  # type: ignore[no-untyped-def]
    import aiohttp

    return aiohttp.ClientSession()
