"""Stock sync converges against fakesap's back-office stock drift (goods receipts and
issues SAP users post by hand): after every pass each managed product's shop stock equals
the rule's result over SAP's warehouses; a pass right after another sends nothing; the
safety buffer, warehouse choice and committed stock are applied."""

from __future__ import annotations

from typing import Any

import aiohttp

from bridge.sap.client import ServiceLayerClient
from bridge.stock import StockRule, StockSync, effective_stock
from tests.bridge.stack import Stack, stack


async def _sap_items(sap: ServiceLayerClient) -> dict[str, dict[str, Any]]:
    items = await sap.query("Items", select="ItemCode,ItemWarehouseInfoCollection")
    return {str(i["ItemCode"]): i for i in items}


async def _shop_stock(st: Stack) -> dict[str, Any]:
    products = await st.woo.request("GET", "products", query={"per_page": "100"})
    return {str(p["sku"]): p["stock_quantity"] for p in products if p.get("manage_stock")}


async def _tick(st: Stack, http: aiohttp.ClientSession) -> dict[str, Any]:
    async with http.post(st.sap_admin("backoffice/tick")) as r:
        assert r.status == 200, await r.text()
        return dict(await r.json())


async def test_stock_converges_under_back_office_drift() -> None:
    office = {"enabled": False, "stock_drift_s": 0.001, "stock_drift_max_units": 6, "seed": 5}
    async with (
        stack(backoffice=office) as st,
        aiohttp.ClientSession() as http,
        ServiceLayerClient(st.sap_url, "SBODEMOES", "manager", "manager") as sap,
    ):
        rule = StockRule(safety_buffer=1)
        sync = StockSync(sap, st.woo, rule)
        first = await sync.sync_once()
        assert first, "the shop's initial stock should differ from SAP's minus the buffer"
        moves = 0
        for _ in range(12):
            for _ in range(3):
                moves += (await _tick(st, http)).get("stock_moves", 0)
            sent = await sync.sync_once()
            items = await _sap_items(sap)
            shop = await _shop_stock(st)
            for sku, qty in shop.items():
                if sku in items:
                    assert qty == effective_stock(items[sku], rule), sku
            assert len(sent) <= 3  # only the products that moved
            assert await sync.sync_once() == []  # idempotent: nothing to send
        assert moves >= 10, f"the back office drifted only {moves} times"
        assert sync.pushed >= len(first) + 5  # drift reached the shop


def test_the_rule() -> None:
    item = {
        "ItemCode": "X",
        "ItemWarehouseInfoCollection": [
            {"WarehouseCode": "01", "InStock": "10", "Committed": "3"},
            {"WarehouseCode": "02", "InStock": 5.5, "Committed": 0},
            {"WarehouseCode": "03", "InStock": "100", "Committed": "1"},
        ],
    }
    assert effective_stock(item, StockRule()) == 111  # 7 + 5.5 + 99, floored
    assert effective_stock(item, StockRule(warehouses=("01", "02"))) == 12
    assert effective_stock(item, StockRule(("01",), subtract_committed=False)) == 10
    assert effective_stock(item, StockRule(("01",), safety_buffer=8)) == 0  # never negative
    assert effective_stock({"ItemCode": "Y"}, StockRule()) == 0


async def test_the_stock_sync_role_keeps_the_shop_in_step(sqlite_dsn: str) -> None:
    from bridge.runtime import BridgeRuntime
    from tests.bridge.stack import bridge_config, wait_until

    office = {"enabled": False, "stock_drift_s": 0.001, "stock_drift_max_units": 6, "seed": 9}
    async with stack(backoffice=office) as st, aiohttp.ClientSession() as http:
        cfg = bridge_config(
            sqlite_dsn,
            st.sap_url,
            st.shop_url,
            roles=("stock_sync",),
            stock_sync_interval_s=0.2,
            stock_warehouses=("01",),
            stock_safety_buffer=2,
        )
        rule = StockRule(("01",), True, 2)
        async with (
            BridgeRuntime(cfg) as rt,
            ServiceLayerClient(st.sap_url, "SBODEMOES", "manager", "manager") as sap,
        ):
            sync = rt.stock_sync
            assert sync is not None
            for _ in range(4):
                for _ in range(3):
                    await _tick(st, http)
                seen = sync.passes

                async def two_more_passes(seen: int = seen) -> bool:
                    return sync.passes >= seen + 2  # a full pass after the drift

                assert await wait_until(two_more_passes, 30)
                items = await _sap_items(sap)
                for sku, qty in (await _shop_stock(st)).items():
                    if sku in items:
                        assert qty == effective_stock(items[sku], rule), sku
            assert rt.stats()["stock_sync"]["pushed"] > 0


async def test_a_booked_order_nudges_the_stock_sync(sqlite_dsn: str) -> None:
    """With a schedule of an hour, only the worker's nudge (an order booked in SAP commits
    stock) can bring the shop's stock in step."""
    from bridge.runtime import BridgeRuntime
    from tests.bridge.stack import bridge_config, settle, wait_until

    async with stack() as st:
        cfg = bridge_config(
            sqlite_dsn,
            st.sap_url,
            st.shop_url,
            roles=("ingress", "worker", "stock_sync"),
            stock_sync_interval_s=3600,
        )
        async with (
            BridgeRuntime(cfg) as rt,
            ServiceLayerClient(st.sap_url, "SBODEMOES", "manager", "manager") as sap,
        ):
            sync = rt.stock_sync
            assert sync is not None
            sync.min_gap_s = 0.1

            async def first_pass() -> bool:
                return sync.passes >= 1

            assert await wait_until(first_pass, 30)
            await st.subscribe(rt.url)
            await st.generate(4)
            await settle(st, rt)

            async def in_step() -> bool:
                if sync.passes < 2:
                    return False
                items = await _sap_items(sap)
                shop = await _shop_stock(st)
                rule = StockRule()
                return all(
                    q == effective_stock(items[s], rule) for s, q in shop.items() if s in items
                )

            assert await wait_until(in_step, 30)
            assert sync.nudges >= 4 and sync.passes >= 2
