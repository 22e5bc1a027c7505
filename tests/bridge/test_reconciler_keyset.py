"""Keyset paging: orders that change while the reconciler pages are never skipped, and the
durable cursor makes a restarted bridge resume instead of re-reading its window.

Runs against the real fakeshop (WooCommerce REST: ``modified_after`` exclusive at one
second, ``orderby=modified``, ``exclude``) with a small page size so a pass takes many
pages, and changes orders through the REST API between two page reads — each change
moves the order to the end of the list, which is what makes page numbers skip.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp.test_utils import BaseTestServer, TestServer

from bridge.events.magento_rest import MagentoRestClient
from bridge.reconciler import MagentoReader, ShopPage, ShopReconciler, WooReader
from bridge.shop.client import WooClient
from bridge.store import ReconcileCursor, Store, open_store
from fakeshop.app import create_app as create_shop
from fakeshop.config import DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, ShopConfig
from sapchaos import defaults
from sapchaos.catalog import load_catalog
from sapchaos.net import free_port
from tests.bridge.stack import stack

STATUSES = ("on-hold", "completed", "processing")


class StepClock:
    """The shop's clock: it moves only when told (every change lands in its own second)."""

    def __init__(self) -> None:
        self.t = 1_790_000_000.0

    def __call__(self) -> float:
        return self.t


class ClockedShop:
    def __init__(self, server: BaseTestServer, woo: WooClient, clock: StepClock) -> None:
        self.server, self.woo, self.clock = server, woo, clock

    async def generate(self, count: int) -> list[int]:
        async with aiohttp.ClientSession() as http:
            url = str(self.server.make_url("/__admin/orders/generate"))
            async with http.post(url, json={"count": count}) as r:
                assert r.status == 201, await r.text()
                return list((await r.json())["created"])

    async def orders(self) -> list[dict[str, Any]]:
        url = str(self.server.make_url("/__admin/orders"))
        async with aiohttp.ClientSession() as http, http.get(url) as r:
            return list((await r.json())["orders"])

    async def status(self) -> dict[int, str]:
        return {int(o["id"]): str(o["order"]["status"]) for o in await self.orders()}


@asynccontextmanager
async def clocked_shop() -> AsyncIterator[ClockedShop]:
    clock = StepClock()
    async with TestServer(create_shop(ShopConfig(seed=7), clock=clock)) as server:
        woo = WooClient(
            str(server.make_url("")).rstrip("/"),
            DEFAULT_CONSUMER_KEY,
            DEFAULT_CONSUMER_SECRET,
            clock=clock,  # OAuth 1.0a timestamps against the shop's clock
        )
        async with woo:
            yield ClockedShop(server, woo, clock)


async def _change(woo: WooClient, order_id: int, rng: random.Random) -> str:
    status = rng.choice(STATUSES)
    await woo.request("PUT", f"orders/{order_id}", {"status": status, "customer_note": "x"})
    return status


class ChangingReader:
    """Wraps a reader; after every page it changes ``per_page`` orders the pass has not
    read yet (and one it has), through the shop's REST API."""

    def __init__(
        self,
        inner: Any,
        woo: WooClient,
        all_ids: list[int],
        per_page: int,
        clock: StepClock | None = None,
    ) -> None:
        self.inner, self.woo, self.all_ids, self.per_page = inner, woo, all_ids, per_page
        self.kind, self.source = inner.kind, inner.source
        self.clock = clock
        self.read: list[int] = []
        self.changed: list[int] = []
        #: order id → the page call after which it was last changed
        self.changed_at: dict[int, int] = {}
        self.calls = 0
        self.rng = random.Random(19)

    async def _mutate(self, got: list[int]) -> None:
        self.calls += 1
        self.read.extend(got)
        unread = [i for i in self.all_ids if i not in set(self.read)]
        picks = self.rng.sample(unread, min(self.per_page, len(unread)))
        if self.read:
            picks.append(self.rng.choice(self.read))
        for oid in picks:
            if self.clock is not None:
                self.clock.t += 1.0
            await _change(self.woo, oid, self.rng)
            self.changed.append(oid)
            self.changed_at[oid] = self.calls

    async def after(self, second: str, exclude: frozenset[int]) -> ShopPage:
        page = await self.inner.after(second, exclude)
        await self._mutate([oid for oid, _, _ in page.orders])
        return page


async def test_orders_changed_while_paging_are_never_skipped(sqlite_store: Store) -> None:
    async with clocked_shop() as shop:
        ids = await shop.generate(40)
        reader = ChangingReader(
            WooReader(shop.woo, page_size=5), shop.woo, ids, per_page=2, clock=shop.clock
        )
        rec = ShopReconciler(sqlite_store, reader, lookback_s=86400 * 3650, clock=shop.clock)
        await rec.reconcile_once(max_pages=1000)
        assert len(reader.changed) >= 20  # the list really moved under the pass
        assert set(ids) <= set(reader.read), sorted(set(ids) - set(reader.read))
        # changed orders moved to the end of the list and were read again there: every
        # snapshot is the order's latest version, except the changes made after the
        # final page (the next pass's work)
        after_last_page = {o for o, c in reader.changed_at.items() if c == reader.calls}
        assert len(after_last_page) <= 3
        status = await shop.status()
        for oid in ids:
            snap = await sqlite_store.get_snapshot(oid)
            assert snap is not None, f"order {oid} never read"
            if oid not in after_last_page:
                assert snap.payload["status"] == status[oid], oid
        reader.per_page = 0
        await rec.reconcile_once(max_pages=1000)
        for oid in ids:
            snap = await sqlite_store.get_snapshot(oid)
            assert snap is not None and snap.payload["status"] == status[oid], oid


class PageNumbers:
    """The old reading (``page=1,2,3…`` over ``orderby=modified``), kept to show that the
    same changes do make page numbers skip orders — so the test above can fail."""

    def __init__(self, woo: WooClient) -> None:
        self.woo = woo

    async def read_all(self, changer: ChangingReader) -> list[int]:
        seen: list[int] = []
        number = 1
        while True:
            batch = await self.woo.request(
                "GET",
                "orders",
                query={
                    "modified_after": "2000-01-01T00:00:00",
                    "dates_are_gmt": "true",
                    "orderby": "modified",
                    "order": "asc",
                    "per_page": "5",
                    "page": str(number),
                },
            )
            got = [int(o["id"]) for o in batch]
            seen.extend(got)
            await changer._mutate(got)
            if len(batch) < 5:
                return seen
            number += 1


class _Kind:
    kind, source = "woocommerce", "rest"


async def test_page_numbers_do_skip_under_the_same_changes() -> None:
    async with clocked_shop() as shop:
        ids = await shop.generate(40)
        changer = ChangingReader(_Kind(), shop.woo, ids, per_page=2, clock=shop.clock)
        seen = await PageNumbers(shop.woo).read_all(changer)
        assert set(ids) - set(seen), "page numbers skipped nothing: the change pattern is weak"


async def test_many_orders_in_one_second_are_all_read(sqlite_store: Store) -> None:
    """More orders share a second than fit on a page: ``exclude`` moves the pass on, and
    each order is read exactly once."""
    async with clocked_shop() as shop:
        ids = await shop.generate(23)
        shop.clock.t += 1
        later = await shop.generate(4)
        rec = ShopReconciler(
            sqlite_store, WooReader(shop.woo, page_size=4), lookback_s=86400, clock=shop.clock
        )
        seen: list[int] = []
        inner = rec.keyset

        class Spy:
            kind, source = inner.kind, inner.source

            async def after(self, second: str, exclude: frozenset[int]) -> ShopPage:
                page = await inner.after(second, exclude)
                seen.extend(oid for oid, _, _ in page.orders if oid not in exclude)
                return page

        rec.reader = Spy()
        assert await rec.reconcile_once(max_pages=1000) == len(ids) + len(later)
        assert rec.read == len(ids) + len(later)  # each order read (applied) exactly once
        assert set(seen) == set(ids + later)


async def test_restart_resumes_from_the_durable_cursor(store_dsn: str) -> None:
    async with clocked_shop() as shop:
        for _ in range(4):  # 12 orders over four seconds
            await shop.generate(3)
            shop.clock.t += 1
        store = await open_store(store_dsn)
        try:
            rec = ShopReconciler(
                store, WooReader(shop.woo, page_size=5), lookback_s=86400, clock=shop.clock
            )
            assert await rec.reconcile_once(max_pages=1000) == 12
            saved = await store.get_reconcile_cursor("woocommerce")
            assert saved is not None and saved == rec.cursor
            orders = [o["order"] for o in await shop.orders()]
            newest = max(ReconcileCursor(o["date_modified_gmt"], int(o["id"])) for o in orders)
            assert saved == newest
        finally:
            await store.close()
        # a "restarted" bridge: new store connection, new reconciler, same look-back
        store = await open_store(store_dsn)
        try:
            rec = ShopReconciler(
                store, WooReader(shop.woo, page_size=5), lookback_s=86400, clock=shop.clock
            )
            assert await rec.start_second() == saved.date_modified_gmt
            rng = random.Random(3)
            first = [int(o["id"]) for o in orders[:3]]
            for oid in first:
                shop.clock.t += 1
                await _change(shop.woo, oid, rng)
            assert await rec.reconcile_once(max_pages=1000) == 3
            # it re-read the cursor's own second (3 orders) and the three changes only,
            # not the 12 orders of its look-back window
            assert rec.read == 3 + 3
            assert rec.unchanged == 3
        finally:
            await store.close()


async def test_magento_reader_pages_by_keyset(sqlite_store: Store) -> None:
    shop = {"magento": True, "mqtt_url": f"mqtt://127.0.0.1:{free_port()}"}
    async with stack(shop=shop) as st:
        ids = await st.generate(11)
        client = MagentoRestClient(st.shop_url, defaults.MAGENTO_TOKEN)
        try:
            reader = MagentoReader(client, load_catalog(), page_size=3)
            rec = ShopReconciler(sqlite_store, reader, lookback_s=86400 * 30)
            assert await rec.reconcile_once(max_pages=1000) == len(ids)
            assert rec.read == len(ids)  # no order read twice, none skipped
            cursor = await sqlite_store.get_reconcile_cursor("magento")
            assert cursor is not None and cursor.order_id in ids
        finally:
            await client.close()
