"""``sapchaos bench [NAME…]``: every speed figure of the project in one command, one table.

Each row runs its own stack — fakesap, fakeshop and the bridge as separate ``serve``
processes (``load.bench_stack``), the scenario runner in one process, or an A/B pair run
alternately in the same invocation — and ends with the oracle's verdict over what the run
left in the emulators' ground truth (rows without shop orders name their own check). The
table prints measure, figure, target, ratio and met/missed; a row whose run fails the oracle
says so and makes the command exit 1. No figure is asserted anywhere: the machine is shared.

Quick mode (default, < 5 min) shrinks sizes and says so in the row; ``--full`` runs the
sizes of issue 18 (5,000-order burst, 2,000 orders in one process, 60 s steady runs,
a 60 s cut at 200 orders/s, a 100k-order backlog).

Ratio column: the A/B ratio where a peer runs in the same invocation (ingress vs a bare
aiohttp handler, fakesap vs WireMock, embedded proxy vs Toxiproxy, one process vs separate
processes); otherwise figure ÷ target, oriented so that ≥ 1 means the target is met.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from load.bench_stack import (
    FLAKY_CREATES,
    SAPCHAOS,
    BenchError,
    ProcStack,
    cpu_s,
    http_json,
    rss_mb,
)

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sizes:
    """How big each run is (quick by default, the issue's sizes with ``--full``)."""

    ingress_seconds: int
    ingress_rounds: int
    burst: int
    embedded: int
    steady_rate: float
    steady_s: float
    cut_s: float
    backlog: int
    ab_seconds: int
    ab_rounds: int


QUICK = Sizes(2, 1, 1000, 400, 200.0, 10.0, 10.0, 4000, 2, 2)
FULL = Sizes(5, 3, 5000, 2000, 200.0, 60.0, 60.0, 100_000, 5, 3)


@dataclass
class Row:
    measure: str
    figure: str
    target: str
    ratio: float | None
    met: bool | None
    oracle: str
    detail: str = ""


@dataclass
class Context:
    sizes: Sizes
    seed: int
    workdir: Path
    keep: bool
    wiremock_jar: str | None
    toxiproxy_bin: str | None
    full: bool
    figures: dict[str, float] = field(default_factory=dict)

    def stack(self, name: str, **kw: Any) -> ProcStack:
        return ProcStack(self.workdir / name, seed=self.seed, **kw).start()


def _at_least(figure: float, target: float) -> tuple[float, bool]:
    ratio = figure / target if target else 0.0
    return ratio, figure >= target


def _at_most(figure: float, target: float) -> tuple[float, bool]:
    ratio = target / figure if figure > 0 else float("inf")
    return ratio, figure <= target


def _sized(ctx: Context, what: str) -> str:
    return "" if ctx.full else f" [quick: {what}]"


# -- rows ----------------------------------------------------------------------------------
def row_ingress(ctx: Context) -> list[Row]:
    """Distinct signed deliveries: ``bridge serve --roles ingress`` vs a bare aiohttp
    handler, alternating rounds, each receiver SIGKILLed and its store checked after."""
    from load import bench_ingress as bi

    s = ctx.sizes
    client = "wrk" if shutil.which("wrk") else "aiohttp"
    parts = 1 if client == "wrk" else 2
    corpus = bi.build_corpus(ctx.seed, 10_000, parts)
    opts = bi.Options(s.ingress_seconds, 1, 64, s.ingress_rounds, "sqlite", client, parts,
                      ("bridge", "bare"))  # fmt: skip
    for _ in range(s.ingress_rounds):
        for target in opts.targets:
            opts.runs.setdefault(target, []).append(bi.measure(target, corpus, opts))
    bridge, bare = opts.runs["bridge"], opts.runs["bare"]
    ratios = [a.load.rps / b.load.rps for a, b in zip(bridge, bare, strict=True) if b.load.rps]
    ratio = statistics.median(ratios) if ratios else 0.0
    rps_a = statistics.median(r.load.rps for r in bridge)
    rps_b = statistics.median(r.load.rps for r in bare)
    cpu_a = statistics.median(r.cpu_us_per_request for r in bridge)
    cpu_b = statistics.median(r.cpu_us_per_request for r in bare)
    missing = sum(r.durability.missing for r in bridge if r.durability is not None)
    acked = sum(r.durability.checked for r in bridge if r.durability is not None)
    non200 = sum(r.load.non200 for r in bridge)
    check = (
        f"own check: {acked} acked orders all in the store after SIGKILL"
        if missing == 0
        else f"FAIL: {missing} acked orders missing after SIGKILL"
    )
    return [
        Row(
            "ingress vs bare aiohttp (distinct signed deliveries)",
            f"{rps_a:,.0f} vs {rps_b:,.0f} req/s ({cpu_a:.0f} vs {cpu_b:.0f} µs CPU/req)",
            "≥ 0.85×",
            ratio,
            ratio >= 0.85,
            check,
            f"{client}, 64 connections, {s.ingress_rounds}×{s.ingress_seconds} s alternating, "
            f"non-200 {non200}",
        )
    ]


def row_burst(ctx: Context) -> list[Row]:
    """A burst of orders created at once in fakeshop; the figure is orders acknowledged per
    second in the shop (first order created → last confirmation note, ground truth)."""
    n = ctx.sizes.burst
    st = ctx.stack("burst")
    try:
        sap_pid = st.procs["fakesap"].pid
        sap_before = rss_mb(sap_pid)
        pids = {name: proc.pid for name, proc in st.procs.items()}
        cpu0 = {name: cpu_s(pid) for name, pid in pids.items()}
        st.generate(n)
        done = st.wait_acked(n, timeout_s=max(120.0, n / 20))
        cpu_ms = {name: (cpu_s(pid) - cpu0[name]) * 1000 / n for name, pid in pids.items()}
        sap_after = rss_mb(sap_pid)
        out = st.outcome()
    finally:
        st.close()
    rate = out.rate()
    ctx.figures["burst"] = rate
    ratio, met = _at_least(rate, 1000.0)
    rows = [
        Row(
            "end to end, burst, separate serve processes",
            f"{rate:,.0f} orders/s ({out.acked}/{n} acked)" + ("" if done else " TIMED OUT"),
            "≥ 1,000 orders/s",
            ratio,
            met and done,
            out.oracle,
            f"{n} orders{_sized(ctx, 'full size 5,000')}; CPU per order: "
            + ", ".join(f"{name} {ms:.2f} ms" for name, ms in cpu_ms.items()),
        )
    ]
    docs = max(1, int(out.verdict.counts["sap_orders"]))
    per_doc_kb = (sap_after - sap_before) * 1024 / docs
    at_100k = sap_before + per_doc_kb * 100_000 / 1024
    ratio, met = _at_most(at_100k, 150.0)
    rows.append(
        Row(
            "fakesap memory with 100k documents",
            f"≈ {at_100k:,.0f} MB ({per_doc_kb:.1f} KB/document, extrapolated)",
            "≤ 150 MB",
            ratio,
            met,
            out.oracle,
            f"RSS {sap_before:.0f} → {sap_after:.0f} MB over {docs} sales orders of the burst",
        )
    )
    return rows


def row_embedded(ctx: Context) -> list[Row]:
    """``sapchaos scenario run smoke --orders N``: the whole stack in one process."""
    n = ctx.sizes.embedded
    report = ctx.workdir / "embedded-report.json"
    run = subprocess.run(
        [*SAPCHAOS, "scenario", "run", "smoke", "--orders", str(n), "--seed", str(ctx.seed),
         "--report", str(report)],
        capture_output=True, text=True, cwd=ctx.workdir, timeout=1800,
    )  # fmt: skip
    if not report.exists():
        raise BenchError(f"scenario run wrote no report (exit {run.returncode}): "
                         f"{(run.stderr or run.stdout).strip()[-300:]}")  # fmt: skip
    rep = json.loads(report.read_text())
    rate = rep["counts"]["orders"] / rep["duration_s"] if rep["duration_s"] else 0.0
    verdict = str(rep["verdict"]).upper()
    failed = [k for k, v in rep["invariants"].items() if not v["ok"]]
    oracle = f"{verdict} ({rep['counts']['orders']} orders)" + (
        f": {', '.join(failed)}" if failed else ""
    )
    peer = ctx.figures.get("burst")
    if peer:
        ratio, met = rate / peer, rate / peer >= 0.8
        target = "≥ 0.8× separate processes"
    else:
        ratio, met = _at_least(rate, 800.0)
        target = "≥ 0.8× separate processes (run burst too; vs 1,000 here)"
    return [
        Row(
            "the same in one process (scenario run smoke)",
            f"{rate:,.0f} orders/s" + (f" vs {peer:,.0f}" if peer else ""),
            target,
            ratio,
            met,
            oracle,
            f"{n} orders / report duration_s {rep['duration_s']:.1f} s"
            f"{_sized(ctx, 'full size 2,000')}",
        )
    ]


def _steady(ctx: Context, name: str, faults: str | None) -> tuple[ProcStack, Any, bool]:
    s = ctx.sizes
    st = ctx.stack(name, sap_faults=faults)
    try:
        st.steady(s.steady_rate, s.steady_s)
        time.sleep(s.steady_s)
        while st.load_state() == "running":
            time.sleep(0.2)
        total = int(st.shop_stats()["orders"])
        done = st.wait_acked(total, timeout_s=120)
        return st, st.outcome(), done
    except BaseException:
        st.close()
        raise


def row_tta(ctx: Context) -> list[Row]:
    s = ctx.sizes
    st, out, done = _steady(ctx, "tta", None)
    st.close()
    p = out.verdict.tta_ms
    ratio, met = _at_most(p["p95"], 25.0)
    return [
        Row(
            f"TTA at a steady {s.steady_rate:.0f} orders/s, fault-free",
            f"p95 {p['p95']:,.0f} ms (p50 {p['p50']:,.0f}, p99 {p['p99']:,.0f})"
            + ("" if done else " TIMED OUT"),
            "p95 ≤ 25 ms",
            ratio,
            met and done,
            out.oracle,
            f"{out.orders} orders over {s.steady_s:.0f} s{_sized(ctx, 'full 60 s')}",
        )
    ]


def row_tta_5xx(ctx: Context) -> list[Row]:
    s = ctx.sizes
    st, out, done = _steady(ctx, "tta-5xx", FLAKY_CREATES)
    st.close()
    p = out.verdict.tta_ms
    ratio, met = _at_most(p["p95"], 1000.0)
    return [
        Row(
            f"TTA at {s.steady_rate:.0f} orders/s, 20 % SAP 5xx on creates",
            f"p95 {p['p95']:,.0f} ms (p50 {p['p50']:,.0f}, p99 {p['p99']:,.0f})"
            + ("" if done else " TIMED OUT"),
            "p95 ≤ 1,000 ms",
            ratio,
            met and done,
            out.oracle,
            f"{out.orders} orders over {s.steady_s:.0f} s{_sized(ctx, 'full 60 s')}",
        )
    ]


def row_drain(ctx: Context) -> list[Row]:
    """Orders keep arriving at the steady rate while the bridge→SAP link is cut (the proxy
    disables it); the figure is heal → the last order acknowledged."""
    s = ctx.sizes
    lead, tail = 3.0, 2.0
    st = ctx.stack("drain", with_proxy=True)
    try:
        st.steady(s.steady_rate, lead + s.cut_s + tail)
        time.sleep(lead)
        st.cut_sap(True)
        time.sleep(s.cut_s)
        st.cut_sap(False)
        healed = datetime.now(UTC)
        while st.load_state() == "running":
            time.sleep(0.2)
        total = int(st.shop_stats()["orders"])
        done = st.wait_acked(total, timeout_s=max(120.0, 4 * s.cut_s))
        out = st.outcome()
    finally:
        st.close()
    drain = (out.last_ack - healed).total_seconds() if out.last_ack else float("inf")
    ratio, met = _at_most(drain, 15.0)
    return [
        Row(
            f"drain after a {s.cut_s:.0f} s bridge→SAP cut at {s.steady_rate:.0f}/s",
            f"{drain:,.1f} s" + ("" if done else " TIMED OUT"),
            "≤ 15 s (after a 60 s cut)",
            ratio,
            met and done,
            out.oracle,
            f"{out.orders} orders; heal → last acknowledgement{_sized(ctx, 'full cut 60 s')}",
        )
    ]


def row_rss(ctx: Context) -> list[Row]:
    """The bridge's RSS with a backlog of unsent orders (ingress only, no worker), then the
    same store drained by a full bridge and judged. The backlog comes in two halves; short
    of 100k orders the figure extends the second half's slope (the first half also pays
    one-off growth: caches, buffers, the allocator's arenas)."""
    n = ctx.sizes.backlog
    st = ctx.stack("rss", bridge_roles="ingress")
    pid = st.procs["bridge"].pid

    def ingest(count: int, delivered: int) -> None:
        st.generate(count)
        deadline = time.monotonic() + max(120.0, count / 25)
        while time.monotonic() < deadline:
            stats = st.shop_stats()
            if stats["pending_deliveries"] == 0 and stats["deliveries"] >= delivered:
                break
            time.sleep(0.5)
        time.sleep(1.0)

    half = n // 2
    try:
        base = rss_mb(pid)
        t0 = time.monotonic()
        ingest(half, half)
        mid = rss_mb(pid)
        ingest(half, 2 * half)
        ingest_s = time.monotonic() - t0
        loaded = rss_mb(pid)
        st.stop_bridge()
        st.start_bridge(roles="ingress,worker,poller")
        done = st.wait_acked(2 * half, timeout_s=max(180.0, n / 20))
        out = st.outcome()
    finally:
        st.close()
    per_order_kb = max(0.0, loaded - mid) * 1024 / half
    at_100k = loaded + per_order_kb * (100_000 - 2 * half) / 1024
    ratio, met = _at_most(at_100k, 150.0)
    how = (
        "measured"
        if n >= 100_000
        else f"{loaded:.0f} MB at {n:,}, {per_order_kb:.2f} KB/order after that, extrapolated"
    )
    return [
        Row(
            "bridge RSS at a 100k-order backlog",
            f"≈ {at_100k:,.0f} MB ({how})" + ("" if done else "; drain TIMED OUT"),
            "≤ 150 MB",
            ratio,
            met,
            out.oracle,
            f"idle {base:.0f} MB, {mid:.0f} MB at {half:,}, {loaded:.0f} MB at {2 * half:,}; "
            f"deliveries taken in {ingest_s:.0f} s, then drained by a restarted full bridge",
        )
    ]


WIREMOCK_STUB = {
    "request": {"method": "POST", "urlPath": "/b1s/v1/Orders"},
    "response": {
        "status": 201,
        "headers": {"Content-Type": "application/json"},
        "body": '{"DocEntry": {{randomInt lower=1 upper=99999999}}, "DocNum": '
        '{{randomInt lower=1 upper=99999999}}, "CardCode": "{{jsonPath request.body '
        '\'$.CardCode\'}}", "U_IdemKey": "{{jsonPath request.body \'$.U_IdemKey\'}}", '
        '"DocumentStatus": "bost_Open", "DocDate": "{{now format=\'yyyy-MM-dd\'}}"}',
        "transformers": ["response-template"],
    },
}


def row_wiremock(ctx: Context) -> list[Row]:
    """fakesap ``POST Orders`` (uniqueness guard, master data, totals) vs a warmed WireMock
    3.13 templated stub: same wrk load, alternating rounds."""
    from load import bench_fakesap as bf

    if not ctx.wiremock_jar:
        return [Row("fakesap POST Orders vs WireMock 3.13", "skipped: no --wiremock-jar",
                    "≥ 0.6×", None, None, "n/a")]  # fmt: skip
    s = ctx.sizes
    sap_port, wm_port = bf.free_port(), bf.free_port()
    sap = bf.start_fakesap(sap_port, None)
    log = (ctx.workdir / "wiremock.log").open("ab")
    wm = subprocess.Popen(
        ["java", "-jar", ctx.wiremock_jar, "--port", str(wm_port), "--disable-banner",
         "--no-request-journal"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                http_json("POST", f"http://127.0.0.1:{wm_port}/__admin/mappings", WIREMOCK_STUB)
                break
            except OSError:
                if wm.poll() is not None or time.monotonic() > deadline:
                    raise BenchError("WireMock did not start (see wiremock.log)") from None
                time.sleep(0.5)
        session = bf.login(sap_port)
        for i in range(10):  # the JIT warms up: 10 runs before measuring
            bf.run_wrk(wm_port, "x", 1, 64, f"warm{i}")
        bf.run_wrk(sap_port, session, 1, 64, "warm")
        a: list[dict[str, float]] = []
        b: list[dict[str, float]] = []
        for r in range(s.ab_rounds):
            pair = [(a, sap_port, session), (b, wm_port, "x")]
            for out, port, sid in pair if r % 2 == 0 else pair[::-1]:
                out.append(bf.run_wrk(port, sid, s.ab_seconds, 64, f"r{r}"))
        docs = len(bf.admin(sap_port, "/__admin/documents")["documents"])  # type: ignore[arg-type]
        errors = sum(x["errors"] for x in a)
    finally:
        for p in (sap, wm):
            p.terminate()
            p.wait(15)
    ratios = [x["rps"] / y["rps"] for x, y in zip(a, b, strict=True) if y["rps"]]
    ratio = statistics.median(ratios)
    ra, rb = statistics.median(x["rps"] for x in a), statistics.median(x["rps"] for x in b)
    check = (
        f"own check: {docs} documents, 0 errors"
        if errors == 0
        else f"FAIL: {errors:.0f} non-2xx from fakesap"
    )
    return [
        Row(
            "fakesap POST Orders vs warmed WireMock 3.13 stub",
            f"{ra:,.0f} vs {rb:,.0f} req/s",
            "≥ 0.6×",
            ratio,
            ratio >= 0.6,
            check,
            f"wrk 64 connections, {s.ab_rounds}×{s.ab_seconds} s alternating, WireMock warmed "
            "with 10 runs",
        )
    ]


def row_proxy(ctx: Context) -> list[Row]:
    """``load/bench_proxy.py`` (the proxy engineer's script), embedded proxy on uvloop vs
    the real Toxiproxy, both against the same upstream, rounds alternating."""
    if not ctx.toxiproxy_bin:
        return [Row("embedded proxy vs Toxiproxy", "skipped: no --toxiproxy-bin",
                    "≥ 1.0× Toxiproxy", None, None, "n/a")]  # fmt: skip
    run = subprocess.run(
        [sys.executable, str(ROOT / "load" / "bench_proxy.py"), "--rounds",
         str(ctx.sizes.ab_rounds), "--variants", "direct,uvloop", "--toxiproxy-bin",
         ctx.toxiproxy_bin],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    line = next((ln for ln in run.stdout.splitlines() if ln.startswith("keep-alive 1 KB")), "")
    cells = re.findall(r"([\d,]+) req/s(?: \(([\d.]+)x\))?", line)
    if run.returncode != 0 or len(cells) < 3:
        raise BenchError(f"bench_proxy.py failed: {(run.stderr or run.stdout).strip()[-300:]}")
    ours, theirs = float(cells[1][1]), float(cells[2][1])
    ratio = ours / theirs if theirs else 0.0
    return [
        Row(
            "embedded proxy vs Toxiproxy (keep-alive 1 KB)",
            f"{ours:.2f}× vs {theirs:.2f}× of direct",
            "≥ 1.0× Toxiproxy",
            ratio,
            ratio >= 1.0,
            "n/a (bytes only)",
            "load/bench_proxy.py --variants direct,uvloop",
        )
    ]


#: name → row runner, in the order the table lists them (burst before embedded: its peer)
ROWS: dict[str, Callable[[Context], list[Row]]] = {
    "ingress": row_ingress,
    "burst": row_burst,
    "embedded": row_embedded,
    "tta": row_tta,
    "tta-5xx": row_tta_5xx,
    "drain": row_drain,
    "rss": row_rss,
    "wiremock": row_wiremock,
    "proxy": row_proxy,
}


# -- output --------------------------------------------------------------------------------
def machine() -> str:
    cpu = "?"
    with_open = Path("/proc/cpuinfo")
    if with_open.exists():
        m = re.search(r"model name\s*:\s*(.+)", with_open.read_text())
        cpu = m.group(1).strip() if m else cpu
    load1, load5, _ = os.getloadavg()
    return (
        f"{platform.node()} — {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()},"
        f" load {load1:.1f}/{load5:.1f}"
    )


def table(rows: list[Row]) -> str:
    head = ["measure", "figure", "target", "ratio", "met", "oracle"]
    body = [
        [
            r.measure,
            r.figure,
            r.target,
            "—" if r.ratio is None else f"{r.ratio:.2f}×",
            "—" if r.met is None else ("met" if r.met else "missed"),
            r.oracle,
        ]
        for r in rows
    ]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(head, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)) for x in body]
    return "\n".join(lines)


def parse_names(names: list[str]) -> list[str]:
    if not names:
        return list(ROWS)
    unknown = [n for n in names if n not in ROWS]
    if unknown:
        raise ValueError(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(ROWS)}")
    return [n for n in ROWS if n in names]  # the table's order, burst before embedded


def run(
    names: list[str],
    *,
    full: bool = False,
    seed: int = 42,
    wiremock_jar: str | None = None,
    toxiproxy_bin: str | None = None,
    keep: bool = False,
    json_path: str | None = None,
) -> int:
    """Run the named rows, print the table; 0 unless a run failed the oracle or errored."""
    chosen = parse_names(names)
    workdir = Path(tempfile.mkdtemp(prefix="sapchaos-bench-"))
    ctx = Context(FULL if full else QUICK, seed, workdir, keep, wiremock_jar, toxiproxy_bin, full)
    started = time.monotonic()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"sapchaos bench {' '.join(chosen)} — {'full' if full else 'quick'} mode, seed {seed}")
    print(f"{when}; {machine()}", flush=True)
    rows: list[Row] = []
    failed = False
    try:
        for name in chosen:
            t0 = time.monotonic()
            try:
                got = ROWS[name](ctx)
            except Exception as exc:  # one broken row must not hide the others
                got = [Row(name, f"error: {type(exc).__name__}: {exc}"[:160], "—", None, None,
                           "not judged")]  # fmt: skip
                failed = True
            for r in got:
                failed |= r.oracle.startswith("FAIL")
                print(f"  {name:<9} {time.monotonic() - t0:5.0f} s  {r.measure}: {r.figure}"
                      f" — {r.oracle}", flush=True)  # fmt: skip
            rows += got
    finally:
        if keep:
            print(f"(kept {workdir})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(table(rows))
    for r in rows:
        if r.detail:
            print(f"  · {r.measure}: {r.detail}")
    print(f"took {time.monotonic() - started:.0f} s; seed {seed}; "
          f"load now {os.getloadavg()[0]:.1f}")  # fmt: skip
    if json_path:
        Path(json_path).write_text(
            json.dumps({"date": when, "machine": machine(), "seed": seed, "full": full,
                        "rows": [asdict(r) for r in rows]}, indent=2, ensure_ascii=False)
        )  # fmt: skip
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench", description=__doc__)
    add_arguments(ap)
    args = ap.parse_args(argv)
    try:
        return run_from_args(args)
    except ValueError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("names", nargs="*", metavar="NAME", help=f"rows to run: {', '.join(ROWS)}")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes, < 5 min (default)")
    size.add_argument("--full", action="store_true", help="the sizes of issue 18 (long)")
    p.add_argument("--seed", type=int, default=42, help="seed of every stack (default 42)")
    p.add_argument("--wiremock-jar", metavar="JAR", help="WireMock 3.13 standalone jar")
    p.add_argument("--toxiproxy-bin", metavar="BIN", help="a toxiproxy-server binary")
    p.add_argument("--keep", action="store_true", help="keep the run folders and logs")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")


def run_from_args(args: argparse.Namespace) -> int:
    if args.wiremock_jar and not Path(args.wiremock_jar).is_file():
        raise ValueError(f"--wiremock-jar: {args.wiremock_jar} is not a file")
    if args.wiremock_jar and not shutil.which("java"):
        raise ValueError("--wiremock-jar needs java on PATH (java 17 or newer)")
    if args.toxiproxy_bin and not shutil.which(args.toxiproxy_bin):
        raise ValueError(f"--toxiproxy-bin: {args.toxiproxy_bin} is not an executable")
    return run(
        list(args.names),
        full=bool(args.full),
        seed=args.seed,
        wiremock_jar=args.wiremock_jar,
        toxiproxy_bin=args.toxiproxy_bin,
        keep=args.keep,
        json_path=args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
