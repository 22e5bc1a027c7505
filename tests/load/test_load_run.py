"""``sapchaos load`` end to end on the embedded stack: Locust's CSV and HTML carry the TTA
and TO_SAP rows, every created order got its TTA row, and the oracle's verdict passes."""

from __future__ import annotations

import re
from pathlib import Path

from tests.load.helpers import read_csv, rows_of_type, run_load


def test_load_writes_tta_rows_and_passes(tmp_path: Path) -> None:
    proc = run_load(
        [
            "--users",
            "20",
            "--spawn-rate",
            "10",
            "--run-time",
            "15s",
            "--csv",
            "out",
            "--html",
            "report.html",
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "oracle: PASS" in proc.stdout
    assert "0 duplicated, 0 lost" in proc.stdout

    rows = read_csv(tmp_path / "out_stats.csv")
    tta = rows_of_type(rows, "TTA")
    to_sap = rows_of_type(rows, "TO_SAP")
    created = rows_of_type(rows, "POST")["create order"]
    assert int(tta["order"]["Request Count"]) > 0
    assert int(to_sap["order"]["Request Count"]) > 0
    assert tta["order"]["Failure Count"] == "0"
    # every order the customers created was judged (acknowledged, or failed at the bound)
    ok_created = int(created["Request Count"]) - int(created["Failure Count"])
    assert int(tta["order"]["Request Count"]) == ok_created
    # …and the oracle judged exactly the orders Locust counted (none created unseen)
    judged = re.search(r"oracle: PASS — run \w+: (\d+) orders", proc.stdout)
    assert judged is not None and int(judged.group(1)) == ok_created
    # TTA ends after TO_SAP for the same orders
    assert float(tta["order"]["Median Response Time"]) >= float(
        to_sap["order"]["Median Response Time"]
    )

    history = read_csv(tmp_path / "out_stats_history.csv")
    assert any(r["Type"] == "TTA" and r["Name"] == "order" for r in history)
    html = (tmp_path / "report.html").read_text("utf-8")
    assert "TTA" in html and "TO_SAP" in html
