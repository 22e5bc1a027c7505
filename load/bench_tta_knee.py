"""Time-to-acknowledge against offered load: where is the knee?

Starts one stack (``sapchaos up``), then runs ``sapchaos load`` (steady shape) at growing
user counts against it, reads each run's Locust CSV (``TTA`` row ``order`` and the
``create order`` rate), prints one line per level and draws TTA p50/p95 against the
offered load (orders/s), with the knee marked, to a PNG (matplotlib).

The knee is the last level whose TTA p95 stays within ``--knee-factor`` (default 2×) of the
lightest level's p95: beyond it, more offered load buys mostly waiting.

    .venv/bin/python load/bench_tta_knee.py --users 5,10,20,40,80 --run-time 20s \\
        --png docs/img/tta-knee.png
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from scenarios.loadtest import Stack, parse_run_time, targets_from_env

SAPCHAOS = str(Path(sys.executable).parent / "sapchaos")


@dataclass(frozen=True)
class Level:
    users: int
    offered_per_s: float
    orders: int
    tta_p50_ms: float
    tta_p95_ms: float
    tta_p99_ms: float
    to_sap_p50_ms: float
    failures: int
    verdict: str


def _stats(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return {(r["Type"], r["Name"]): r for r in csv.DictReader(fh)}


def run_level(users: int, run_time: str, env: dict[str, str], workdir: Path, seed: int) -> Level:
    t = targets_from_env(env)
    prefix = workdir / f"u{users}"
    cmd = [
        SAPCHAOS, "load", "--users", str(users), "--spawn-rate", str(max(1, users)),
        "--run-time", run_time, "--csv", str(prefix), "--seed", str(seed),
        "--shop-url", t.shop_url, "--sap-url", t.sap_url, "--bridge-url", t.bridge_url,
        "--proxy-url", t.proxy_url, "--tta-timeout", "120",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    verdict = "pass" if "oracle: PASS" in proc.stdout else "fail"
    s = _stats(Path(f"{prefix}_stats.csv"))
    tta, to_sap, created = s[("TTA", "order")], s[("TO_SAP", "order")], s[("POST", "create order")]
    ok = int(created["Request Count"]) - int(created["Failure Count"])
    return Level(
        users=users,
        offered_per_s=round(ok / parse_run_time(run_time), 2),
        orders=ok,
        tta_p50_ms=float(tta["50%"]),
        tta_p95_ms=float(tta["95%"]),
        tta_p99_ms=float(tta["99%"]),
        to_sap_p50_ms=float(to_sap["50%"]),
        failures=int(tta["Failure Count"]),
        verdict=verdict,
    )


def knee(levels: list[Level], factor: float) -> Level:
    base = levels[0].tta_p95_ms
    within = [lv for lv in levels if lv.tta_p95_ms <= factor * base]
    return within[-1] if within else levels[0]


def draw(levels: list[Level], k: Level, png: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [lv.offered_per_s for lv in levels]
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=120)
    ax.plot(x, [lv.tta_p50_ms for lv in levels], "o-", label="TTA p50")
    ax.plot(x, [lv.tta_p95_ms for lv in levels], "s-", label="TTA p95")
    for lv in levels:
        ax.annotate(f"{lv.users} users", (lv.offered_per_s, lv.tta_p95_ms), textcoords="offset points",
                    xytext=(0, 7), ha="center", fontsize=7, color="#555")  # fmt: skip
    ax.axvline(k.offered_per_s, color="#c0392b", linestyle="--", linewidth=1)
    ax.annotate(f"knee ≈ {k.offered_per_s:g} orders/s", (k.offered_per_s, k.tta_p95_ms),
                xytext=(10, 25), textcoords="offset points", color="#c0392b",
                arrowprops={"arrowstyle": "->", "color": "#c0392b"})  # fmt: skip
    ax.set_xlabel("offered load (orders created per second)")
    ax.set_ylabel("time to acknowledge (ms)")
    ax.set_yscale("log")
    ax.margins(x=0.08, y=0.15)
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--users", default="5,10,20,40,80", help="comma list of user counts")
    p.add_argument("--run-time", default="20s")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--knee-factor", type=float, default=2.0)
    p.add_argument("--png", default=None, help="write the chart here")
    p.add_argument("--json", default=None, help="write the levels here")
    p.add_argument("--from-json", default=None, help="redraw from levels written by --json")
    a = p.parse_args(argv)
    users = [int(u) for u in a.users.split(",") if u.strip()]
    if a.from_json:
        levels = [Level(**lv) for lv in json.loads(Path(a.from_json).read_text("utf-8"))]
        k = knee(levels, a.knee_factor)
        draw(
            levels,
            k,
            Path(a.png or "tta-knee.png"),
            f"sapchaos reference bridge, embedded stack, steady {a.run_time} per level",
        )
        return 0
    with tempfile.TemporaryDirectory(prefix="sapchaos-knee-") as tmp:
        stack = Stack(Path(tmp), a.seed)
        env = stack.start()
        try:
            levels = []
            for n in users:
                lv = run_level(n, a.run_time, env, Path(tmp), a.seed)
                levels.append(lv)
                print(f"{lv.users:>4} users  {lv.offered_per_s:>7.2f} orders/s  TTA p50 {lv.tta_p50_ms:>7.0f} ms  "
                      f"p95 {lv.tta_p95_ms:>7.0f} ms  p99 {lv.tta_p99_ms:>7.0f} ms  TO_SAP p50 "
                      f"{lv.to_sap_p50_ms:>6.0f} ms  failures {lv.failures}  oracle {lv.verdict}", flush=True)  # fmt: skip
        finally:
            stack.stop()
    k = knee(levels, a.knee_factor)
    print(f"knee: {k.offered_per_s:g} orders/s ({k.users} users), TTA p95 {k.tta_p95_ms:.0f} ms")
    if a.json:
        Path(a.json).write_text(json.dumps([asdict(lv) for lv in levels], indent=2) + "\n", "utf-8")
    if a.png:
        draw(
            levels,
            k,
            Path(a.png),
            f"sapchaos reference bridge, embedded stack, steady {a.run_time} per level",
        )
        print(f"chart: {a.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
