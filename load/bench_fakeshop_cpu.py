"""fakeshop CPU per order in the whole stack (issue 18): a burst of orders and a steady rate,
each with fakesap, fakeshop and the bridge as separate ``serve`` processes. Prints CPU ms per
order of every process (user + system from /proc, the same clock ``sapchaos bench`` reads)
and the oracle's verdict; asserts nothing.

``--py-spy DIR`` also records fakeshop with ``py-spy record -r 200 -f raw`` during each run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from load.bench_stack import ProcStack, cpu_s


def _spy(pid: int, out: Path | None) -> subprocess.Popen[bytes] | None:
    if out is None:
        return None
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "-r",
            "200",
            "-f",
            "raw",
            "-p",
            str(pid),
            "-o",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop_spy(spy: subprocess.Popen[bytes] | None) -> None:
    if spy is not None:
        spy.send_signal(2)  # SIGINT: py-spy writes its output and exits
        spy.wait(30)


def run(
    kind: str, workdir: Path, count: int, rate: float, seconds: float, spy: Path | None
) -> None:
    st = ProcStack(workdir / kind)
    try:
        st.start()
        pids = {name: proc.pid for name, proc in st.procs.items()}
        prof = _spy(pids["fakeshop"], spy / f"{kind}.txt" if spy else None)
        time.sleep(0.5 if prof else 0)
        cpu0 = {name: cpu_s(pid) for name, pid in pids.items()}
        t0 = time.perf_counter()
        if kind == "burst":
            st.generate(count)
            n = count
        else:
            st.steady(rate, seconds)
            time.sleep(seconds)
            while st.load_state() == "running":
                time.sleep(0.2)
            n = int(st.shop_stats()["orders"])
        done = st.wait_acked(n, timeout_s=max(120.0, n / 20))
        wall = time.perf_counter() - t0
        cpu_ms = {name: (cpu_s(pid) - cpu0[name]) * 1000 / n for name, pid in pids.items()}
        _stop_spy(prof)
        out = st.outcome()
    finally:
        st.close()
    print(
        f"{kind}: {n} orders, {out.acked} acked{'' if done else ' TIMED OUT'} in {wall:.1f} s; "
        + ", ".join(f"{name} {ms:.3f} ms" for name, ms in cpu_ms.items())
        + f" CPU/order; oracle {out.oracle}"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--burst", type=int, default=2000)
    p.add_argument("--rate", type=float, default=200.0)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--only", choices=["burst", "steady"])
    p.add_argument("--py-spy", type=Path, default=None, dest="spy")
    a = p.parse_args()
    if a.spy:
        a.spy.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-fakeshop-cpu-") as tmp:
        for kind in ("burst", "steady"):
            if a.only in (None, kind):
                run(kind, Path(tmp), a.burst, a.rate, a.seconds, a.spy)


if __name__ == "__main__":
    main()
