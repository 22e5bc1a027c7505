"""Measures the oracle reports besides pass/fail: time-to-acknowledge and counts."""

from __future__ import annotations

import math
from typing import Any

from scenarios.oracle.histories import Histories, order_key, parse_ts


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of already-sorted values (p in 0..100)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def tta_samples_ms(h: Histories) -> list[float]:
    """Time-to-acknowledge per order: created in the shop → first confirmation note received."""
    notes = h.confirmation_notes()
    out: list[float] = []
    for oid, rec in h.orders_by_id().items():
        got = notes.get(oid)
        if not got:
            continue
        created = parse_ts(str(rec["created_at"]))
        out.append((got[0][0] - created).total_seconds() * 1000.0)
    return sorted(out)


def tta_summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(samples, 50), 1),
        "p95": round(percentile(samples, 95), 1),
        "p99": round(percentile(samples, 99), 1),
        "max": round(samples[-1], 1) if samples else 0.0,
    }


def counts(h: Histories) -> dict[str, Any]:
    by_key = h.sap_orders_by_key()
    orders = h.orders_by_id()
    keys = {order_key(oid) for oid in orders}
    notes = h.confirmation_notes()
    sap_orders = sum(len(v) for v in by_key.values())
    return {
        "orders": len(orders),
        "sap_documents": len(h.sap_documents),
        "sap_orders": sap_orders,
        "duplicates": sum(len(v) - 1 for k, v in by_key.items() if k in keys and len(v) > 1),
        "lost": sum(1 for k in keys if not by_key.get(k)),
        "acknowledged": sum(1 for oid in orders if notes.get(oid)),
        "webhook_attempts": sum(1 for d in h.deliveries if d.get("order_id") is not None),
    }
