"""Shop reconciler: heal lost webhooks and lost bus events by reading the shop's REST API.

WooCommerce never retries a failed delivery and disables a webhook after a run of failures;
an MQTT broker that crashes loses the sessions it had not saved, and with them the events
queued for the bridge. Either way orders silently stop arriving. Reading the orders the
shop changed recently and feeding each through the same snapshot rules as a webhook (last
writer wins) makes the bridge converge anyway.

Two rules keep this cheap and faithful:

* **Canonical comparison.** An order already known is left alone when the fields the
  mapping contract reads (``bridge.order.OrderPayload``: status, totals, lines, payment …)
  are equal, whatever the representation (the REST copy carries ``_links``, other field
  order, other number formats). So a healthy run's reconciler creates no job.
* **The shop's own keys.** A reader knows which shop it reads and stores snapshots under
  that shop's source (``rest`` → ``wc:``, ``magento-rest`` → ``mg:``); it never replaces a
  snapshot that came from the other shop, so an order's key prefix, number and wording
  ("Magento order 000000123") never change once known.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from bridge.events.magento import MagentoOrderError, magento_to_woo
from bridge.events.magento_rest import MagentoRestClient
from bridge.keys import key_prefix
from bridge.order import ValidationError, parse_order
from bridge.shop.client import ShopError, WooClient
from bridge.store.base import Store
from bridge.store.errors import StoreUnavailable
from sapchaos.catalog import Catalog
from sapchaos.logs import get_logger

__all__ = [
    "MagentoReader",
    "ShopReader",
    "ShopReconciler",
    "WooReader",
    "canonical_order",
]

log = get_logger("bridge.reconciler")

#: failures of a dependency (not bugs): logged as warnings, the next pass retries
DEPENDENCY_ERRORS: tuple[type[BaseException], ...] = (
    ShopError,
    StoreUnavailable,
    ConnectionError,
    OSError,
    TimeoutError,
)
PAGE_SIZE = 100


def canonical_order(payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """The fields the mapping contract reads, as values (Decimal compares numerically),
    without ``date_modified_gmt`` (a newer copy of the same order changes nothing in SAP).
    None when the payload is not a valid order (then it is compared as changed)."""
    try:
        return parse_order(payload).model_dump(exclude={"date_modified_gmt"})
    except (ValidationError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class ShopPage:
    """One page of a shop's recently changed orders, already WooCommerce-shaped
    (``bridge.order``): ``(order_id, payload, date_modified_gmt)``; ``more``: another
    page follows."""

    orders: list[tuple[int, dict[str, Any], str]]
    more: bool


class ShopReader(Protocol):
    """Reads one shop's orders changed since an instant. ``source`` is the snapshot source
    its copies are stored under (and so the key prefix, ``bridge.keys.SOURCE_PREFIX``)."""

    kind: str
    source: str

    async def page(self, since: float, number: int) -> ShopPage: ...


def _utc(epoch: float, sep: str) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime(f"%Y-%m-%d{sep}%H:%M:%S")


@dataclass
class WooReader:
    """``GET orders?modified_after=…&orderby=modified&order=asc`` (WooCommerce REST v3)."""

    shop: WooClient
    kind: str = "woocommerce"
    source: str = "rest"

    async def page(self, since: float, number: int) -> ShopPage:
        batch = await self.shop.request(
            "GET",
            "orders",
            query={
                "modified_after": _utc(since, "T"),
                "dates_are_gmt": "true",
                "orderby": "modified",
                "order": "asc",
                "per_page": str(PAGE_SIZE),
                "page": str(number),
                "status": "any",
            },
        )
        if not isinstance(batch, list):
            raise ShopError(200, "unexpected_body", "orders list is not a JSON array")
        out = []
        for order in batch:
            modified = str(order.get("date_modified_gmt") or "") if isinstance(order, dict) else ""
            if modified and isinstance(order.get("id"), int):
                out.append((int(order["id"]), order, modified))
        return ShopPage(out, len(batch) >= PAGE_SIZE)


@dataclass
class MagentoReader:
    """``GET /rest/V1/orders`` by ``updated_at`` (Magento 2), each order converted exactly
    as the subscriber converts an event's order (``magento_to_woo``)."""

    client: MagentoRestClient
    catalog: Catalog
    kind: str = "magento"
    source: str = "magento-rest"
    unusable: int = 0

    async def page(self, since: float, number: int) -> ShopPage:
        items, total = await self.client.orders_updated_since(_utc(since, " "), number, PAGE_SIZE)
        out = []
        for order in items:
            try:
                payload = magento_to_woo(order, self.catalog)
            except MagentoOrderError as exc:
                # the event path quarantines such an order; here it is only counted
                self.unusable += 1
                log.warning(
                    "reconcile_order_unusable",
                    order_id=order.get("entity_id"),
                    reason=str(exc)[:200],
                )
                continue
            out.append((int(payload["id"]), payload, str(payload["date_modified_gmt"])))
        return ShopPage(out, number * PAGE_SIZE < total)


@dataclass
class ShopReconciler:
    """Periodic passes over the shop's recently changed orders (``run``), and a one-off
    ``catch_up(since)`` for a known gap (a lost MQTT session)."""

    store: Store
    reader: ShopReader
    interval_s: float = 30.0
    lookback_s: float = 3600.0
    clock: Callable[[], float] = time.time
    #: where the next periodic pass starts (epoch seconds); None = now - lookback
    cursor: float | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    #: snapshots changed by reconciliation (orders the webhooks/events had missed or
    #: brought older)
    healed: int = 0
    #: orders read and found canonically equal to their snapshot (no work)
    unchanged: int = 0
    #: orders left alone because their snapshot came from another shop
    foreign: int = 0
    passes: int = 0
    failures: int = 0
    last_error: str | None = None

    async def _apply(self, order_id: int, payload: dict[str, Any], modified: str) -> bool:
        """One order from the shop: True if its snapshot changed (a job was bumped)."""
        snap = await self.store.get_snapshot(order_id)
        if snap is not None:
            if key_prefix(snap.source) != key_prefix(self.reader.source):
                self.foreign += 1
                log.warning(
                    "reconcile_foreign_order",
                    order_id=order_id,
                    snapshot_source=snap.source,
                    reader=self.reader.kind,
                )
                return False
            wanted = canonical_order(payload)
            if wanted is not None and wanted == canonical_order(snap.payload):
                self.unchanged += 1
                return False
        outcome = await self.store.replace_snapshot(
            order_id, payload, modified, source=self.reader.source
        )
        return outcome.snapshot_changed

    async def _sweep(self, since: float, max_pages: int) -> tuple[int, float | None]:
        """Read pages from ``since``; returns (changed, newest modified epoch seen)."""
        changed = 0
        newest: float | None = None
        for number in range(1, max_pages + 1):
            page = await self.reader.page(since, number)
            for order_id, payload, modified in page.orders:
                if await self._apply(order_id, payload, modified):
                    changed += 1
                with contextlib.suppress(ValueError):
                    ts = datetime.fromisoformat(modified.replace("Z", "")).replace(tzinfo=UTC)
                    newest = ts.timestamp() if newest is None else max(newest, ts.timestamp())
            if not page.more:
                break
        return changed, newest

    async def reconcile_once(self, max_pages: int = 50) -> int:
        """One periodic pass; returns how many snapshots changed."""
        since = self.cursor if self.cursor is not None else self.clock() - self.lookback_s
        changed, newest = await self._sweep(since, max_pages)
        if newest is not None:
            # modification dates have one-second resolution: re-read the last second
            self.cursor = max(since, newest - 1.0)
        self.healed += changed
        self.passes += 1
        if changed:
            log.info("reconciled", changed=changed, shop=self.reader.kind)
        return changed

    async def catch_up(self, since: float) -> int:
        """Read everything the shop changed since ``since`` (all pages); returns how many
        snapshots changed. Raises on a shop or store failure (the caller retries)."""
        changed, _ = await self._sweep(since, 100_000)
        self.healed += changed
        log.info("caught_up", changed=changed, since=_utc(since, "T"), shop=self.reader.kind)
        return changed

    async def run(self) -> None:
        while not self.stop.is_set():
            try:
                await self.reconcile_once()
                self.last_error = None
            except DEPENDENCY_ERRORS as exc:
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("reconcile_failed", error=self.last_error)
            except Exception:
                self.failures += 1
                log.exception("reconciler_bug")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), self.interval_s)

    def stats(self) -> dict[str, Any]:
        return {
            "shop": self.reader.kind,
            "passes": self.passes,
            "healed": self.healed,
            "unchanged": self.unchanged,
            "foreign": self.foreign,
            "failures": self.failures,
            "last_error": self.last_error,
        }
