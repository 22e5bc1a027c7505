"""Progress lines, samples, fault windows and expectations: small units of the runner."""

from __future__ import annotations

import io
from pathlib import Path

from scenarios.expectations import check_expectations
from scenarios.oracle import Histories, judge
from scenarios.progress import FaultWindows, Progress
from scenarios.schema import load_scenario


def test_fault_windows_close_and_remember_the_last_heal() -> None:
    w = FaultWindows(t0=0.0)
    w.change("on", "partition@3")
    w.change("on", "toxic@7")
    w.change("off", "partition@3")
    assert set(w.active) == {"toxic@7"} and w.last_heal_s is not None
    windows = w.windows()
    assert [x["name"] for x in windows] == ["partition@3", "toxic@7"]
    assert windows[1].get("unhealed") is True and "unhealed" not in windows[0]


async def test_progress_samples_and_prints_a_line() -> None:
    async def counters() -> dict[str, int]:
        return {"orders": 5, "in_sap": 3, "acknowledged": 2}

    stream = io.StringIO()
    faults = FaultWindows(t0=0.0)
    faults.change("on", "partition@3")
    p = Progress(counters, faults, stream)
    p.phase = "load"
    row = await p.sample()
    assert row is not None and p.samples == [row]
    assert {k: row[k] for k in ("orders", "in_sap", "acknowledged")} == {
        "orders": 5,
        "in_sap": 3,
        "acknowledged": 2,
    }
    line = p.line(row)
    assert "load" in line and "orders     5" in line and "faults: partition@3" in line


async def test_progress_survives_a_failing_counter() -> None:
    async def broken() -> dict[str, int]:
        raise ConnectionError("restarting")

    p = Progress(broken, FaultWindows(t0=0.0), None)
    assert await p.sample() is None and p.samples == []


def test_expectations(tmp_path: Path) -> None:
    f = tmp_path / "x.toml"
    f.write_text(
        'description = "x"\n[load]\norders = 1\n[expect]\ntta_p95_ms = 100\ndrain_s = 5\ndlq_min = 1\n',
        "utf-8",
    )
    scenario = load_scenario(f)
    verdict = judge(Histories([], [], []))
    got = check_expectations(scenario, verdict, settled=True, drain_s=7.5)
    assert got["settled"]["ok"] is True
    assert got["tta_p95"] == {"ok": True, "expected": "<= 100 ms", "found": "0 ms"}
    assert got["drain_after_heal"]["ok"] is False and got["drain_after_heal"]["found"] == "7.5 s"
    assert got["dlq_entries"] == {"ok": False, "expected": "1..", "found": 0}
