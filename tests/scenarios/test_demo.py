"""End to end: the demo and scenarios run the real stack and the oracle judges it."""

from __future__ import annotations

import json
from pathlib import Path

from sapchaos.cli import main
from scenarios.oracle import INVARIANTS
from scenarios.runner import run_scenario
from scenarios.schema import load_scenario

REPORT_KEYS = {
    "format_version",
    "scenario",
    "seed",
    "verdict",
    "invariants",
    "counts",
    "tta_ms",
    "faults",
    "started_at",
    "duration_s",
}


def test_demo_command_passes_and_writes_the_report(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    code = main(
        [
            "--log-level",
            "WARNING",
            "demo",
            "--orders",
            "40",
            "--seed",
            "7",
            "--report",
            str(report_path),
            "--run-dir",
            str(tmp_path / "run"),
        ]
    )
    report = json.loads(report_path.read_text())
    assert code == 0, report["invariants"]
    assert set(report) >= REPORT_KEYS
    assert report["scenario"] == "smoke" and report["seed"] == 7 and report["verdict"] == "pass"
    assert report["counts"]["orders"] == 40
    assert report["counts"]["sap_orders"] == 40
    assert report["counts"]["duplicates"] == 0 and report["counts"]["lost"] == 0
    # every webhook was delivered 1–3 times, so there were more attempts than orders
    assert 40 < report["counts"]["webhook_attempts"] <= 120
    assert set(report["invariants"]) == set(INVARIANTS)
    assert report["replay_command"] == "sapchaos scenario run smoke --seed 7 --orders 40"
    assert report["contract"]["key_field"] == "U_IdemKey"
    assert all(v["ok"] and v["violations"] == [] for v in report["invariants"].values())
    t = report["tta_ms"]
    assert 0 < t["p50"] <= t["p95"] <= t["p99"] <= t["max"]


async def test_lost_replies_scenario_has_faults_and_no_duplicates(tmp_path: Path) -> None:
    report = await run_scenario(
        load_scenario("lost-replies"),
        seed=3,
        orders=60,
        report_path=tmp_path / "r.json",
        run_dir=tmp_path / "run",
        progress_stream=None,
    )
    assert report["verdict"] == "pass", report["invariants"]
    fault = report["faults"][0]
    assert fault["rule"]["fault"] == "commit_then_fail" and fault["fired"] > 0
    assert report["counts"]["sap_orders"] == 60


def test_scenario_list_and_unknown_name(capsys: object) -> None:
    assert main(["scenario", "list"]) == 0
    assert main(["scenario", "run", "no-such-scenario"]) == 2
