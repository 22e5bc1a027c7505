"""The reconciler compares canonical orders and keeps each shop's keys.

* A healthy WooCommerce run: every order came by webhook, so a reconciler pass reads them
  all and changes nothing — no snapshot replaced, no job bumped (before: every REST copy
  hashed differently, so every order was claimed twice).
* Orders the webhooks missed are healed.
* Magento: the reconciler reads ``/rest/V1/orders`` and books the orders it heals as
  Magento orders (``mg:`` keys, increment id in ``NumAtCard``, "Magento order …").
"""

from __future__ import annotations

from bridge.events.magento_rest import MagentoRestClient
from bridge.reconciler import MagentoReader, ShopReconciler, WooReader
from bridge.runtime import BridgeRuntime
from sapchaos import defaults
from sapchaos.catalog import load_catalog
from sapchaos.net import free_port
from tests.bridge.stack import bridge_config, settle, stack


async def test_healthy_run_reconciler_creates_no_job(sqlite_dsn: str) -> None:
    async with stack() as st:
        cfg = bridge_config(sqlite_dsn, st.sap_url, st.shop_url, roles=("ingress", "worker"))
        async with BridgeRuntime(cfg) as rt:
            assert rt.store is not None
            missed = await st.generate(3)  # before the webhooks exist: never delivered
            await st.subscribe(rt.url)
            delivered = await st.generate(12)
            await settle(st, rt)
            before = {oid: await rt.store.get_job(oid) for oid in delivered}
            rec = ShopReconciler(rt.store, WooReader(st.woo), lookback_s=3600)
            changed = await rec.reconcile_once()
            assert changed == len(missed) == rec.healed
            assert rec.unchanged == len(delivered)
            for oid in delivered:
                job = await rt.store.get_job(oid)
                snap = await rt.store.get_snapshot(oid)
                assert job == before[oid], f"order {oid}: its job was bumped"
                assert snap is not None and snap.version == 1 and snap.source != "rest"
            await settle(st, rt)
            # a second pass over the same window: nothing at all to do
            rec.cursor = None
            assert await rec.reconcile_once() == 0
            assert rec.unchanged == len(delivered) + len(delivered) + len(missed)
        keys = await st.sap_orders_by_key()
        assert set(keys) == {f"wc:{oid}:order" for oid in missed + delivered}
        assert set(keys.values()) == {1}


async def test_magento_orders_are_healed_under_mg_keys(sqlite_dsn: str) -> None:
    """No event ever arrives (the broker is unreachable): the Magento reader heals every
    order as a Magento order."""
    shop = {"magento": True, "mqtt_url": f"mqtt://127.0.0.1:{free_port()}"}
    async with stack(shop=shop) as st:
        cfg = bridge_config(sqlite_dsn, st.sap_url, st.shop_url, roles=("worker",))
        async with BridgeRuntime(cfg) as rt:
            assert rt.store is not None
            ids = await st.generate(4)
            client = MagentoRestClient(st.shop_url, defaults.MAGENTO_TOKEN)
            try:
                rec = ShopReconciler(rt.store, MagentoReader(client, load_catalog()))
                assert await rec.reconcile_once() == len(ids)
                assert await rec.reconcile_once() == 0  # canonical: nothing changed since
            finally:
                await client.close()
            assert await rt.wait_idle(30)
        docs = await st.sap_documents("Orders")
    assert sorted(str(d["document"]["U_IdemKey"]) for d in docs) == sorted(
        f"mg:{oid}:order" for oid in ids
    )
    for d in docs:
        doc = d["document"]
        assert str(doc["Comments"]).startswith("Magento order")
        assert len(str(doc["NumAtCard"])) == 9  # the increment id, e.g. 000000012


async def test_reconciler_leaves_the_other_shops_orders_alone(sqlite_dsn: str) -> None:
    """A WooCommerce reader never replaces a snapshot that came from Magento (and so never
    turns an ``mg:`` order into a ``wc:`` one), and vice versa."""
    shop = {"magento": True, "mqtt_url": f"mqtt://127.0.0.1:{free_port()}"}
    async with stack(shop=shop) as st:
        cfg = bridge_config(sqlite_dsn, st.sap_url, st.shop_url, roles=("worker",))
        async with BridgeRuntime(cfg) as rt:
            assert rt.store is not None
            ids = await st.generate(2)
            client = MagentoRestClient(st.shop_url, defaults.MAGENTO_TOKEN)
            try:
                mg = ShopReconciler(rt.store, MagentoReader(client, load_catalog()))
                assert await mg.reconcile_once() == 2
                woo = ShopReconciler(rt.store, WooReader(st.woo))
                assert await woo.reconcile_once() == 0
                assert woo.foreign == 2
            finally:
                await client.close()
            for oid in ids:
                snap = await rt.store.get_snapshot(oid)
                assert snap is not None and snap.source == "magento-rest"
