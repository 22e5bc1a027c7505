"""Measures the oracle reports besides pass/fail: time-to-acknowledge and counts."""

from __future__ import annotations

import math
from typing import Any

from sapchaos.policy import Need
from scenarios.oracle.contract import Contract
from scenarios.oracle.histories import DEFAULT_CONTRACT, Histories, is_cancelled, parse_ts
from scenarios.oracle.orders import order_need_for
from scenarios.oracle.webhooks import delivered, disabled_webhooks, longest_delivery_ms


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of already-sorted values (p in 0..100)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def tta_points(h: Histories, c: Contract = DEFAULT_CONTRACT) -> list[dict[str, Any]]:
    """Per acknowledged order: when it was created, its order id and its TTA (ms)."""
    notes = h.confirmation_notes(c)
    out: list[dict[str, Any]] = []
    for oid, rec in h.orders_by_id().items():
        got = notes.get(oid)
        if not got:
            continue
        created = parse_ts(str(rec["created_at"]))
        out.append(
            {
                "created_at": created,
                "order_id": oid,
                "tta_ms": round((got[0][0] - created).total_seconds() * 1000.0, 1),
            }
        )
    out.sort(key=lambda p: (p["created_at"], p["order_id"]))
    return out


def tta_samples_ms(h: Histories, c: Contract = DEFAULT_CONTRACT) -> list[float]:
    """Time-to-acknowledge per order: created in the shop → first acknowledgement received."""
    return sorted(float(p["tta_ms"]) for p in tta_points(h, c))


def tta_summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(samples, 50), 1),
        "p95": round(percentile(samples, 95), 1),
        "p99": round(percentile(samples, 99), 1),
        "max": round(samples[-1], 1) if samples else 0.0,
    }


def counts(h: Histories, c: Contract = DEFAULT_CONTRACT) -> dict[str, Any]:
    by_order = h.sap_orders_by_order(c)
    orders = h.orders_by_id()
    notes = h.confirmation_notes(c)
    primary = h.docs(c.document_type)
    dead = h.dlq_orders(c)
    statuses: dict[str, int] = {}
    for rec in orders.values():
        s = str((rec.get("order") or {}).get("status", ""))
        statuses[s] = statuses.get(s, 0) + 1
    return {
        "orders": len(orders),
        "sap_documents": len(h.sap_documents),
        "sap_orders": len(primary),
        "sap_cancelled": sum(1 for d in primary if is_cancelled(d)),
        "sap_invoices": len(h.docs("Invoices")),
        "sap_credit_notes": len(h.docs("CreditNotes")),
        "refunds": sum(len(rec.get("refunds") or []) for rec in orders.values()),
        "duplicates": sum(len(v) - 1 for v in by_order.values() if len(v) > 1),
        "lost": sum(
            1
            for oid, rec in orders.items()
            if order_need_for(rec, c) is Need.SYNC and not by_order.get(oid) and oid not in dead
        ),
        "acknowledged": sum(1 for oid in orders if notes.get(oid)),
        "dlq": len(h.dlq_orders(c)),
        "webhook_attempts": sum(1 for d in h.deliveries if d.get("order_id") is not None),
        # sent deliveries the shop counted as failed, and webhooks it disabled (oracle.webhooks)
        "webhook_failures": sum(
            1 for d in h.deliveries if d.get("sent_at") and not delivered(d.get("status"))
        ),
        "webhooks_disabled": len(disabled_webhooks(h)),
        "delivery_max_ms": longest_delivery_ms(h),
        "fault_decisions": len(h.fault_decisions),
        "statuses": dict(sorted(statuses.items())),
    }
