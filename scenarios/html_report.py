"""A self-contained HTML page for one or more runs: opens from disk, needs no network.

Everything is inline — CSS, and charts as SVG drawn here (no JavaScript, no CDN). The page
has a verdict table, then per run: the bridge command and replay command, the contract,
invariants and expectations, time-to-acknowledge over time with the fault windows shaded,
backlog and throughput over time, every violation with links to the history of each
order it names. Pure over ``report.json`` dicts (format 1).
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scenarios.report_fields import (
    expectations,
    invariants,
    order_ids,
    replay_command,
    run_error,
    violation_order_ids,
)
from scenarios.svg_chart import Series, Window, time_chart

esc = html.escape

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px} h2{font-size:18px;margin-top:36px;border-bottom:1px solid #ccc}
h3{font-size:15px;margin-top:20px}
table{border-collapse:collapse;margin:8px 0} td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f3f3f3} .pass{color:#1a7f37;font-weight:600} .fail{color:#cf222e;font-weight:600}
code,pre{background:#f6f8fa;padding:2px 4px;border-radius:3px;font-size:12.5px}
pre{padding:8px;overflow:auto;white-space:pre-wrap}
.chart{display:block;margin:10px 0;background:#fff;border:1px solid #e3e3e3}
.chart text{font:11px sans-serif;fill:#333} .chart .chart-title{font-size:13px;font-weight:600}
.chart .empty{fill:#888} li{margin:2px 0} .order{border-left:3px solid #cf222e;padding-left:10px}
"""


def _verdict(v: Any) -> str:
    v = str(v or "?")
    return f'<span class="{"pass" if v == "pass" else "fail"}">{esc(v.upper())}</span>'


def _run_id(i: int) -> str:
    return f"run-{i}"


def _order_anchor(i: int, oid: int) -> str:
    return f"run-{i}-order-{oid}"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _windows(report: Mapping[str, Any]) -> list[Window]:
    out = []
    for w in report.get("fault_windows") or []:
        start = float(w.get("start_s") or 0.0)
        end = w.get("end_s")
        out.append(
            Window(str(w.get("name", "fault")), start, float(end if end is not None else start))
        )
    return out


def _sample_points(samples: list[Mapping[str, Any]], key: str) -> list[tuple[float, float]]:
    return [(float(s["t_s"]), float(s.get(key) or 0)) for s in samples if "t_s" in s]


def _charts(report: Mapping[str, Any]) -> str:
    windows = _windows(report)
    tta = [p for p in report.get("tta_series") or [] if "t_s" in p and "tta_ms" in p]
    tta_chart = time_chart(
        "Time to acknowledge (created in the shop → confirmation received)",
        [
            Series(
                "TTA per order (ms)",
                [(float(p["t_s"]), float(p["tta_ms"])) for p in tta],
                style="both",
                labels=[
                    f"order {p.get('order_id', '?')}: {float(p['tta_ms']):.0f} ms at {float(p['t_s']):.1f} s"
                    for p in tta
                ],
            )
        ],
        windows,
        y_label="ms",
        css_class="chart chart-tta",
    )
    samples = sorted(
        (s for s in report.get("samples") or [] if "t_s" in s), key=lambda s: float(s["t_s"])
    )
    backlog_sap = [
        (float(s["t_s"]), float((s.get("orders") or 0) - (s.get("in_sap") or 0))) for s in samples
    ]
    backlog_ack = [
        (float(s["t_s"]), float((s.get("orders") or 0) - (s.get("acknowledged") or 0)))
        for s in samples
    ]
    backlog_chart = time_chart(
        "Backlog: orders not yet in SAP / not yet acknowledged",
        [Series("not in SAP", backlog_sap), Series("not acknowledged", backlog_ack)],
        windows,
        y_label="orders",
        css_class="chart chart-backlog",
    )
    throughput = []
    acked_rate = []
    for a, b in itertools.pairwise(samples):
        dt = float(b["t_s"]) - float(a["t_s"])
        if dt <= 0:
            continue
        t = float(b["t_s"])
        throughput.append((t, ((b.get("in_sap") or 0) - (a.get("in_sap") or 0)) / dt))
        acked_rate.append((t, ((b.get("acknowledged") or 0) - (a.get("acknowledged") or 0)) / dt))
    tp_chart = time_chart(
        "Throughput: orders reaching SAP / acknowledged per second",
        [Series("into SAP /s", throughput), Series("acknowledged /s", acked_rate)],
        windows,
        y_label="orders/s",
        css_class="chart chart-throughput",
    )
    return tta_chart + backlog_chart + tp_chart


def _summary_table(reports: list[dict[str, Any]]) -> str:
    rows = []
    for i, r in enumerate(reports):
        c = r.get("counts") or {}
        t = r.get("tta_ms") or {}
        failing = [n for n, ok, _ in invariants(r) if not ok]
        failing += [f"{n} (expectation)" for n, ok, _, _ in expectations(r) if not ok]
        if run_error(r):
            failing.insert(0, "run error")
        rows.append(
            "<tr>"
            f'<td><a href="#{_run_id(i)}">{esc(str(r.get("scenario", "?")))}</a></td>'
            f"<td>{esc(str(r.get('seed', '?')))}</td><td>{_verdict(r.get('verdict'))}</td>"
            f"<td>{c.get('orders', '')}</td><td>{c.get('sap_orders', '')}</td>"
            f"<td>{c.get('lost', '')}</td><td>{c.get('duplicates', '')}</td>"
            f"<td>{c.get('acknowledged', '')}</td>"
            f"<td>{t.get('p50', '')} / {t.get('p95', '')}</td>"
            f"<td>{esc(str(r.get('duration_s', '')))}</td>"
            f"<td>{esc(', '.join(failing)) or '—'}</td></tr>"
        )
    return (
        '<table class="verdicts"><tr><th>scenario</th><th>seed</th><th>verdict</th>'
        "<th>orders</th><th>SAP orders</th><th>lost</th><th>duplicates</th><th>acknowledged</th>"
        "<th>TTA p50 / p95 (ms)</th><th>duration (s)</th><th>failing</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _checks_table(i: int, report: Mapping[str, Any]) -> str:
    rows = []
    for name, ok, violations in invariants(report):
        ids = order_ids(violations)
        links = ", ".join(f'<a href="#{_order_anchor(i, o)}">{o}</a>' for o in ids[:30])
        more = f" … (+{len(ids) - 30})" if len(ids) > 30 else ""
        rows.append(
            f"<tr><td>invariant</td><td>{esc(name)}</td><td>{_verdict('pass' if ok else 'fail')}</td>"
            f"<td>{len(violations)} violation(s)"
            + (f"; orders {links}{more}" if ids else "")
            + "</td></tr>"
        )
    for name, ok, expected, found in expectations(report):
        rows.append(
            f"<tr><td>expectation</td><td>{esc(name)}</td><td>{_verdict('pass' if ok else 'fail')}</td>"
            f"<td>expected {esc(_json(expected))}, found {esc(_json(found))}</td></tr>"
        )
    return (
        "<table><tr><th>kind</th><th>name</th><th>result</th><th>detail</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _violations(i: int, report: Mapping[str, Any]) -> str:
    parts = []
    for name, ok, violations in invariants(report):
        if ok:
            continue
        items = []
        for v in violations:
            ids = violation_order_ids(v)
            links = " ".join(f'<a href="#{_order_anchor(i, o)}">order {o}</a>' for o in ids)
            items.append(f"<li>{links} <code>{esc(_json(v))}</code></li>")
        parts.append(f"<h4>{esc(name)}</h4><ul>{''.join(items)}</ul>")
    if not parts:
        return "<p>No violations.</p>"
    return "".join(parts)


def _order_sections(i: int, report: Mapping[str, Any]) -> str:
    by_order: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    for name, _ok, violations in invariants(report):
        for v in violations:
            for oid in violation_order_ids(v):
                by_order.setdefault(oid, []).append((name, v))
    if not by_order:
        return ""
    histories = report.get("order_histories") or {}
    tta = {
        int(p["order_id"]): p
        for p in report.get("tta_series") or []
        if isinstance(p.get("order_id"), int)
    }
    out = ["<h3>Order histories</h3>"]
    for oid in sorted(by_order):
        events = histories.get(str(oid)) or histories.get(oid) or []
        rows = "".join(
            f"<tr><td>{esc(str(e.get('at', '')))}</td><td>{esc(str(e.get('source', '')))}</td>"
            f"<td>{esc(str(e.get('event', '')))}</td><td>{esc(str(e.get('detail', '')))}</td></tr>"
            for e in events
        )
        timeline = (
            "<table><tr><th>at</th><th>source</th><th>event</th><th>detail</th></tr>"
            + rows
            + "</table>"
            if rows
            else "<p>The report carries no event history for this order "
            "(<code>order_histories</code>); its violations:</p>"
        )
        ack = tta.get(oid)
        ack_text = (
            f"<p>Acknowledged {float(ack['tta_ms']):.0f} ms after creation.</p>"
            if ack
            else "<p>Never acknowledged.</p>"
        )
        viol = "".join(
            f"<li>{esc(name)}: <code>{esc(_json(v))}</code></li>" for name, v in by_order[oid]
        )
        out.append(
            f'<section class="order" id="{_order_anchor(i, oid)}"><h4>order {oid}</h4>'
            f"{timeline}{ack_text}<ul>{viol}</ul></section>"
        )
    return "".join(out)


def _run_section(i: int, report: Mapping[str, Any]) -> str:
    bridge = report.get("bridge_cmd") or "the reference bridge (embedded)"
    err = run_error(report)
    contract = report.get("contract")
    return (
        f'<section class="run" id="{_run_id(i)}">'
        f"<h2>{esc(str(report.get('scenario', '?')))} · seed {esc(str(report.get('seed', '?')))} · "
        f"{_verdict(report.get('verdict'))}</h2>"
        + (f'<p class="fail">Run error: {esc(err)}</p>' if err else "")
        + f"<p>Bridge: <code>{esc(str(bridge))}</code><br>Replay: "
        f"<code>{esc(replay_command(report))}</code><br>Started {esc(str(report.get('started_at', '')))}, "
        f"{esc(str(report.get('duration_s', '')))} s</p>"
        + (
            f"<details><summary>Contract</summary><pre>{esc(json.dumps(contract, indent=2, default=str))}</pre></details>"
            if contract is not None
            else ""
        )
        + _checks_table(i, report)
        + _charts(report)
        + "<h3>Violations</h3>"
        + _violations(i, report)
        + _order_sections(i, report)
        + "</section>"
    )


def render_html(reports: list[dict[str, Any]], title: str = "sapchaos report") -> str:
    """The whole page as a string."""
    passed = sum(1 for r in reports if r.get("verdict") == "pass")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1>"
        f"<p>{passed} of {len(reports)} run(s) passed.</p>"
        + _summary_table(reports)
        + "".join(_run_section(i, r) for i, r in enumerate(reports))
        + "</body></html>\n"
    )


def write_html(reports: list[dict[str, Any]], path: str | Path) -> Path:
    """Write the page for these reports (``report.json`` dicts, format 1) to ``path``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(render_html(reports), "utf-8")
    return p
