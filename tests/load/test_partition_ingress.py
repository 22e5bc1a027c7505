"""The second partition shape cuts shop→bridge (the shop's webhook deliveries) through the
Toxiproxy API and heals it; the TTA rows are split by phase the same way.

Only the mechanics are asserted here: whether a bridge recovers every order whose webhook
failed (WooCommerce disables a webhook after repeated failures, so it depends on the
bridge's own polling of the shop) is what the shape is for, and the verdict is printed."""

from __future__ import annotations

from pathlib import Path

from tests.load.helpers import read_csv, rows_of_type, run_load


def test_partition_ingress_cuts_and_heals_shop_to_bridge(tmp_path: Path) -> None:
    proc = run_load(
        ["--shape", "partition-ingress", "--users", "6", "--spawn-rate", "6", "--run-time", "20s",
         "--tta-timeout", "45", "--settle", "10", "--csv", "ing"],
        tmp_path,
    )  # fmt: skip
    out = proc.stdout
    assert "link shop_to_bridge cut" in out and "link shop_to_bridge healed" in out, (
        out[-3000:] + proc.stderr[-3000:]
    )
    assert "oracle: " in out and "Traceback" not in out + proc.stderr
    tta = rows_of_type(read_csv(tmp_path / "ing_stats.csv"), "TTA")
    before, during = tta["order [before cut]"], tta["order [during cut]"]
    assert int(before["Request Count"]) > 0 and int(during["Request Count"]) > 0
    # webhooks sent during the cut fail: those orders reach SAP only later
    assert float(during["Median Response Time"]) > 3 * float(before["Median Response Time"])
