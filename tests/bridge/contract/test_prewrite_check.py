"""The pre-write check in the worker: an order whose document would not total the shop's
total to the cent is dead-lettered at once with both figures (permanent, explained), and
nothing is written to SAP; a consistent order is booked. Real fakesap and store."""

from __future__ import annotations

from decimal import Decimal

import aiohttp

from bridge.runtime import BridgeRuntime
from tests.bridge.payloads import signed
from tests.bridge.stack import bridge_config, stack, wait_until


async def test_a_total_mismatch_is_an_explained_dead_letter(sqlite_dsn: str) -> None:
    async with stack() as st:
        good_id, bad_id = await st.generate(2)  # not subscribed: posted below by hand
        good = await st.woo.request("GET", f"orders/{good_id}")
        bad = await st.woo.request("GET", f"orders/{bad_id}")
        shop_total = Decimal(bad["total"])
        bad["total"] = str(shop_total + Decimal("0.05"))  # five cents no line carries
        cfg = bridge_config(sqlite_dsn, st.sap_url, st.shop_url, roles=("ingress", "worker"))
        async with BridgeRuntime(cfg) as rt, aiohttp.ClientSession() as http:
            store = rt.store
            assert store is not None
            for payload in (good, bad):
                body, headers = signed(payload)
                async with http.post(
                    f"{rt.url}/webhooks/woocommerce", data=body, headers=headers
                ) as r:
                    assert r.status == 200

            async def dead() -> bool:
                return bool(await store.list_dead_letters())

            assert await wait_until(dead, 30)
            assert await rt.wait_idle(30)
            [dl] = await store.list_dead_letters()
        assert dl.order_id == bad_id and dl.code == "mapping"
        assert "totals check (contract 1.1)" in dl.message
        assert f"DocTotal {shop_total} ≠ shop total {bad['total']} (difference -0.05)" in dl.message
        keys = await st.sap_orders_by_key()
        assert dict(keys) == {f"wc:{good_id}:order": 1}  # the mismatch never reached SAP
