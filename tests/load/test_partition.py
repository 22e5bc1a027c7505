"""The partition shape: bridge→SAP is cut through the Toxiproxy API mid-run and healed.
TTA of the orders created during the cut rises, the orders after the heal come back to the
baseline, and the oracle finds no order lost or duplicated."""

from __future__ import annotations

from pathlib import Path

from tests.load.helpers import read_csv, rows_of_type, run_load

BEFORE, DURING, AFTER = "order [before cut]", "order [during cut]", "order [after heal]"


def _ms(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None  # "N/A" while a window holds no sample


def test_partition_shows_the_cut_and_the_drain(tmp_path: Path) -> None:
    proc = run_load(
        [
            "--shape",
            "partition",
            "--users",
            "10",
            "--spawn-rate",
            "10",
            "--run-time",
            "30s",
            "--csv",
            "part",
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "link bridge_to_sap cut" in proc.stdout and "link bridge_to_sap healed" in proc.stdout
    assert "oracle: PASS" in proc.stdout and "0 duplicated, 0 lost" in proc.stdout

    tta = rows_of_type(read_csv(tmp_path / "part_stats.csv"), "TTA")
    assert {BEFORE, DURING, AFTER} <= set(tta)
    for name in (BEFORE, DURING, AFTER):
        assert int(tta[name]["Request Count"]) > 0 and tta[name]["Failure Count"] == "0"
    before = float(tta[BEFORE]["Median Response Time"])
    during = float(tta[DURING]["Median Response Time"])
    # the cut lasts 9 s (30 % → 60 % of the run): its orders wait for the heal
    assert during > max(5 * before, 1000), (before, during)

    history = [r for r in read_csv(tmp_path / "part_stats_history.csv") if r["Type"] == "TTA"]
    rising = [_ms(r["50%"]) for r in history if r["Name"] == DURING]
    assert any(v is not None and v > 5 * before for v in rising), rising
    after = [v for v in (_ms(r["50%"]) for r in history if r["Name"] == AFTER) if v is not None]
    assert after, "no TTA history after the heal"
    # the last window after the heal is back near the baseline, far below the cut's
    assert after[-1] < during / 3, (after[-1], during)
    assert after[-1] <= max(3 * before, 1000), (after[-1], before)
