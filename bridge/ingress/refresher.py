"""Authoritative re-reads: when a webhook ties with different content or arrives older than
the snapshot, fetch the order from WooCommerce's REST API and keep what the shop says.

``date_modified_gmt`` has one-second resolution, so two saves in the same second carry the
same date with different content; only the shop itself can say which one is current.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from bridge.keys import correlation_id
from bridge.shop.client import ShopError, WooClient
from bridge.store.base import Store
from sapchaos.logs import correlated, get_logger

log = get_logger("bridge.refresher")


@dataclass
class Refresher:
    store: Store
    shop: WooClient
    queue: asyncio.Queue[int] = field(default_factory=asyncio.Queue)
    pending: set[int] = field(default_factory=set)
    fetched: int = 0
    _task: asyncio.Task[None] | None = None

    def request(self, order_id: int) -> None:
        if order_id not in self.pending:
            self.pending.add(order_id)
            self.queue.put_nowait(order_id)

    async def refresh(self, order_id: int) -> None:
        with correlated(correlation_id("wc", order_id)):
            for attempt in range(5):
                try:
                    order = await self.shop.get_order(order_id)
                    break
                except ShopError as exc:
                    if not exc.transient:
                        log.warning("refresh_failed", error=str(exc)[:200])
                        return
                    await asyncio.sleep(0.2 * 2**attempt)
            else:
                log.warning("refresh_gave_up")
                return
            modified = str(order.get("date_modified_gmt") or "")
            if not modified:
                return
            outcome = await self.store.replace_snapshot(order_id, order, modified, source="rest")
            self.fetched += 1
            log.info("snapshot_refreshed", changed=outcome.snapshot_changed, stale=outcome.stale)

    async def run(self) -> None:
        while True:
            order_id = await self.queue.get()
            self.pending.discard(order_id)
            try:
                await self.refresh(order_id)
            except Exception:
                log.exception("refresh_bug")

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
