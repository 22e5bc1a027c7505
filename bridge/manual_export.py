"""SAP delivery off: pending orders exported to a file for manual entry, no duplicates later.

The fallback integrations keep for a long SAP outage or a migration weekend: the bridge
stops writing to SAP (``BridgeConfig.sap_delivery = false``: no workers run) and keeps a
file of every order SAP still lacks — one JSON object per line with the order, its
idempotency key and the exact document the bridge would have sent — so people can key
them in by hand. Each exported order's key is recorded in the ledger as an ``intent``
first, so when delivery is switched back on the worker *looks the key up in SAP before
creating anything* (``GET Orders?$filter=U_IdemKey eq '…'``): an order entered by hand
with its ``U_IdemKey`` is adopted, not booked twice; one nobody entered is created.

A store that books A/R invoices directly (``BridgeConfig.sap_document = "invoice"``)
exports what the worker would book instead: only *paid* orders (the worker's
``paid_only`` rule), under ``{prefix}:{id}:invoice``, with the ``POST /Invoices`` body
(``build_document(..., document="invoice")``), the intent recorded against ``Invoices`` —
so the resumed worker looks the invoice up (``GET Invoices?$filter=U_IdemKey eq '…'``)
and adopts one keyed in by hand.

The file is rewritten atomically (temporary file + rename) on every pass, so a reader
never sees half a file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bridge.contract import DOCUMENTS, build_document
from bridge.jsonwire import dumps
from bridge.keys import key_invoice, key_order, order_ref
from bridge.mapping import MappingContext, MappingError
from bridge.order import ValidationError, parse_order
from bridge.store.base import Store
from bridge.store.errors import StoreUnavailable
from sapchaos.logs import get_logger
from sapchaos.policy import Need, need

__all__ = ["ManualExporter", "export_pending"]

log = get_logger("bridge.manual_export")


def _write_atomic(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.writelines(line + "\n" for line in lines)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


async def export_pending(
    store: Store,
    ctx: MappingContext,
    path: Path | None,
    *,
    mark: bool = True,
    document: str = "order",
) -> list[dict[str, Any]]:
    """Every order whose SAP document is still missing, with the document to key in;
    written to ``path`` (JSON lines) when given. ``mark``: record each key's intent so a
    resumed worker looks it up before creating. ``document``: what the store books
    (``BridgeConfig.sap_document``): ``order`` (sales orders) or ``invoice`` (A/R
    invoices of paid orders)."""
    if document not in DOCUMENTS:
        raise ValueError(f"document must be one of {', '.join(DOCUMENTS)}, got {document!r}")
    invoice = document == "invoice"
    entity = DOCUMENTS[document]
    entries: list[dict[str, Any]] = []
    offset = 0
    while True:
        jobs = await store.list_jobs(None, limit=500, offset=offset)
        if not jobs:
            break
        offset += len(jobs)
        for job in jobs:
            if job.status in ("done", "dead"):
                continue
            snap = await store.get_snapshot(job.order_id)
            if snap is None:
                continue
            try:
                order = parse_order(snap.payload)
            except ValidationError:
                continue  # quarantined material never becomes a document
            paid = bool(order.transaction_id or order.date_paid_gmt)
            if need(order.status, paid=paid, paid_only=invoice) is not Need.SYNC:
                continue
            ledger = await store.ledger_for_order(order.id)
            ref = order_ref(order.id, snap.source, snap.payload, [r.idem_key for r in ledger])
            key = (key_invoice if invoice else key_order)(ref.prefix, order.id)
            row = next((r for r in ledger if r.idem_key == key), None)
            if row is not None and row.status == "done":
                continue
            entry: dict[str, Any] = {
                "order_id": order.id,
                "number": order.order_number,
                "status": order.status,
                "total": str(order.total),
                "idem_key": key,
                "entity_set": entity,
            }
            try:
                doc = build_document(order, ctx, ref.prefix, document=document)
                entry["document"] = json.loads(dumps(doc))
            except MappingError as exc:
                entry["error"] = str(exc)
            if mark and row is None:
                op = "create_invoice" if invoice else "create_order"
                await store.record_intent(None, key, order.id, op, entity)
            entries.append(entry)
    entries.sort(key=lambda e: int(e["order_id"]))
    if path is not None:
        _write_atomic(path, [json.dumps(e, ensure_ascii=False, sort_keys=True) for e in entries])
    return entries


@dataclass
class ManualExporter:
    """The periodic export while SAP delivery is off."""

    store: Store
    mapping: MappingContext
    path: Path
    interval_s: float = 5.0
    clock: Callable[[], float] = time.time
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    passes: int = 0
    exported: int = 0
    failures: int = 0
    last_error: str | None = None
    #: ``BridgeConfig.sap_document``: ``order`` or ``invoice``
    document: str = "order"

    async def run(self) -> None:
        log.warning("sap_delivery_off", export=str(self.path))
        while not self.stop.is_set():
            try:
                pending = await export_pending(
                    self.store, self.mapping, self.path, document=self.document
                )
                self.exported = len(pending)
                self.passes += 1
                self.last_error = None
            except (StoreUnavailable, OSError) as exc:  # the store or the disk: next pass
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("manual_export_failed", error=self.last_error)
            except Exception:
                self.failures += 1
                log.exception("manual_export_bug")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), self.interval_s)

    def stats(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "entity_set": DOCUMENTS.get(self.document, self.document),
            "pending": self.exported,
            "passes": self.passes,
            "failures": self.failures,
            "last_error": self.last_error,
        }
