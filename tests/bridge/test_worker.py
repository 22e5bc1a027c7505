"""The worker against a scripted SL stub and the real fakeshop: steps, ledger, DLQ, breaker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp.test_utils import BaseTestServer, TestServer

from bridge.runtime import BridgeRuntime
from fakeshop.app import create_app as create_shop
from fakeshop.config import ShopConfig

from .slstub import SLStub
from .stack import bridge_config
from .test_e2e import post_webhook


@dataclass
class Mini:
    sl: SLStub
    rt: BridgeRuntime
    shop: BaseTestServer


@asynccontextmanager
async def mini(dsn: str, **changes: object) -> AsyncIterator[Mini]:
    sl = SLStub()
    async with TestServer(sl.app()) as sap, TestServer(create_shop(ShopConfig(seed=5))) as shop:
        cfg = bridge_config(
            dsn,
            str(sap.make_url("/b1s/v1")),
            str(shop.make_url("")).rstrip("/"),
            roles=("ingress", "worker"),
            reconcile_interval_s=0,
            **changes,
        )
        async with BridgeRuntime(cfg) as rt:
            yield Mini(sl, rt, shop)


async def shop_order(m: Mini) -> dict[str, object]:
    import aiohttp

    async with (
        aiohttp.ClientSession() as http,
        http.post(m.shop.make_url("/__admin/orders/generate"), json={"count": 1}) as r,
    ):
        [oid] = (await r.json())["created"]
    assert m.rt.shop is not None
    return await m.rt.shop.get_order(oid)


async def test_create_confirm_and_ledger(sqlite_dsn: str) -> None:
    async with mini(sqlite_dsn) as m:
        order = await shop_order(m)
        await post_webhook(m.rt.url, order, "order.created")
        assert await m.rt.wait_idle(15)
        [doc] = m.sl.orders.values()
        assert doc["U_IdemKey"] == f"wc:{order['id']}:order" and doc["NumAtCard"] == str(
            order["number"]
        )
        store = m.rt.store
        assert store is not None
        row = await store.get_ledger(f"wc:{order['id']}:order")
        assert row is not None and row.status == "done" and row.target_docnum == doc["DocNum"]
        notes = await m.rt.shop.list_notes(int(order["id"]))  # type: ignore[union-attr,call-overload]
        assert any(f"SAP sales order {doc['DocNum']} created" in n["note"] for n in notes)


async def test_lost_reply_is_looked_up_not_recreated(sqlite_dsn: str) -> None:
    async with mini(sqlite_dsn) as m:
        m.sl.script = ["lost"]
        order = await shop_order(m)
        await post_webhook(m.rt.url, order, "order.created")
        assert await m.rt.wait_idle(15)
        assert len(m.sl.orders) == 1
        posts = [c for c in m.sl.calls if c == ("POST", "Orders")]
        lookups = [c for c in m.sl.calls if c == ("GET", "Orders")]
        assert len(posts) == 1 and len(lookups) == 1


async def test_reject_goes_to_dlq_then_replay_creates_once(sqlite_dsn: str) -> None:
    async with mini(sqlite_dsn) as m:
        m.sl.script = ["reject"]
        order = await shop_order(m)
        await post_webhook(m.rt.url, order, "order.created")
        assert await m.rt.wait_idle(15)
        store = m.rt.store
        assert store is not None
        [dl] = await store.list_dead_letters()
        assert dl.code == "-10" and "[RDR1.ItemCode][line: 1]" in dl.message
        assert m.sl.orders == {}
        assert (await m.rt.shop.get_order(int(order["id"])))["status"] == "on-hold"  # type: ignore[union-attr,call-overload]
        import aiohttp

        from tests.bridge.conftest import runtime_ops_headers

        async with aiohttp.ClientSession(headers=runtime_ops_headers(m.rt)) as http:
            listed = await (await http.get(f"{m.rt.url}/ops/dlq")).json()
            assert [d["id"] for d in listed["dead_letters"]] == [dl.id]
            shown = await (await http.get(f"{m.rt.url}/ops/dlq/{dl.id}")).json()
            assert shown["op"] == "create_order" and shown["idem_key"] == f"wc:{order['id']}:order"
            stats = await (await http.get(f"{m.rt.url}/ops/stats")).json()
            assert stats["dlq"] == 1 and "breakers" in stats
        assert await store.replay_dead_letter(dl.id)
        assert await m.rt.wait_idle(15)
        assert len(m.sl.orders) == 1
        assert not await store.replay_dead_letter(dl.id)


async def test_breaker_releases_without_burning_attempts(sqlite_dsn: str) -> None:
    async with mini(sqlite_dsn) as m:
        m.sl.down = True
        order = await shop_order(m)
        await post_webhook(m.rt.url, order, "order.created")
        import asyncio

        await asyncio.sleep(2.0)
        assert m.rt.breakers is not None
        assert any(b.opens >= 1 for b in m.rt.breakers.breakers.values())
        # far fewer calls than 2 s of unthrottled retries would make
        calls_while_down = len(m.sl.calls)
        assert calls_while_down < 25, calls_while_down
        m.sl.down = False
        assert await m.rt.wait_idle(15)
        assert len(m.sl.orders) == 1
        store = m.rt.store
        assert store is not None and await store.list_dead_letters() == []


async def test_cancel_after_create_cancels_in_sap(sqlite_dsn: str) -> None:
    async with mini(sqlite_dsn) as m:
        order = await shop_order(m)
        await post_webhook(m.rt.url, order, "order.created")
        assert await m.rt.wait_idle(15)
        assert m.rt.shop is not None
        cancelled = await m.rt.shop.set_status(int(order["id"]), "cancelled")  # type: ignore[call-overload]
        await post_webhook(m.rt.url, cancelled, "order.updated")
        assert await m.rt.wait_idle(15)
        [doc] = m.sl.orders.values()
        assert doc["Cancelled"] == "tYES"
        store = m.rt.store
        assert store is not None
        row = await store.get_ledger(f"wc:{order['id']}:cancel")
        assert row is not None and row.status == "done"


async def test_worker_whose_lease_lapses_stops_and_next_claim_finishes_once(
    sqlite_dsn: str,
) -> None:
    """Renewal fails (another worker took over, or the store was unreachable): the worker
    cancels its own work mid-call; after the lease expires the next claim looks the key up
    and adopts the document the interrupted call committed. One SAP order."""
    async with mini(sqlite_dsn, lease_s=3.0) as m:
        store = m.rt.store
        assert store is not None
        real_renew = store.renew_lease
        refused: list[int] = []

        async def refuse_first(lease, lease_s):  # type: ignore[no-untyped-def]
            if not refused:
                refused.append(lease.job_id)
                return False
            return await real_renew(lease, lease_s)

        store.renew_lease = refuse_first  # type: ignore[method-assign]
        m.sl.script = ["slow"]
        order = await shop_order(m)
        await post_webhook(m.rt.url, order, "order.created")
        assert await m.rt.wait_idle(20)
        assert refused, "the keeper never tried to renew"
        assert len(m.sl.orders) == 1
        row = await store.get_ledger(f"wc:{order['id']}:order")
        assert row is not None and row.status == "done" and row.attempts >= 2
        assert ("GET", "Orders") in m.sl.calls  # the second claim looked the key up
