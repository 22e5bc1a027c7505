"""A scenario's expectations besides the invariants: each a small check registered in
``EXPECTATIONS``, reported as ``name → {ok, expected, found}`` (report.json, JUnit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scenarios.oracle import Verdict
from scenarios.schema import Scenario

Result = dict[str, Any]
Check = Callable[[Scenario, Verdict, bool, "float | None"], "Result | None"]


def settled(s: Scenario, v: Verdict, ok: bool, _drain: float | None) -> Result:
    """The ground truth stopped moving before ``expect.timeout_s`` (else the verdict judges
    a stack still at work, and says so)."""
    return {
        "ok": ok,
        "expected": f"quiet within {s.expect.timeout_s:g} s",
        "found": "quiet" if ok else "still moving",
    }


def tta_p95(s: Scenario, v: Verdict, _ok: bool, _drain: float | None) -> Result | None:
    """Time-to-acknowledge p95 at or under ``expect.tta_p95_ms``."""
    if s.expect.tta_p95_ms is None:
        return None
    found = v.tta_ms.get("p95", 0.0)
    return {
        "ok": found <= s.expect.tta_p95_ms,
        "expected": f"<= {s.expect.tta_p95_ms:g} ms",
        "found": f"{found:g} ms",
    }


def drain(s: Scenario, v: Verdict, _ok: bool, drain_s: float | None) -> Result | None:
    """Seconds from the last heal until the ground truth was quiet, at most ``expect.drain_s``."""
    if s.expect.drain_s is None:
        return None
    ok = drain_s is not None and drain_s <= s.expect.drain_s
    return {
        "ok": ok,
        "expected": f"<= {s.expect.drain_s:g} s",
        "found": "n/a" if drain_s is None else f"{drain_s:g} s",
    }


def dlq(s: Scenario, v: Verdict, _ok: bool, _drain: float | None) -> Result:
    """Dead letters: exactly ``expect.dlq``, or within ``dlq_min``..``dlq_max`` (0 when
    the file says nothing: nothing may dead-letter)."""
    found = int(v.counts.get("dlq", 0))
    e = s.expect
    if e.dlq_min is not None or e.dlq_max is not None:
        lo, hi = e.dlq_min or 0, e.dlq_max
        ok = found >= lo and (hi is None or found <= hi)
        return {"ok": ok, "expected": f"{lo}..{'' if hi is None else hi}", "found": found}
    want = e.dlq if e.dlq is not None else 0
    return {"ok": found == want, "expected": want, "found": found}


def webhook_active(s: Scenario, v: Verdict, _ok: bool, _drain: float | None) -> Result | None:
    """``expect.webhook_active``: the shop never disabled a webhook (7 failed deliveries in
    a row in WooCommerce; ``scenarios.oracle.webhooks``), so nothing after the fault
    depended on reconciliation."""
    if not s.expect.webhook_active:
        return None
    found = int(v.counts.get("webhooks_disabled", 0))
    return {"ok": found == 0, "expected": "0 disabled", "found": f"{found} disabled"}


def delivery_failures(s: Scenario, v: Verdict, _ok: bool, _drain: float | None) -> Result | None:
    """``expect.delivery_failures_max``: deliveries the shop counted as failed (WooCommerce
    never sends those again), e.g. 0 when a load balancer must hide a sick instance."""
    if s.expect.delivery_failures_max is None:
        return None
    found = int(v.counts.get("webhook_failures", 0))
    want = s.expect.delivery_failures_max
    return {"ok": found <= want, "expected": f"<= {want}", "found": found}


def delivery_time(s: Scenario, v: Verdict, _ok: bool, _drain: float | None) -> Result | None:
    """``expect.delivery_max_s``: the longest the shop waited for any delivery's answer
    (a hung bridge holds the shop's delivery connections until its 60 s timeout)."""
    if s.expect.delivery_max_s is None:
        return None
    found = float(v.counts.get("delivery_max_ms", 0.0)) / 1000
    return {
        "ok": found <= s.expect.delivery_max_s,
        "expected": f"<= {s.expect.delivery_max_s:g} s",
        "found": f"{found:.1f} s",
    }


EXPECTATIONS: dict[str, Check] = {
    "settled": settled,
    "tta_p95": tta_p95,
    "drain_after_heal": drain,
    "dlq_entries": dlq,
    "webhook_active": webhook_active,
    "delivery_failures": delivery_failures,
    "delivery_time": delivery_time,
}


def check_expectations(
    scenario: Scenario, verdict: Verdict, *, settled: bool, drain_s: float | None
) -> dict[str, Result]:
    out: dict[str, Result] = {}
    for name, check in EXPECTATIONS.items():
        res = check(scenario, verdict, settled, drain_s)
        if res is not None:
            out[name] = res
    return out
