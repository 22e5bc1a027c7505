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
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bridge.keys import OrderRef, Prefix, key_delivery, key_invoice, key_note, parse_order_key
from bridge.sap.client import ServiceLayerClient
from bridge.sap.errors import SLFailure
from bridge.shop.client import ShopError, WooClient
from bridge.store.base import OutboxEvent, Store
from bridge.worker.plan import CANCEL_STATUSES
from sapchaos.logs import correlated, get_logger

log = get_logger("bridge.poller")

BASE_ORDER, BASE_DELIVERY = 17, 15


@dataclass
class Poller:
    store: Store
    sap: ServiceLayerClient
    shop: WooClient
    interval_s: float = 5.0
    lookback_days: int = 2
    clock: Callable[[], float] = time.time
    #: SAP order DocEntry → (key prefix, shop order id), learned from its ``U_IdemKey``
    order_of: dict[int, tuple[Prefix, int] | None] = field(default_factory=dict)
    delivery_base: dict[int, int | None] = field(default_factory=dict)
    seen: set[tuple[str, int]] = field(default_factory=set)
    #: highest DocEntry seen per entity set (documents only get added after it)
    high_water: dict[str, int] = field(default_factory=dict)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    polls: int = 0

    async def _order_for(self, order_entry: int) -> tuple[Prefix, int] | None:
        """Our shop order behind an SAP order (``wc:{id}:order`` / ``mg:{id}:order``)."""
        if order_entry not in self.order_of:
            doc = await self.sap.get("Orders", order_entry, "DocEntry,U_IdemKey")
            self.order_of[order_entry] = parse_order_key(doc.get("U_IdemKey"))
        return self.order_of[order_entry]

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
                return self.delivery_base[entry]
        return None

    async def poll_once(self) -> int:
        """One pass over recent deliveries and invoices; returns how many were new to us."""
        since = (
            datetime.fromtimestamp(self.clock(), UTC) - timedelta(days=self.lookback_days)
        ).date()
        new = 0
        for entity, kind in (("DeliveryNotes", "delivery"), ("Invoices", "invoice")):
            # first pass: everything changed recently; then only documents added since
            last = self.high_water.get(entity)
            flt = (
                f"DocEntry gt {last}"
                if last is not None
                else f"UpdateDate ge '{since.isoformat()}'"
            )
            docs = await self.sap.query(
                entity, flt, orderby="DocEntry", max_pages=200, page_size=100
            )
            for doc in docs:
                entry = int(doc.get("DocEntry", 0))
                if (entity, entry) in self.seen or doc.get("Cancelled") == "tYES":
                    self.high_water[entity] = max(self.high_water.get(entity, 0), entry)
                    continue
                order_entry = await self._base_order(doc)
                ours = await self._order_for(order_entry) if order_entry else None
                if ours is not None:
                    prefix, order_id = ours
                    with correlated((await self._ref(order_id, prefix)).correlation_id):
                        if await self._record(order_id, kind, doc, prefix):
                            new += 1
                        await self.tell_shop(order_id, prefix)
                # only now is the document fully handled: a failure above retries it next poll
                self.seen.add((entity, entry))
                self.high_water[entity] = max(self.high_water.get(entity, 0), entry)
        self.polls += 1
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
        evt = OutboxEvent(
            str(uuid.uuid4()),
            f"order.{'invoiced' if kind == 'invoice' else 'shipped'}",
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
