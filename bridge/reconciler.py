"""Shop reconciler: heal lost webhooks by polling WooCommerce for recently modified orders.

WooCommerce never retries a failed delivery and disables a webhook after a run of failures,
so while the bridge is down (or a delivery is dropped) orders silently stop arriving. Polling
``GET orders?modified_after=…&orderby=modified`` and feeding each order through the same
snapshot rules as a webhook (last writer wins) makes the bridge converge anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bridge.shop.client import ShopError, WooClient
from bridge.store.base import Store
from sapchaos.logs import get_logger

log = get_logger("bridge.reconciler")


@dataclass
class ShopReconciler:
    store: Store
    shop: WooClient
    interval_s: float = 30.0
    lookback_s: float = 3600.0
    clock: Callable[[], float] = time.time
    cursor: str | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    healed: int = 0

    def _start_cursor(self) -> str:
        start = datetime.fromtimestamp(self.clock() - self.lookback_s, UTC)
        return start.strftime("%Y-%m-%dT%H:%M:%S")

    async def reconcile_once(self, max_pages: int = 50) -> int:
        """One pass; returns how many snapshots changed (orders the webhooks had missed)."""
        cursor = self.cursor or self._start_cursor()
        changed = 0
        newest = cursor
        for page in range(1, max_pages + 1):
            batch = await self.shop.request(
                "GET",
                "orders",
                query={
                    "modified_after": cursor,
                    "dates_are_gmt": "true",
                    "orderby": "modified",
                    "order": "asc",
                    "per_page": "100",
                    "page": str(page),
                    "status": "any",
                },
            )
            if not isinstance(batch, list) or not batch:
                break
            for order in batch:
                modified = str(order.get("date_modified_gmt") or "")
                if not modified or not isinstance(order.get("id"), int):
                    continue
                outcome = await self.store.replace_snapshot(
                    order["id"], order, modified, source="reconcile"
                )
                if outcome.snapshot_changed:
                    changed += 1
                newest = max(newest, modified)
            if len(batch) < 100:
                break
        # date_modified_gmt has one-second resolution: re-read the last second next time
        last = datetime.fromisoformat(newest) - timedelta(seconds=1)
        self.cursor = last.strftime("%Y-%m-%dT%H:%M:%S")
        self.healed += changed
        if changed:
            log.info("reconciled", changed=changed, cursor=self.cursor)
        return changed

    async def run(self) -> None:
        while not self.stop.is_set():
            try:
                await self.reconcile_once()
            except ShopError as exc:
                log.warning("reconcile_failed", error=str(exc)[:200])
            except Exception:
                log.exception("reconciler_bug")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), self.interval_s)
