"""Bring SAP's deliveries and invoices back to the shop (polling the Service Layer).

In a real B1 company the warehouse posts deliveries and accounting posts invoices in the
B1 client; nothing tells the web shop. The poller reads ``DeliveryNotes`` and ``Invoices``
changed since its cursor (``UpdateDate``), follows their lines' ``BaseType``/``BaseEntry``
back to our sales order, records them in the ledger, and tells the shop once: status
``completed`` with a note carrying the invoice number and the tracking number.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bridge.keys import OrderRef, Prefix, key_delivery, key_invoice, key_note, parse_order_key
from bridge.sap.client import ServiceLayerClient
from bridge.sap.errors import SLFailure
from bridge.shop.client import ShopError, WooClient
from bridge.store.base import OutboxEvent, Store
from bridge.worker.plan import CANCEL_STATUSES
from bridge.worker.steps import event_id_for
from sapchaos.logs import correlated, get_logger

log = get_logger("bridge.poller")

BASE_ORDER, BASE_DELIVERY = 17, 15

#: entries kept in each in-memory cache (DocEntry → order, seen documents)
CACHE_SIZE = 10_000
#: a document whose handling failed this often is skipped (logged) so the mark moves on
MAX_DOC_FAILURES = 5
#: DocEntries below the high-water mark re-read each poll (SAP may commit out of order)
OVERLAP = 50

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(OrderedDict[K, V]):
    """A bounded mapping: the least recently used entry goes when ``maxsize`` is exceeded
    (a long-running poller must not grow without end)."""

    def __init__(self, maxsize: int = CACHE_SIZE) -> None:
        super().__init__()
        self.maxsize = maxsize

    def get_fresh(self, key: K) -> V | None:
        if key not in self:
            return None
        self.move_to_end(key)
        return self[key]

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.maxsize:
            self.popitem(last=False)


@dataclass
class Poller:
    store: Store
    sap: ServiceLayerClient
    shop: WooClient
    interval_s: float = 5.0
    lookback_days: int = 2
    clock: Callable[[], float] = time.time
    #: SAP order DocEntry → (key prefix, shop order id), learned from its ``U_IdemKey``
    order_of: LRU[int, tuple[Prefix, int] | None] = field(default_factory=LRU)
    delivery_base: LRU[int, int | None] = field(default_factory=LRU)
    #: documents fully handled (bounded; a forgotten one is deduplicated by the ledger)
    seen: LRU[tuple[str, int], bool] = field(default_factory=LRU)
    #: highest DocEntry seen per entity set (documents only get added after it)
    high_water: dict[str, int] = field(default_factory=dict)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    polls: int = 0
    failures: LRU[tuple[str, int], int] = field(default_factory=LRU)
    #: documents whose handling failed (the rest of the poll went on; retried next poll)
    errors: int = 0

    async def _order_for(self, order_entry: int) -> tuple[Prefix, int] | None:
        """Our shop order behind an SAP order (``wc:{id}:order`` / ``mg:{id}:order``)."""
        if order_entry not in self.order_of:
            doc = await self.sap.get("Orders", order_entry, "DocEntry,U_IdemKey")
            self.order_of[order_entry] = parse_order_key(doc.get("U_IdemKey"))
        return self.order_of.get_fresh(order_entry)

    async def _ref(self, order_id: int, prefix: Prefix) -> OrderRef:
        """The order's reference with its number (Magento correlation ids use it)."""
        snap = await self.store.get_snapshot(order_id)
        number = None if snap is None else snap.payload.get("number")
        return OrderRef(order_id, prefix, None if number in (None, "") else str(number))

    async def _base_order(self, doc: dict[str, Any]) -> int | None:
        for line in doc.get("DocumentLines") or []:
            base_type, base_entry = line.get("BaseType"), line.get("BaseEntry")
            if base_entry in (None, -1):
                continue
            if int(base_type) == BASE_ORDER:
                return int(base_entry)
            if int(base_type) == BASE_DELIVERY:
                entry = int(base_entry)
                if entry not in self.delivery_base:
                    delivery = await self.sap.get("DeliveryNotes", entry)
                    self.delivery_base[entry] = await self._base_order(delivery)
                return self.delivery_base.get_fresh(entry)
        return None

    async def poll_once(self) -> int:
        """One pass over recent deliveries and invoices; returns how many were new to us."""
        since = (
            datetime.fromtimestamp(self.clock(), UTC) - timedelta(days=self.lookback_days)
        ).date()
        new = 0
        for entity, kind in (("DeliveryNotes", "delivery"), ("Invoices", "invoice")):
            # first pass: everything changed recently; then documents added since the
            # high-water mark, re-reading the last OVERLAP entries (out-of-order commits)
            last = self.high_water.get(entity)
            flt = (
                f"DocEntry gt {max(0, last - OVERLAP)}"
                if last is not None
                else f"UpdateDate ge '{since.isoformat()}'"
            )
            docs = await self.sap.query(
                entity, flt, orderby="DocEntry", max_pages=200, page_size=100
            )
            hold: int | None = None  # the mark stays below a document that failed
            for doc in docs:
                entry = int(doc.get("DocEntry", 0))
                if (entity, entry) in self.seen or doc.get("Cancelled") == "tYES":
                    self.high_water[entity] = max(self.high_water.get(entity, 0), entry)
                    continue
                try:
                    new += await self._handle(doc, kind)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # one bad document must not stop the poll
                    self.errors += 1
                    fails = (self.failures.get_fresh((entity, entry)) or 0) + 1
                    self.failures[(entity, entry)] = fails
                    log.warning(
                        "poll_document_failed",
                        entity=entity,
                        doc_entry=entry,
                        failures=fails,
                        error=f"{type(exc).__name__}: {exc}"[:200],
                    )
                    if fails < MAX_DOC_FAILURES:
                        if hold is None:
                            hold = entry - 1  # retried next poll
                        continue
                    log.error("poll_document_given_up", entity=entity, doc_entry=entry)
                # only now is the document fully handled: a failure above retries it
                self.seen[(entity, entry)] = True
                self.high_water[entity] = max(self.high_water.get(entity, 0), entry)
            if hold is not None and self.high_water.get(entity, 0) > hold:
                self.high_water[entity] = hold
        self.polls += 1
        return new

    async def _handle(self, doc: dict[str, Any], kind: str) -> int:
        """Trace one document to our order, record it and tell the shop; 1 if it was new."""
        order_entry = await self._base_order(doc)
        ours = await self._order_for(order_entry) if order_entry else None
        if ours is None:
            return 0
        prefix, order_id = ours
        new = 0
        with correlated((await self._ref(order_id, prefix)).correlation_id):
            if await self._record(order_id, kind, doc, prefix):
                new = 1
            await self.tell_shop(order_id, prefix)
        return new

    async def _record(self, order_id: int, kind: str, doc: dict[str, Any], prefix: Prefix) -> bool:
        tracking = doc.get("U_TrackingNo") or doc.get("TrackingNumber")
        return await self.observe(
            order_id, kind, int(doc["DocEntry"]), int(doc["DocNum"]), tracking, prefix
        )

    async def observe(
        self,
        order_id: int,
        kind: str,
        doc_entry: int,
        doc_num: int,
        tracking: Any = None,
        prefix: Prefix = "wc",
    ) -> bool:
        """Record a delivery/invoice of our order (from a poll or a callback); once per order."""
        key = key_invoice(prefix, order_id) if kind == "invoice" else key_delivery(prefix, order_id)
        row = await self.store.get_ledger(key)
        if row is not None and row.status == "done":
            return False
        entity = "Invoices" if kind == "invoice" else "DeliveryNotes"
        await self.store.record_intent(None, key, order_id, f"observe_{kind}", entity)
        payload: dict[str, Any] = {"order_id": order_id, "doc_entry": doc_entry, "doc_num": doc_num}
        if kind == "delivery":
            payload["tracking"] = tracking
        type_ = f"order.{'invoiced' if kind == 'invoice' else 'shipped'}"
        evt = OutboxEvent(
            event_id_for(key, type_),  # the poller and /callbacks/sap name it alike
            type_,
            (await self._ref(order_id, prefix)).correlation_id,
            payload,
        )
        await self.store.mark_done(None, key, doc_entry, doc_num, [evt])
        log.info("sap_document_observed", kind=kind, doc_num=doc_num)
        return True

    async def tell_shop(self, order_id: int, prefix: Prefix = "wc") -> None:
        """Once invoiced: shop order ``completed`` + note with invoice and tracking numbers."""
        nkey = key_note(prefix, order_id, "completed")
        done = await self.store.get_ledger(nkey)
        inv = await self.store.get_ledger(key_invoice(prefix, order_id))
        if (done is not None and done.status == "done") or inv is None or inv.status != "done":
            return
        snap = await self.store.get_snapshot(order_id)
        if snap is not None and (
            str(snap.payload.get("status")) in CANCEL_STATUSES or snap.payload.get("refunds")
        ):
            # a cancel/refund waited for the invoice: the worker must now book the credit note
            await self.store.request_sync(order_id)
            if str(snap.payload.get("status")) in CANCEL_STATUSES:
                return
        dlv = await self.store.get_ledger(key_delivery(prefix, order_id))
        tracking = ""
        if dlv is not None and dlv.status == "done" and dlv.target_docentry:
            with contextlib.suppress(SLFailure):
                d = await self.sap.get("DeliveryNotes", dlv.target_docentry)
                tracking = str(d.get("U_TrackingNo") or "")
        note = f"SAP invoice {inv.target_docnum} posted (DocEntry {inv.target_docentry})"
        if dlv is not None and dlv.status == "done":
            note += f"; delivery {dlv.target_docnum}"
            if tracking:
                note += f", tracking {tracking}"
        await self.store.record_intent(None, nkey, order_id, "shop_complete", "shop")
        await self.shop.update_order(order_id, {"status": "completed"})
        await self.shop.add_note(order_id, note + ".", customer_note=bool(tracking))
        await self.store.mark_done(None, nkey, None, None)

    async def run(self) -> None:
        while not self.stop.is_set():
            try:
                await self.poll_once()
            except (SLFailure, ShopError) as exc:
                log.warning("poll_failed", error=str(exc)[:200])
            except Exception:
                log.exception("poller_bug")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), self.interval_s)
