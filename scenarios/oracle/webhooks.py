"""Did the shop give up on the bridge? WooCommerce disables a webhook after a run of
failed deliveries (``WC_Webhook::failed_delivery``: a failure when the counter already
exceeds ``woocommerce_max_webhook_delivery_failures``, 5 by default — the 7th failure in a
row), and from then on the bridge hears nothing until an admin re-activates it.

Judged from the ground truth only: the webhooks' status at the end (fakeshop
``/__admin/webhooks``), and the delivery ledger replayed in the order the attempts
finished, so a webhook disabled during the run and re-activated later (by a person or a
bridge's watcher) is still found.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from scenarios.oracle.histories import Histories, parse_ts

#: WooCommerce's ``woocommerce_max_webhook_delivery_failures`` default
MAX_DELIVERY_FAILURES = 5


def delivered(status: Any) -> bool:
    """``WC_Webhook::log_delivery``: 200 ≤ code < 303 counts as delivered."""
    return isinstance(status, int) and 200 <= status < 303


def longest_delivery_ms(h: Histories) -> float:
    """The longest time the shop waited for a delivery's answer (its connection held);
    WooCommerce gives up after 60 s, and a sick bridge must never make it wait that long."""
    return max(
        (float(d.get("duration_ms") or 0) for d in h.deliveries if d.get("sent_at")),
        default=0.0,
    )


def failure_runs(h: Histories) -> dict[int, int]:
    """Webhook id → the longest run of consecutive failed deliveries, in finishing order
    (attempts never sent — dropped by chaos — do not count, as WooCommerce never saw
    them)."""
    attempts: dict[int, list[tuple[Any, bool]]] = {}
    for d in h.deliveries:
        sent = d.get("sent_at")
        if not sent or d.get("webhook_id") is None:
            continue
        if d.get("status") is None and d.get("error") is None:
            continue  # still in flight when the history was read
        done = parse_ts(str(sent)) + timedelta(milliseconds=float(d.get("duration_ms") or 0))
        attempts.setdefault(int(d["webhook_id"]), []).append((done, delivered(d.get("status"))))
    out: dict[int, int] = {}
    for wid, seq in attempts.items():
        longest = run = 0
        for _done, ok in sorted(seq, key=lambda a: a[0]):
            run = 0 if ok else run + 1
            longest = max(longest, run)
        out[wid] = longest
    return out


def disabled_webhooks(
    h: Histories, max_failures: int = MAX_DELIVERY_FAILURES
) -> list[dict[str, Any]]:
    """Every webhook the shop disabled during the run, with why (empty = none was)."""
    runs = failure_runs(h)
    out: list[dict[str, Any]] = []
    seen: set[int] = set()
    for w in h.webhooks:
        wid = int(w["id"])
        seen.add(wid)
        longest = runs.get(wid, 0)
        if w.get("status") == "disabled" or longest >= max_failures + 2:
            out.append(
                {
                    "webhook_id": wid,
                    "topic": w.get("topic"),
                    "status_at_end": w.get("status"),
                    "longest_failure_run": longest,
                    "expected": f"never disabled (fewer than {max_failures + 2} failures in a row)",
                }
            )
    for wid, longest in runs.items():
        if wid not in seen and longest >= max_failures + 2:
            out.append(
                {
                    "webhook_id": wid,
                    "status_at_end": None,
                    "longest_failure_run": longest,
                    "expected": f"never disabled (fewer than {max_failures + 2} failures in a row)",
                }
            )
    return out
