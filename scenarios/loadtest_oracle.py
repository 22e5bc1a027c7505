"""The oracle's verdict over the orders one load run created.

A load run shares its stack with whatever else runs there, so the histories are cut down to
the shop orders tagged with the run's id (order meta ``_sapchaos_load_run``, written by the
load's customers like any plugin writes order meta), the SAP documents whose key names one
of those orders, and the shop's receipts and deliveries for them. The cut-down histories go
to ``scenarios.oracle.judge`` unchanged: exactly once in SAP, none lost, lines match,
confirmations name the right DocNum, cancellations reached SAP.

Plain ``urllib`` (blocking) on purpose: this runs in ``sapchaos load``'s own process after
Locust finished, and needs neither asyncio nor gevent.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scenarios.oracle import Histories, Verdict, judge

RUN_META_KEY = "_sapchaos_load_run"  # the same key as load.woo.RUN_META_KEY


def fetch_json(url: str, timeout_s: float = 60.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout_s) as resp:
        return json.loads(resp.read())


def run_of(order: dict[str, Any]) -> str | None:
    for meta in order.get("meta_data") or []:
        if isinstance(meta, dict) and meta.get("key") == RUN_META_KEY:
            return str(meta.get("value"))
    return None


@dataclass(frozen=True)
class RunScope:
    """Which orders belong to the run and how SAP documents name them."""

    run_id: str
    key_field: str = "U_IdemKey"
    key_template: str = "wc:{id}:order"

    def order_of(self, key: str) -> int | None:
        """The shop order a SAP document's key names (``wc:5:order``, ``wc:5:refund:9`` → 5)."""
        pre, _, post = self.key_template.partition("{id}")
        if not key.startswith(pre):
            return None
        m = re.match(r"(\d+)", key[len(pre) :])
        if m is None:
            return None
        rest = key[len(pre) + m.end() :]
        sep = post[:1]
        if rest != post and not (sep and rest.startswith(sep)):
            return None
        return int(m.group(1))

    def restrict(
        self,
        orders: list[dict[str, Any]],
        received: list[dict[str, Any]],
        documents: list[dict[str, Any]],
        deliveries: list[dict[str, Any]],
    ) -> Histories:
        mine = [o for o in orders if run_of(o.get("order") or {}) == self.run_id]
        ids = {int(o["id"]) for o in mine}

        def names_mine(doc: dict[str, Any]) -> bool:
            key = str((doc.get("document") or {}).get(self.key_field) or "")
            return self.order_of(key) in ids

        return Histories(
            shop_orders=mine,
            shop_received=[r for r in received if _oid(r) in ids],
            sap_documents=[d for d in documents if names_mine(d)],
            deliveries=[d for d in deliveries if _oid(d) in ids],
        )


def _oid(rec: dict[str, Any]) -> int | None:
    try:
        return int(rec["order_id"])
    except (KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class GroundTruth:
    """The emulators' ``/__admin`` roots (never through the proxy)."""

    shop_admin: str
    sap_admin: str

    def histories(self, scope: RunScope) -> Histories:
        shop, sap = self.shop_admin.rstrip("/"), self.sap_admin.rstrip("/")
        return scope.restrict(
            fetch_json(f"{shop}/__admin/orders")["orders"],
            fetch_json(f"{shop}/__admin/received")["received"],
            fetch_json(f"{sap}/__admin/documents")["documents"],
            fetch_json(f"{shop}/__admin/deliveries")["deliveries"],
        )


def _signature(h: Histories) -> tuple[int, int, int]:
    return (len(h.shop_orders), len(h.sap_documents), len(h.shop_received))


def settle(
    truth: GroundTruth,
    scope: RunScope,
    timeout_s: float,
    quiet_s: float = 3.0,
    progress: Callable[[str], None] | None = None,
) -> Histories:
    """Wait until every run order is confirmed and nothing changed for ``quiet_s`` (a
    cancellation or refund after the confirmation still travels to SAP), or the timeout."""
    deadline = time.monotonic() + timeout_s
    last: tuple[int, int, int] | None = None
    since = time.monotonic()
    while True:
        h = truth.histories(scope)
        sig = _signature(h)
        if sig != last:
            last, since = sig, time.monotonic()
        acked = len(h.confirmation_notes())
        quiet = time.monotonic() - since >= quiet_s
        if (acked >= len(h.shop_orders) and quiet) or time.monotonic() >= deadline:
            if progress is not None:
                progress(f"{acked}/{len(h.shop_orders)} orders acknowledged")
            return h
        time.sleep(1.0)


def verdict_lines(v: Verdict, run_id: str, max_violations: int = 5) -> list[str]:
    """The verdict as a few lines a person reads at the end of a run."""
    c = v.counts
    lines = [
        f"oracle: {v.verdict.upper()} — run {run_id}: {c['orders']} orders, "
        f"{c['sap_orders']} SAP orders, {c['duplicates']} duplicated, {c['lost']} lost, "
        f"{c['acknowledged']} acknowledged; TTA (ground truth) p50 {v.tta_ms['p50']:.0f} ms, "
        f"p95 {v.tta_ms['p95']:.0f} ms, p99 {v.tta_ms['p99']:.0f} ms, max {v.tta_ms['max']:.0f} ms",
    ]
    for r in v.invariants:
        mark = "ok  " if r.ok else "FAIL"
        lines.append(f"  {mark} {r.name}" + ("" if r.ok else f" ({len(r.violations)} violations)"))
        for viol in r.violations[:max_violations]:
            lines.append(f"         {json.dumps(viol, default=str)}")
    return lines


def judge_run(h: Histories) -> Verdict:
    return judge(h)
