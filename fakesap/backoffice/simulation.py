"""The back-office loop: every tick, ship due paid orders, invoice due deliveries, let
stock drift; and turn committed documents into callback events."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fakesap.backoffice.callbacks import CallbackSender
from fakesap.backoffice.documents import DELIVERY, ORDER, base_entry, is_open, is_paid, iso_now
from fakesap.backoffice.fulfilment import (
    delivery_body,
    invoice_body,
    plan_delivery,
    tracking_number,
)
from fakesap.backoffice.stock import pick_stock_move
from fakesap.faults.engine import FaultEngine
from sapchaos.logs import get_logger

if TYPE_CHECKING:
    from fakesap.backoffice import BackOfficeConfig

log = get_logger("fakesap.backoffice")

EVENT_TYPES = {
    "Orders": "order.confirmed",
    "DeliveryNotes": "order.shipped",
    "Invoices": "order.invoiced",
}


class BackOffice:
    """What SAP users and jobs do between the integration's calls (one per fakesap app)."""

    def __init__(self, state: Any, config: BackOfficeConfig) -> None:
        self.state = state
        self.config = config
        self.rng = random.Random(config.seed)
        self.fault_engine: FaultEngine | None = None
        self.first_seen: dict[int, float] = {}
        self.pending_invoices: list[tuple[int, float]] = []  # (delivery DocEntry, due at)
        self.deliveries: list[dict[str, Any]] = []
        self.invoices: list[dict[str, Any]] = []
        self.stock_moves: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.last_drift = 0.0
        self.sender: CallbackSender | None = None
        self._task: asyncio.Task[None] | None = None
        self._subscribed = False

    # ---- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        if self.config.callback_url:
            self.sender = CallbackSender(
                url=self.config.callback_url,
                secret=self.config.callback_secret,
                retries=max(1, self.config.callback_retries),
                backoff_s=self.config.callback_backoff_s,
                timeout_s=self.config.callback_timeout_s,
                clock=self.state.clock,
                engine=self.fault_engine,
            )
            await self.sender.start()
        if not self._subscribed:
            self.state.subscribe(self.on_document)
            self._subscribed = True
        self.last_drift = self.state.clock()
        if self.config.enabled:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.sender is not None:
            await self.sender.stop()

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the simulation must survive odd data
                log.error("backoffice_tick_failed", error=repr(exc))
            await asyncio.sleep(self.config.tick_s)

    # ---- events ------------------------------------------------------------------------
    def on_document(self, event: str, entity_set: str, document: dict[str, Any]) -> None:
        """Backend subscription: remember new orders; emit callbacks for new documents."""
        if event != "created":
            return
        if entity_set == "Orders":
            self.first_seen.setdefault(int(document["DocEntry"]), self.state.clock())
        kind = EVENT_TYPES.get(entity_set)
        if kind and self.sender is not None and kind in self.config.callback_events:
            self.sender.send(self.build_event(kind, entity_set, document))

    def build_event(self, kind: str, entity_set: str, document: dict[str, Any]) -> dict[str, Any]:
        order_entry = self.base_order_entry(entity_set, document)
        order: dict[str, Any] = {}
        if order_entry is not None:
            with contextlib.suppress(Exception):
                order = self.state.get_entity("Orders", order_entry)
        event = {
            "event_id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "type": kind,
            "occurred_at": iso_now(self.state.clock()),
            "entity_set": entity_set,
            "doc_entry": document.get("DocEntry"),
            "doc_num": document.get("DocNum"),
            "base_order_doc_entry": order_entry,
            "U_IdemKey": order.get("U_IdemKey"),
            "NumAtCard": order.get("NumAtCard"),
            "DocumentStatus": order.get("DocumentStatus"),
            "lines": [
                {"ItemCode": line.get("ItemCode"), "Quantity": line.get("Quantity")}
                for line in document.get("DocumentLines") or []
            ],
        }
        if entity_set == "DeliveryNotes":
            event["tracking_no"] = document.get("U_TrackingNo")
            event["partial"] = order.get("DocumentStatus") == "bost_Open"
        if entity_set == "Invoices":
            event["doc_total"] = str(document.get("DocTotal", ""))
        return event

    def base_order_entry(self, entity_set: str, document: dict[str, Any]) -> int | None:
        if entity_set == "Orders":
            return int(document["DocEntry"])
        if entity_set == "DeliveryNotes":
            return base_entry(document, ORDER)
        if entity_set == "Invoices":
            delivery = base_entry(document, DELIVERY)
            if delivery is None:
                return base_entry(document, ORDER)
            with contextlib.suppress(Exception):
                return base_entry(self.state.get_entity("DeliveryNotes", delivery), ORDER)
        return None

    # ---- one tick ----------------------------------------------------------------------
    async def tick(self) -> dict[str, int]:
        """One pass: deliveries, then invoices, then stock drift. Returns what it did."""
        now = self.state.clock()
        done = {"deliveries": 0, "invoices": 0, "stock_moves": 0}
        done["deliveries"] = await self._deliver_due(now)
        done["invoices"] = await self._invoice_due(now)
        if self.config.stock_drift_s > 0 and now - self.last_drift >= self.config.stock_drift_s:
            self.last_drift = now
            done["stock_moves"] = await self._drift_stock(now)
        return done

    async def _deliver_due(self, now: float) -> int:
        reserved: dict[tuple[str, str], Decimal] = {}
        count = 0
        for order in sorted(self.state.list_entities("Orders"), key=lambda d: int(d["DocEntry"])):
            entry = int(order["DocEntry"])
            seen = self.first_seen.setdefault(entry, now)
            if not is_open(order) or now - seen < self.config.delay_s:
                continue
            if not (self.config.deliver_unpaid or is_paid(order)):
                continue
            plan = plan_delivery(order, self.state, reserved, self.config.partial_deliveries)
            if plan is None:
                continue  # nothing in stock yet: a back order
            body = delivery_body(plan, tracking_number(self.rng), now)
            try:
                delivery = await self.state.create_document("DeliveryNotes", body)
            except Exception as exc:
                self._error("delivery", entry, exc, now)
                continue
            count += 1
            self.deliveries.append(
                {
                    "at": iso_now(now),
                    "order_doc_entry": entry,
                    "delivery_doc_entry": delivery.get("DocEntry"),
                    "tracking_no": body["U_TrackingNo"],
                    "partial": plan.partial,
                }
            )
            if self.config.invoice:
                self.pending_invoices.append(
                    (int(delivery["DocEntry"]), now + self.config.invoice_delay_s)
                )
        return count

    async def _invoice_due(self, now: float) -> int:
        due = [p for p in self.pending_invoices if p[1] <= now]
        self.pending_invoices = [p for p in self.pending_invoices if p[1] > now]
        count = 0
        for delivery_entry, _ in due:
            try:
                delivery = self.state.get_entity("DeliveryNotes", delivery_entry)
                invoice = await self.state.create_document("Invoices", invoice_body(delivery, now))
            except Exception as exc:
                self._error("invoice", delivery_entry, exc, now)
                continue
            count += 1
            self.invoices.append(
                {
                    "at": iso_now(now),
                    "delivery_doc_entry": delivery_entry,
                    "invoice_doc_entry": invoice.get("DocEntry"),
                }
            )
        return count

    async def _drift_stock(self, now: float) -> int:
        move = pick_stock_move(self.state, self.rng, self.config.stock_drift_max_units)
        if move is None:
            return 0
        item, warehouse, delta, reason = move
        try:
            await self.state.adjust_stock(item, warehouse, delta, reason=reason)
        except Exception as exc:
            self._error(reason, item, exc, now)
            return 0
        self.stock_moves.append(
            {
                "at": iso_now(now),
                "ItemCode": item,
                "WarehouseCode": warehouse,
                "delta": str(delta),
                "reason": reason,
            }
        )
        return 1

    def _error(self, step: str, ref: Any, exc: Exception, now: float) -> None:
        message = getattr(exc, "message", None) or repr(exc)
        self.errors.append({"at": iso_now(now), "step": step, "ref": ref, "error": message})
        del self.errors[:-1000]
        log.info("backoffice_step_refused", step=step, ref=ref, error=message)

    def snapshot(self) -> dict[str, Any]:
        c = self.config
        return {
            "enabled": c.enabled,
            "seed": c.seed,
            "config": {
                "tick_s": c.tick_s,
                "delay_s": c.delay_s,
                "invoice_delay_s": c.invoice_delay_s,
                "deliver_unpaid": c.deliver_unpaid,
                "partial_deliveries": c.partial_deliveries,
                "invoice": c.invoice,
                "stock_drift_s": c.stock_drift_s,
                "stock_drift_max_units": c.stock_drift_max_units,
                "callback_url": c.callback_url,
                "callback_events": list(c.callback_events),
                "callback_retries": c.callback_retries,
            },
            "deliveries": self.deliveries,
            "invoices": self.invoices,
            "pending_invoices": len(self.pending_invoices),
            "stock_moves": self.stock_moves,
            "callbacks": [r.to_dict() for r in self.sender.records] if self.sender else [],
            "errors": self.errors,
        }
