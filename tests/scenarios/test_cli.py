"""``sapchaos scenario list|validate|run`` with a tiny file, mistakes as one line + exit 2,
and determinism: the same seed gives the same fault decisions and the same verdict."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sapchaos.cli import main
from sapchaos.logs import configure_logging
from scenarios.runner import run_scenario
from scenarios.schema import load_scenario

TINY = """\
description = "tiny: 6 orders, half the SAP creates fail with 503 first"

[load]
orders = 6
burst = true

[stack]
workers = 1

[[timeline]]
at_s = 0
action = "sap_fault"
rule = { id = "flaky", fault = "http_error", methods = ["POST"], entity_set = "Orders", probability = 0.5, params = { status = [503] } }

[expect]
timeout_s = 60
"""


@pytest.fixture(autouse=True)
def _logs_back_to_real_stderr() -> Iterator[None]:
    """main() points the JSON logs at sys.stderr, which capsys swaps for a stream it
    closes after the test: point them back at the real stderr afterwards."""
    yield
    configure_logging("WARNING", stream=sys.__stderr__)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.toml"
    p.write_text(TINY, "utf-8")
    return p


def test_list_shows_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenario", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) >= 22
    assert any(line.startswith("partition-sap ") and "150 orders" in line for line in out)


def test_validate_good_and_bad(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scenario", "validate", str(tiny)]) == 0
    assert capsys.readouterr().out.strip() == f"{tiny}: ok"
    bad = tmp_path / "bad.toml"
    bad.write_text('description = "x"\n[load]\norders = 5\nspeed = 3\n', "utf-8")
    assert main(["scenario", "validate", str(bad)]) == 2
    assert capsys.readouterr().out.strip() == (
        f"{bad}:4: unknown key 'load.speed'; allowed here: burst, lifecycle, orders, rate, shop, step_s, taxes"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scenario", "run", "no-such"], "unknown scenario 'no-such'"),
        (["scenario", "run"], "name at least one scenario"),
        (["scenario", "run", "calm", "--all"], "not both"),
        (["scenario", "run", "calm", "--orders", "0"], "--orders must be at least 1"),
        (["scenario", "run", "calm", "--contract", "/nonexistent.toml"], "--contract"),
        (
            ["scenario", "run", "calm", "--bridge-cmd", "mybridge --port {port}"],
            "unknown placeholder {port}",
        ),
    ],
)
def test_mistakes_are_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "Traceback" not in err[0]


def test_bad_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[load\n", "utf-8")
    assert main(["scenario", "run", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not valid TOML" in err[0]


def test_run_a_tiny_file(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report_path = tmp_path / "r.json"
    code = main(
        [
            "scenario",
            "run",
            str(tiny),
            "--seed",
            "3",
            "--report",
            str(report_path),
            "--run-dir",
            str(tmp_path / "runs"),
        ]
    )
    captured = capsys.readouterr()
    report = json.loads(report_path.read_text())
    assert code == 0, report["invariants"]
    assert report["verdict"] == "pass" and report["seed"] == 3
    assert report["replay_command"] == f"sapchaos scenario run {tiny} --seed 3"
    assert report["counts"]["orders"] == 6 and report["counts"]["sap_orders"] == 6
    for key in ("contract", "expectations", "samples", "fault_windows", "tta_series", "bridge_cmd"):
        assert key in report
    assert report["faults"][0]["kind"] == "sap_fault" and report["faults"][0]["fired"] >= 0
    # the summary is on stdout, progress on stderr, JSON logs in the run folder only
    assert "verdict: PASS" in captured.out and '"event"' not in captured.out
    assert '"event"' not in captured.err
    assert list((tmp_path / "runs").glob("*/tiny-seed3/harness.log"))


async def _run(tiny: Path, tmp_path: Path, tag: str) -> dict[str, Any]:
    return await run_scenario(
        load_scenario(tiny),
        seed=11,
        run_dir=tmp_path / tag,
        progress_stream=None,
        out=io.StringIO(),
    )


async def test_same_seed_same_fault_decisions_and_verdict(tiny: Path, tmp_path: Path) -> None:
    a = await _run(tiny, tmp_path, "a")
    b = await _run(tiny, tmp_path, "b")
    assert a["verdict"] == b["verdict"] == "pass"
    assert a["faults"][0]["fired"] == b["faults"][0]["fired"]
    assert a["counts"]["fault_decisions"] == b["counts"]["fault_decisions"]
    assert {k: v["ok"] for k, v in a["invariants"].items()} == {
        k: v["ok"] for k, v in b["invariants"].items()
    }
