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
* **Keyset paging, never page numbers.** Orders keep changing while a pass reads them; a
  list sorted by modification date *moves*, so ``page=2`` after ``page=1`` skips every
  order that slid from page 2 to page 1 — for good, once the cursor passes it. A pass
  therefore always asks for the *first* page after its position: orders modified in or
  after the cursor's second (``modified_after`` = that second − 1 s, WooCommerce's filter
  being exclusive at one-second resolution; ``updated_at gteq`` for Magento), sorted by
  ``(date_modified_gmt, id)``, minus the ids it already read in that second (``exclude`` /
  ``entity_id nin``). An order changed meanwhile only moves *forward* and is read again
  later in the same pass; nothing can slide behind the cursor.
* **A durable cursor.** The position — ``(date_modified_gmt, id)`` of the last order read —
  is saved in the store after every page (``Store.save_reconcile_cursor``, forward only),
  so a restarted bridge resumes where it stopped instead of re-reading its look-back
  window, and a pass that fails half way keeps what it did. Each pass re-reads the
  cursor's own second (plus ``overlap_s``), because an order saved again within that
  second carries the same date.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from bridge.events.magento import MagentoOrderError, magento_to_woo
from bridge.events.magento_rest import MagentoRestClient
from bridge.keys import key_prefix
from bridge.order import ValidationError, parse_order, parse_wc_datetime
from bridge.shop.client import ShopError, WooClient
from bridge.store.base import ReconcileCursor, Store
from bridge.store.errors import StoreUnavailable
from sapchaos.catalog import Catalog
from sapchaos.logs import get_logger

__all__ = [
    "MagentoReader",
    "PageNumberReader",
    "ReconcileCursor",
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
    """One page of a shop's changed orders, already WooCommerce-shaped (``bridge.order``):
    ``(order_id, payload, date_modified_gmt)``; ``more``: the shop had more to give (the
    page was full)."""

    orders: list[tuple[int, dict[str, Any], str]]
    more: bool


class ShopReader(Protocol):
    """Reads one shop's orders by keyset. ``source`` is the snapshot source its copies are
    stored under (and so the key prefix, ``bridge.keys.SOURCE_PREFIX``); ``kind`` names
    its durable cursor."""

    kind: str
    source: str

    async def after(self, second: str, exclude: frozenset[int]) -> ShopPage:
        """The first ``PAGE_SIZE`` orders modified in or after ``second``
        (``YYYY-MM-DDTHH:MM:SS`` UTC) whose id is not in ``exclude``, oldest first."""
        ...


class PagedReader(Protocol):
    """An older reader interface: page ``number`` of the orders modified since ``since``."""

    kind: str
    source: str

    async def page(self, since: float, number: int) -> ShopPage: ...


def keyset_second(modified: str) -> str:
    """A shop's ``date_modified_gmt`` (any ISO form) → ``YYYY-MM-DDTHH:MM:SS`` UTC, the
    sortable form cursors are kept in. Raises ``ValueError`` on a non-date."""
    return parse_wc_datetime(modified).strftime("%Y-%m-%dT%H:%M:%S")


def _utc(epoch: float, sep: str) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime(f"%Y-%m-%d{sep}%H:%M:%S")


def _second_epoch(second: str) -> float:
    return parse_wc_datetime(second).timestamp()


@dataclass
class PageNumberReader:
    """Adapts a ``PagedReader`` (test doubles, third-party readers) to keyset reads: it
    reads the reader's *whole* window in one call (up to ``max_pages``) and answers from
    that copy, so page numbers cannot skip an order between two calls of a pass."""

    inner: PagedReader
    max_pages: int = 1000
    kind: str = field(default="", init=False)
    source: str = field(default="", init=False)

    def __post_init__(self) -> None:
        self.kind, self.source = self.inner.kind, self.inner.source

    async def after(self, second: str, exclude: frozenset[int]) -> ShopPage:
        seen: dict[int, tuple[int, dict[str, Any], str]] = {}
        for number in range(1, self.max_pages + 1):
            page = await self.inner.page(_second_epoch(second) - 1.0, number)
            for row in page.orders:
                seen[row[0]] = row
            if not page.more:
                break
        floor = ReconcileCursor(second, 0)
        keyed = [(_key_of(r), r) for r in seen.values() if r[0] not in exclude]
        rows = sorted((k, r) for k, r in keyed if k is not None and k >= floor)
        return ShopPage([r for _, r in rows], False)


def _key_of(row: tuple[int, dict[str, Any], str]) -> ReconcileCursor | None:
    try:
        return ReconcileCursor(keyset_second(row[2]), row[0])
    except ValueError:
        return None


@dataclass
class WooReader:
    """``GET orders?modified_after=…&orderby=modified&order=asc&exclude=…`` (WooCommerce
    REST v3), always the first page."""

    shop: WooClient
    kind: str = "woocommerce"
    source: str = "rest"
    page_size: int = PAGE_SIZE

    async def after(self, second: str, exclude: frozenset[int]) -> ShopPage:
        query = {
            # WP_Query's date_query "after" is exclusive at one-second resolution
            "modified_after": _utc(_second_epoch(second) - 1.0, "T"),
            "dates_are_gmt": "true",
            "orderby": "modified",
            "order": "asc",
            "per_page": str(self.page_size),
            "page": "1",
            "status": "any",
        }
        if exclude:
            query["exclude"] = ",".join(str(i) for i in sorted(exclude))
        batch = await self.shop.request("GET", "orders", query=query)
        if not isinstance(batch, list):
            raise ShopError(200, "unexpected_body", "orders list is not a JSON array")
        out = []
        for order in batch:
            modified = str(order.get("date_modified_gmt") or "") if isinstance(order, dict) else ""
            if modified and isinstance(order.get("id"), int):
                out.append((int(order["id"]), order, modified))
        return ShopPage(out, len(batch) >= self.page_size)


@dataclass
class MagentoReader:
    """``GET /rest/V1/orders`` with ``updated_at gteq`` the cursor's second and
    ``entity_id nin`` the ids already read in it, sorted by ``updated_at`` then
    ``entity_id`` (Magento 2 ``searchCriteria``), always ``currentPage=1``; each order
    converted exactly as the subscriber converts an event's order (``magento_to_woo``)."""

    client: MagentoRestClient
    catalog: Catalog
    kind: str = "magento"
    source: str = "magento-rest"
    unusable: int = 0
    page_size: int = PAGE_SIZE

    async def after(self, second: str, exclude: frozenset[int]) -> ShopPage:
        items = await self.client.orders_keyset(
            _utc(_second_epoch(second), " "), exclude, self.page_size
        )
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
        return ShopPage(out, len(items) >= self.page_size)


#: called after each page: (orders read so far in this pass, the cursor now)
Progress = Callable[[int, ReconcileCursor | None], None]


@dataclass
class PassResult:
    """What one keyset pass did."""

    read: int = 0
    changed: int = 0
    pages: int = 0
    cursor: ReconcileCursor | None = None
    #: the pass stopped at ``max_pages`` (the next pass continues from the cursor)
    truncated: bool = False


@dataclass
class ShopReconciler:
    """Periodic keyset passes over the shop's changed orders (``run``), resuming from the
    durable cursor, and a one-off ``catch_up(since)`` for a known gap (a lost MQTT
    session) that reads from ``since`` without moving the cursor back."""

    store: Store
    reader: ShopReader | PagedReader
    interval_s: float = 30.0
    lookback_s: float = 3600.0
    clock: Callable[[], float] = time.time
    #: the cursor's own second is always re-read; this much more before it, too (a
    #: shop that commits an order a moment after dating it)
    overlap_s: float = 0.0
    #: the in-memory position (loaded from the store on the first pass; None = start at
    #: now - lookback)
    cursor: ReconcileCursor | None = None
    #: keep the cursor in the store (False: an ad-hoc pass that must not move it)
    durable: bool = True
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    #: snapshots changed by reconciliation (orders the webhooks/events had missed or
    #: brought older)
    healed: int = 0
    #: orders read and found canonically equal to their snapshot (no work)
    unchanged: int = 0
    #: orders left alone because their snapshot came from another shop
    foreign: int = 0
    #: orders read in all passes (an order changed during a pass can be read twice)
    read: int = 0
    passes: int = 0
    failures: int = 0
    last_error: str | None = None
    _loaded: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        if not hasattr(self.reader, "after"):
            self.reader = PageNumberReader(cast(PagedReader, self.reader))

    @property
    def keyset(self) -> ShopReader:
        assert hasattr(self.reader, "after")
        return self.reader  # type: ignore[return-value]

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

    async def sweep(
        self,
        second: str,
        max_pages: int,
        *,
        save: bool = False,
        progress: Progress | None = None,
    ) -> PassResult:
        """Read by keyset from ``second`` (inclusive) to the end of the list (or
        ``max_pages``); ``save``: keep the cursor in the store after every page."""
        res = PassResult()
        position: ReconcileCursor | None = None
        lower = second
        tie: set[int] = set()  # ids already read in second ``lower``
        for _ in range(max_pages):
            excluding = bool(tie)
            page = await self.keyset.after(lower, frozenset(tie))
            res.pages += 1
            fresh = 0
            beyond = False  # the page reached past second ``lower``
            for order_id, payload, modified in page.orders:
                try:
                    key = ReconcileCursor(keyset_second(modified), order_id)
                except ValueError:
                    continue
                if key.date_modified_gmt < lower or (
                    key.date_modified_gmt == lower and order_id in tie
                ):
                    continue  # a shop that ignored the filter: never read twice per page
                if excluding and key.date_modified_gmt > lower:
                    # ``exclude`` hides an id wherever the order now is: one read in this
                    # second and changed since (now later) would be missing from here on.
                    # Finish this second only; the next read starts after it, unfiltered.
                    beyond = True
                    break
                fresh += 1
                res.read += 1
                if await self._apply(order_id, payload, modified):
                    res.changed += 1
                position = key if position is None else max(position, key)
                if key.date_modified_gmt > lower:
                    lower, tie = key.date_modified_gmt, set()
                tie.add(order_id)
            if position is not None:
                res.cursor = position
                if save:
                    await self.store.save_reconcile_cursor(self.reader.kind, position)
            if progress is not None:
                progress(res.read, position)
            if excluding and (beyond or not page.more):
                # second ``lower`` is exhausted: go on from the next one, excluding nothing
                lower, tie = _utc(_second_epoch(lower) + 1.0, "T"), set()
                continue
            if not page.more:
                break
            if fresh == 0:
                # a full page with nothing new: the shop ignores ``exclude``; stop rather
                # than spin (the next pass starts from the saved cursor)
                log.warning("reconcile_page_stalled", shop=self.reader.kind, second=lower)
                break
        else:
            res.truncated = True
        self.read += res.read
        return res

    async def start_second(self) -> str:
        """Where the next periodic pass starts: the cursor's second (minus ``overlap_s``),
        the stored cursor after a restart, or now − ``lookback_s``."""
        if self.durable and not self._loaded:
            stored = await self.store.get_reconcile_cursor(self.reader.kind)
            if stored is not None and (self.cursor is None or stored > self.cursor):
                self.cursor = stored
            self._loaded = True
        if self.cursor is None:
            return _utc(self.clock() - self.lookback_s, "T")
        return _utc(_second_epoch(self.cursor.date_modified_gmt) - self.overlap_s, "T")

    async def reconcile_once(self, max_pages: int = 50, progress: Progress | None = None) -> int:
        """One periodic pass from the cursor; returns how many snapshots changed."""
        res = await self.sweep(
            await self.start_second(), max_pages, save=self.durable, progress=progress
        )
        if res.cursor is not None and (self.cursor is None or res.cursor > self.cursor):
            self.cursor = res.cursor
        self.healed += res.changed
        self.passes += 1
        if res.changed:
            log.info("reconciled", changed=res.changed, read=res.read, shop=self.reader.kind)
        return res.changed

    async def catch_up(self, since: float) -> int:
        """Read everything the shop changed since ``since`` (all pages); returns how many
        snapshots changed. Raises on a shop or store failure (the caller retries). The
        durable cursor only moves forward, so a catch-up never rewinds it."""
        res = await self.sweep(_utc(since, "T"), 100_000, save=self.durable)
        self.healed += res.changed
        log.info("caught_up", changed=res.changed, since=_utc(since, "T"), shop=self.reader.kind)
        return res.changed

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
            "read": self.read,
            "healed": self.healed,
            "unchanged": self.unchanged,
            "foreign": self.foreign,
            "failures": self.failures,
            "last_error": self.last_error,
            "cursor": None
            if self.cursor is None
            else [self.cursor.date_modified_gmt, self.cursor.order_id],
        }
