"""``report.json``: the stable result format every scenario writes, and its console table.

Format (documented in docs/reference/report-json.md):
``scenario`` (str), ``seed`` (int), ``verdict`` (``pass``/``fail``), ``invariants``
(name → ``{"ok": bool, "violations": [...]}``), ``counts`` (name → int),
``tta_ms`` (``p50``, ``p95``, ``p99``, ``max``: time-to-acknowledge in milliseconds),
``faults`` (list of the faults injected, each a dict with at least ``kind``),
``started_at`` (ISO 8601 UTC), ``duration_s`` (float), ``format_version`` (int).

Added in the same format (readers must ignore what they do not know): ``seed``,
``replay_command``, ``contract``, ``bridge_cmd``, ``bridge_url``, ``expectations`` (name →
``{ok, expected, found}``), ``samples`` (``{t_s, orders, in_sap, acknowledged}`` once a
second), ``fault_windows`` (``[{name, start_s, end_s}]``), ``tta_series``
(``[{t_s, tta_ms, order_id}]``), ``residual_risk`` (words, or null),
``skipped_invariants`` (name → why, or null), ``drain_s``, ``description``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from scenarios.oracle import Verdict

FORMAT_VERSION = 1


def build_report(
    *,
    scenario: str,
    seed: int,
    verdict: Verdict,
    passed: bool | None = None,
    faults: list[dict[str, Any]],
    started_at: datetime,
    duration_s: float,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "scenario": scenario,
        "seed": seed,
        "verdict": ("pass" if passed else "fail") if passed is not None else verdict.verdict,
        "invariants": {r.name: r.to_json() for r in verdict.invariants},
        "counts": verdict.counts,
        "tta_ms": verdict.tta_ms,
        "faults": faults,
        "started_at": started_at.astimezone(UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "duration_s": round(duration_s, 3),
    }
    if extra:
        report["extra"] = extra
    return report


def write_report(report: dict[str, Any], path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
    return p


def print_summary(report: dict[str, Any], out: TextIO) -> None:
    """A short human table: what a person needs to see at the end of a run."""
    c = report["counts"]
    t = report["tta_ms"]
    rows = [
        ("scenario", report["scenario"]),
        ("seed", str(report["seed"])),
        ("orders", str(c.get("orders", 0))),
        ("SAP documents", f"{c.get('sap_orders', 0)} orders / {c.get('sap_documents', 0)} total"),
        (
            "invoices / credit notes",
            f"{c.get('sap_invoices', 0)} / {c.get('sap_credit_notes', 0)} "
            f"(shop refunds {c.get('refunds', 0)})",
        ),
        ("duplicates", str(c.get("duplicates", 0))),
        ("dead letters", str(c.get("dlq", 0))),
        ("lost", str(c.get("lost", 0))),
        ("acknowledged", str(c.get("acknowledged", 0))),
        ("webhook attempts", str(c.get("webhook_attempts", 0))),
        (
            "TTA p50/p95/p99/max",
            f"{t['p50']:.0f} / {t['p95']:.0f} / {t['p99']:.0f} / {t['max']:.0f} ms",
        ),
        ("duration", f"{report['duration_s']:.1f} s"),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        out.write(f"  {k.ljust(width)}  {v}\n")
    for name, res in report["invariants"].items():
        mark = "ok  " if res["ok"] else "FAIL"
        n = len(res["violations"])
        out.write(
            f"  [{mark}] {name}"
            + (f" ({n} violations, e.g. {res['violations'][0]})" if n else "")
            + "\n"
        )
    for name, res in (report.get("expectations") or {}).items():
        mark = "ok  " if res["ok"] else "FAIL"
        out.write(f"  [{mark}] expect {name}: {res['found']} (expected {res['expected']})\n")
    for name, why in (report.get("skipped_invariants") or {}).items():
        out.write(f"  [skip] {name}: {why}\n")
    if report.get("residual_risk"):
        out.write(f"  residual risk: {report['residual_risk']}\n")
    contract = report.get("contract")
    if contract:
        out.write(
            f"  contract: {contract['document_type']} named by {contract['key_field']} = "
            f"{contract['key_pattern']!r}, ack note /{contract['ack_note_regex']}/\n"
        )
    if report.get("replay_command"):
        out.write(f"  replay: {report['replay_command']}\n")
    out.write(f"  verdict: {report['verdict'].upper()}\n")
