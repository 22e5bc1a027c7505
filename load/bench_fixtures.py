"""Benchmark: the sapchaos pytest fixtures, with pytest-httpserver as the yardstick.

Figures (printed, never asserted — the machine is shared):

* server start for the session: fakesap, fakeshop and the proxy started on the
  background thread (imports measured apart);
* per-test reset: what the ``fakesap`` and ``fakeshop`` fixtures do before each test
  (median and p95 over ``--resets`` rounds);
* a suite of ``--tests`` tests, each logging in to the Service Layer, creating a sales
  order and asserting SAP's state, run by ``pytest`` in a subprocess in an empty folder
  (wall time, and pytest's own "in N s"), beside the same test shape against
  pytest-httpserver's ``httpserver`` (a canned Login and Orders answer).

    .venv/bin/python load/bench_fixtures.py [--tests 200] [--resets 200] [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SAPCHAOS_TEST = """
import pytest
import requests


@pytest.mark.parametrize("n", range({tests}))
def test_order_reaches_sap(fakesap, n):
    sl = requests.Session()
    assert sl.post(f"{{fakesap.url}}/Login", json=fakesap.login_body).status_code == 200
    body = {{
        "CardCode": fakesap.card_code,
        "DocDueDate": "2026-12-31",
        "U_IdemKey": f"wc:{{n}}:order",
        "DocumentLines": [{{"ItemCode": fakesap.item_codes[0], "Quantity": 1}}],
    }}
    assert sl.post(f"{{fakesap.url}}/Orders", json=body).status_code == 201
    [doc] = fakesap.orders(f"wc:{{n}}:order")
    assert doc["DocumentLines"][0]["ItemCode"] == fakesap.item_codes[0]
"""

HTTPSERVER_TEST = """
import json

import pytest
import requests


@pytest.mark.parametrize("n", range({tests}))
def test_order_reaches_sap(httpserver, n):
    httpserver.expect_request("/b1s/v1/Login", method="POST").respond_with_json(
        {{"SessionId": "s", "SessionTimeout": 30}}
    )
    httpserver.expect_request("/b1s/v1/Orders", method="POST").respond_with_json(
        {{"DocEntry": 1, "DocNum": 100001}}, status=201
    )
    url = httpserver.url_for("/b1s/v1")
    sl = requests.Session()
    assert sl.post(f"{{url}}/Login", json={{"CompanyDB": "X"}}).status_code == 200
    body = {{"U_IdemKey": f"wc:{{n}}:order", "DocumentLines": [{{"ItemCode": "A", "Quantity": 1}}]}}
    assert sl.post(f"{{url}}/Orders", json=body).status_code == 201
    [(req, _resp)] = [e for e in httpserver.log if e[0].path.endswith("/Orders")]
    assert json.loads(req.get_data())["U_IdemKey"] == f"wc:{{n}}:order"
"""


def bench_start_and_reset(resets: int) -> dict[str, float]:
    t0 = time.perf_counter()
    from sapchaos.testing.clients import FakeSapClient, FakeShopClient
    from sapchaos.testing.servers import Servers

    imported = time.perf_counter() - t0
    t1 = time.perf_counter()
    servers = Servers()
    sap = servers.fakesap()
    shop = servers.fakeshop()
    servers.toxiproxy()
    started = time.perf_counter() - t1
    try:
        fakesap = FakeSapClient(servers.thread, sap.url)
        fakeshop = FakeShopClient(servers.thread, shop.url)
        samples = []
        for _ in range(resets):
            t = time.perf_counter()
            fakesap.reset()
            fakeshop.reset()
            samples.append(time.perf_counter() - t)
        samples.sort()
    finally:
        servers.close()
    return {
        "import_s": imported,
        "start_s": started,
        "reset_ms_p50": statistics.median(samples) * 1000,
        "reset_ms_p95": samples[int(len(samples) * 0.95) - 1] * 1000,
    }


def run_suite(source: str, tests: int) -> tuple[float, float | None, str]:
    """Wall seconds, pytest's own seconds and the summary line of one subprocess run."""
    with tempfile.TemporaryDirectory(prefix="bench-fixtures-") as tmp:
        Path(tmp, "test_suite.py").write_text(source.format(tests=tests))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        t = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_suite.py"],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - t
    lines = [ln for ln in run.stdout.splitlines() if ln.strip()]
    summary = lines[-1] if lines else run.stderr.strip()[-200:]
    m = re.search(r"in ([0-9.]+)s", summary)
    if run.returncode != 0:
        summary = f"FAILED (exit {run.returncode}): {summary}"
    return wall, float(m.group(1)) if m else None, summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tests", type=int, default=200, help="tests per suite (default 200)")
    ap.add_argument("--resets", type=int, default=200, help="reset rounds (default 200)")
    ap.add_argument("--rounds", type=int, default=1, help="suite runs per variant (median)")
    args = ap.parse_args()

    print(f"sapchaos pytest fixtures benchmark ({os.cpu_count()} cores, shared machine)")
    f = bench_start_and_reset(args.resets)
    print(f"  import of the servers' modules      {f['import_s'] * 1000:8.0f} ms")
    print(
        f"  server start for the session        {f['start_s'] * 1000:8.0f} ms   (target <= 1000 ms)"
    )
    print(
        f"  per-test reset (fakesap + fakeshop) {f['reset_ms_p50']:8.2f} ms p50, "
        f"{f['reset_ms_p95']:.2f} ms p95   (target <= 10 ms)"
    )
    print(f"  {args.tests} tests: log in, create a sales order, assert SAP's state")
    for name, source in (
        ("sapchaos fakesap", SAPCHAOS_TEST),
        ("pytest-httpserver", HTTPSERVER_TEST),
    ):
        walls, inner, summary = [], [], ""
        for _ in range(args.rounds):
            wall, own, summary = run_suite(source, args.tests)
            walls.append(wall)
            if own is not None:
                inner.append(own)
        own_s = f"{statistics.median(inner):6.2f} s" if inner else "   n/a"
        print(
            f"    {name:<18} wall {statistics.median(walls):6.2f} s   pytest {own_s}   [{summary}]"
        )
    print("  (target: the sapchaos suite <= 15 s; pytest-httpserver is the yardstick)")


if __name__ == "__main__":
    main()
