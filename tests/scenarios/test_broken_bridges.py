"""Each classic defect of a shop→SAP bridge is caught by the scenario named for it.

Every broken bridge is ``tests/bridges/good_bridge.py --defect NAME``: a separate process
that speaks only WooCommerce webhooks/REST and the Service Layer, identical to the good
bridge but for one small branch. Each runs under its scenario through ``sapchaos scenario
run --bridge-cmd``; the test asserts the invariant that must fail and that the report, the
JUnit failure and the HTML page name the same order ids. One process per case, few orders.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scenarios.report_fields import order_ids
from tests.bridges.manual_stack import ROOT, SAPCHAOS

BRIDGE = f"{sys.executable} tests/bridges/good_bridge.py"

#: defect → (scenario that must expose it, invariant that must fail, orders)
CASES = {
    "no-dedup": ("duplicate-webhooks", "no_duplicate_order", 20),
    "race": ("duplicate-webhooks", "no_duplicate_order", 20),
    "delivery-id": ("calm", "no_lost_order", 30),
    "no-lookup": ("lost-replies", "no_duplicate_order", 30),
    "ack-before-commit": ("bridge-crash", "no_lost_order", 60),
    # the shop never retries a failed delivery: a 5xx from the handler loses the order
    "sap-in-handler": ("sap-5xx", "no_lost_order", 30),
    "drop-cancel": ("calm", "cancelled_in_sap", 30),
}


def _catalog() -> set[str]:
    out = subprocess.run([SAPCHAOS, "scenario", "list"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return {line.split()[0] for line in out.stdout.splitlines() if line.strip()}


@pytest.mark.parametrize("defect", sorted(CASES))
def test_defect_is_caught(defect: str, tmp_path: Path) -> None:
    scenario, invariant, orders = CASES[defect]
    assert scenario in _catalog(), (
        f"the catalog lost the scenario {scenario!r} that catches {defect}"
    )
    report_path, junit, html = tmp_path / "r.json", tmp_path / "j.xml", tmp_path / "r.html"
    res = subprocess.run(
        [
            SAPCHAOS,
            "scenario",
            "run",
            scenario,
            "--seed",
            "1",
            "--orders",
            str(orders),
            "--bridge-cmd",
            f"{BRIDGE} --defect {defect}",
            "--report",
            str(report_path),
            "--junit",
            str(junit),
            "--html",
            str(html),
            "--run-dir",
            str(tmp_path / "run"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 1, (
        f"{defect} under {scenario} was not caught:\n{res.stdout}\n{res.stderr}"
    )
    report = json.loads(report_path.read_text())
    assert report["verdict"] == "fail"
    assert report["bridge_cmd"].endswith(f"--defect {defect}")
    failed = report["invariants"][invariant]
    assert not failed["ok"], {k: v["ok"] for k, v in report["invariants"].items()}
    ids = order_ids(failed["violations"])
    assert ids, failed["violations"][:3]
    # the named orders are orders of this run
    first = min(ids)
    assert all(first <= i < first + 10 * orders for i in ids)
    # the JUnit failure and the HTML page name the same orders, with the replay command
    case = next(
        c
        for c in ET.parse(junit).getroot().iter("testcase")
        if c.get("name", "").startswith(f"invariant:{invariant}[")
    )
    failure = case.find("failure")
    assert failure is not None
    message = failure.get("message", "")
    assert ", ".join(map(str, ids[:20])) in message and "--defect" in message
    page = html.read_text()
    assert all(f'id="run-0-order-{i}"' in page for i in ids)
