"""``sapchaos bridge reconcile --last N``: compare the shop's last N orders with SAP.

What an integration team does by hand after an incident, as one command: read the shop's
newest orders (WooCommerce ``GET orders?orderby=id&order=desc``), look each one up in SAP
by its idempotency key (``GET Orders?$filter=U_IdemKey eq 'wc:{id}:order'``, the same
lookup the worker makes before any create), and classify it. A store that books A/R
invoices directly (``BridgeConfig.sap_document = "invoice"``, ``document="invoice"``) is
looked up the same way among ``Invoices`` under ``wc:{id}:invoice``, and only a *paid*
order wants one (``sapchaos.policy`` with ``paid_only``, the worker's rule):

* ``ok`` — in SAP with the shop's total (to the cent) and a matching state;
* ``missing`` — the shop's status wants a SAP order (``sapchaos.policy.SYNC_STATUSES``) and
  SAP has none: the order is re-enqueued (``Store.replace_snapshot`` with the shop's copy
  plus ``Store.request_sync``), so the worker creates it — once, through the ledger;
* ``amount_mismatch`` — ``DocTotal`` differs from the shop's ``total``;
* ``state_mismatch`` — the shop cancelled it but the SAP order is open (a lost
  cancellation: re-enqueued, the worker cancels it), or SAP cancelled an order the shop
  still wants (reported for a person: SAP's side was changed by hand). In invoice mode
  an invoice is never cancelled: a shop cancel wants its credit note(s)
  (``wc:{id}:refund:cancel``, or one per shop refund) and a missing one is re-enqueued;
* ``not_wanted`` — no SAP order and none expected (cancelled/failed before sync).

Paging by id over the newest orders: a new order created meanwhile only pushes older ones
to later pages, so an order can be read twice (deduplicated by id) but not skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from bridge.contract import DOCUMENTS
from bridge.keys import key_invoice, key_order, key_refund
from bridge.sap.client import ServiceLayerClient
from bridge.sap.errors import SLFailure
from bridge.shop.client import ShopError, WooClient
from bridge.store.base import Store
from bridge.store.errors import StoreUnavailable
from sapchaos.logs import get_logger
from sapchaos.policy import END_STATUSES, SYNC_STATUSES, Need, order_need

__all__ = [
    "ReconcileReport",
    "ReconcileRow",
    "ScheduledReport",
    "reconcile_last",
    "render_table",
]

PER_PAGE = 100
VERDICTS = ("ok", "missing", "amount_mismatch", "state_mismatch", "not_wanted")


@dataclass
class ReconcileRow:
    order_id: int
    number: str
    shop_status: str
    shop_total: str
    verdict: str
    sap_docentry: int | None = None
    sap_docnum: int | None = None
    sap_total: str | None = None
    sap_state: str | None = None
    requeued: bool = False
    detail: str = ""


@dataclass
class ReconcileReport:
    last: int
    rows: list[ReconcileRow] = field(default_factory=list)
    #: the SAP entity set looked up: ``Orders`` or ``Invoices`` (``sap_document``)
    entity_set: str = "Orders"

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(r.verdict for r in self.rows)
        return {v: c.get(v, 0) for v in VERDICTS}

    @property
    def clean(self) -> bool:
        return all(r.verdict in ("ok", "not_wanted") for r in self.rows)

    def to_json(self) -> dict[str, Any]:
        return {
            "last": self.last,
            "entity_set": self.entity_set,
            "read": len(self.rows),
            "counts": self.counts,
            "requeued": sum(1 for r in self.rows if r.requeued),
            "rows": [asdict(r) for r in self.rows],
        }


def _money(value: Any) -> Decimal | None:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d.quantize(Decimal("0.01")) if d.is_finite() else None


def _sap_state(doc: dict[str, Any]) -> str:
    if doc.get("Cancelled") == "tYES":
        return "cancelled"
    return "closed" if doc.get("DocumentStatus") == "bost_Close" else "open"


async def _newest(
    shop: WooClient, last: int, progress: Callable[[int, int], None] | None
) -> list[dict[str, Any]]:
    seen: dict[int, dict[str, Any]] = {}
    number = 1
    while len(seen) < last:
        batch = await shop.request(
            "GET",
            "orders",
            query={
                "orderby": "id",
                "order": "desc",
                "per_page": str(PER_PAGE),
                "page": str(number),
                "status": "any",
            },
        )
        if not isinstance(batch, list):
            raise ShopError(200, "unexpected_body", "orders list is not a JSON array")
        for o in batch:
            if isinstance(o, dict) and isinstance(o.get("id"), int) and len(seen) < last:
                seen.setdefault(int(o["id"]), o)
        if len(batch) < PER_PAGE:
            break
        number += 1
    return sorted(seen.values(), key=lambda o: int(o["id"]), reverse=True)


async def _requeue(store: Store, order: dict[str, Any]) -> bool:
    """Store the shop's copy as the order's snapshot (last writer wins by modification
    date) and ask for another pass, so the worker does what SAP lacks — through the
    ledger, so never twice."""
    oid = int(order["id"])
    modified = str(order.get("date_modified_gmt") or "")
    await store.replace_snapshot(oid, order, modified, source="rest")
    await store.request_sync(oid)
    return True


async def _uncredited(sap: ServiceLayerClient, order: dict[str, Any]) -> list[str]:
    """Invoice mode, shop cancelled: the credit-note keys SAP lacks — one per shop refund
    (``wc:{id}:refund:{refund_id}``), or ``wc:{id}:refund:cancel`` for a cancel without
    refunds (the worker's ``credit_note`` step writes the same keys)."""
    oid = int(order["id"])
    refunds = [r["id"] for r in order.get("refunds") or [] if isinstance(r, dict) and "id" in r]
    keys = [key_refund("wc", oid, r) for r in refunds] or [key_refund("wc", oid, "cancel")]
    return [k for k in keys if not await sap.find_by_udf("CreditNotes", "U_IdemKey", k)]


async def _classify(
    order: dict[str, Any],
    store: Store,
    sap: ServiceLayerClient,
    requeue: bool,
    document: str = "order",
) -> ReconcileRow:
    oid = int(order["id"])
    status = str(order.get("status", ""))
    total = _money(order.get("total"))
    row = ReconcileRow(oid, str(order.get("number") or oid), status, str(total), "ok")
    invoice = document == "invoice"
    what = "A/R invoice" if invoice else "order"
    docs = await sap.find_by_udf(
        DOCUMENTS[document],
        "U_IdemKey",
        key_invoice("wc", oid) if invoice else key_order("wc", oid),
        select="DocEntry,DocNum,DocTotal,Cancelled,DocumentStatus",
    )
    if not docs:
        if order_need(order, paid_only=invoice) is Need.SYNC:
            row.verdict, row.detail = "missing", f"the shop wants a SAP {what}; SAP has none"
            if requeue:
                row.requeued = await _requeue(store, order)
        else:
            row.verdict = "not_wanted"
        return row
    doc = docs[0]
    row.sap_docentry, row.sap_docnum = doc.get("DocEntry"), doc.get("DocNum")
    sap_total = _money(doc.get("DocTotal"))
    row.sap_total, row.sap_state = str(sap_total), _sap_state(doc)
    if len(docs) > 1:
        row.detail = f"{len(docs)} SAP {what}s carry this key (duplicates)"
    if invoice and status in END_STATUSES and row.sap_state != "cancelled":
        # after invoicing a cancel is reversed by credit notes, never by cancelling
        lacking = await _uncredited(sap, order)
        if lacking:
            row.verdict = "state_mismatch"
            row.detail = row.detail or f"shop {status}, SAP A/R invoice not credited ({lacking[0]})"
            if requeue:
                row.requeued = await _requeue(store, order)
        else:
            row.sap_state = "credited"
            if len(docs) > 1:
                row.verdict = "amount_mismatch"
    elif not invoice and status in END_STATUSES and row.sap_state == "open":
        # a lost cancellation: the worker cancels the SAP order once it sees the shop's copy
        row.verdict = "state_mismatch"
        row.detail = row.detail or f"shop {status}, SAP order open"
        if requeue:
            row.requeued = await _requeue(store, order)
    elif status in SYNC_STATUSES and row.sap_state == "cancelled":
        row.verdict = "state_mismatch"
        row.detail = row.detail or f"shop {status}, SAP {what} cancelled"
    elif status not in END_STATUSES and total != sap_total:
        row.verdict = "amount_mismatch"
        row.detail = row.detail or f"shop {total} ≠ SAP {sap_total}"
    elif len(docs) > 1:
        row.verdict = "amount_mismatch"
    return row


async def reconcile_last(
    store: Store,
    shop: WooClient,
    sap: ServiceLayerClient,
    last: int,
    *,
    requeue: bool = True,
    progress: Callable[[int, int], None] | None = None,
    document: str = "order",
) -> ReconcileReport:
    """Compare the shop's ``last`` newest orders with SAP; ``progress(done, total)``.
    ``document``: what the store books (``BridgeConfig.sap_document``): ``order`` looks
    keys up among ``Orders``, ``invoice`` among ``Invoices``."""
    if document not in DOCUMENTS:
        raise ValueError(f"document must be one of {', '.join(DOCUMENTS)}, got {document!r}")
    orders = await _newest(shop, last, None)
    report = ReconcileReport(last, entity_set=DOCUMENTS[document])
    for i, order in enumerate(orders, start=1):
        report.rows.append(await _classify(order, store, sap, requeue, document))
        if progress is not None:
            progress(i, len(orders))
    return report


def render_table(report: ReconcileReport, only_problems: bool = False) -> str:
    header = [
        "order",
        "number",
        "shop status",
        "shop total",
        "SAP doc",
        "SAP total",
        "SAP state",
        "verdict",
        "detail",
    ]
    rows = [
        [
            str(r.order_id),
            r.number,
            r.shop_status,
            r.shop_total,
            "-" if r.sap_docnum is None else str(r.sap_docnum),
            r.sap_total or "-",
            r.sap_state or "-",
            r.verdict + (" (requeued)" if r.requeued else ""),
            r.detail,
        ]
        for r in report.rows
        if not only_problems or r.verdict not in ("ok", "not_wanted")
    ]
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=False)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)).rstrip()

    summary = ", ".join(f"{k} {v}" for k, v in report.counts.items())
    if report.entity_set != "Orders":
        summary += f" (SAP {report.entity_set})"
    return "\n".join(
        [
            line(header),
            line(["-" * w for w in widths]),
            *(line(r) for r in rows),
            "",
            f"{len(report.rows)} orders: {summary}",
        ]
    )


def dumps(report: ReconcileReport) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False)


log = get_logger("bridge.reconcile_report")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class ScheduledReport:
    """``reconcile --last N`` on a schedule: ``path`` gets the JSON report and
    ``path`` + ``.txt`` the table, both replaced atomically; what SAP lacks is
    re-enqueued as on demand."""

    store: Store
    shop: WooClient
    sap: ServiceLayerClient
    path: Path
    last: int = 200
    interval_s: float = 3600.0
    clock: Callable[[], float] = time.time
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    runs: int = 0
    failures: int = 0
    last_counts: dict[str, int] | None = None
    last_error: str | None = None
    #: ``BridgeConfig.sap_document``: ``order`` or ``invoice``
    document: str = "order"

    async def run_once(self) -> ReconcileReport:
        report = await reconcile_last(
            self.store, self.shop, self.sap, self.last, document=self.document
        )
        _write(self.path, dumps(report) + "\n")
        _write(self.path.with_name(self.path.name + ".txt"), render_table(report) + "\n")
        self.runs += 1
        self.last_counts = report.counts
        if not report.clean:
            log.warning("reconcile_report_mismatches", **report.counts)
        return report

    async def run(self) -> None:
        while not self.stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), self.interval_s)
            if self.stop.is_set():
                break
            try:
                await self.run_once()
                self.last_error = None
            except (ShopError, SLFailure, StoreUnavailable, OSError, TimeoutError) as exc:
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("reconcile_report_failed", error=self.last_error)
            except Exception:
                self.failures += 1
                log.exception("reconcile_report_bug")

    def stats(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "last": self.last,
            "runs": self.runs,
            "failures": self.failures,
            "counts": self.last_counts,
            "last_error": self.last_error,
        }
