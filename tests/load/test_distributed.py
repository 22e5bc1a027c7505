"""Locust's distributed mode, unchanged: ``sapchaos load --master --expect-workers 2`` plus
two ``sapchaos load --worker`` processes give the same TTA rows and a passing verdict (each
worker tracks the orders its own users created)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from tests.load.helpers import SAPCHAOS, free_port, read_csv, rows_of_type


def test_master_and_two_workers(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    master = subprocess.Popen(
        [
            SAPCHAOS,
            "load",
            "--master",
            "--expect-workers",
            "2",
            "--master-bind-port",
            str(port),
            "--users",
            "10",
            "--spawn-rate",
            "10",
            "--run-time",
            "15s",
            "--csv",
            "dist",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    workers = [
        subprocess.Popen(
            [SAPCHAOS, "load", "--worker", "--master-port", str(port)],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        for _ in range(2)
    ]
    try:
        out, _ = master.communicate(timeout=170)
        for w in workers:
            w.wait(timeout=30)  # the master's quit message ends them
    finally:
        procs: list[subprocess.Popen[Any]] = [master, *workers]
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert master.returncode == 0, out[-4000:]
    assert "oracle: PASS" in out and "0 duplicated, 0 lost" in out
    assert all(w.returncode == 0 for w in workers)

    rows = read_csv(tmp_path / "dist_stats.csv")
    tta, to_sap = rows_of_type(rows, "TTA"), rows_of_type(rows, "TO_SAP")
    assert set(tta) == {"order"} and set(to_sap) == {"order"}
    created = rows_of_type(rows, "POST")["create order"]
    ok_created = int(created["Request Count"]) - int(created["Failure Count"])
    assert ok_created > 0
    assert int(tta["order"]["Request Count"]) == ok_created
    assert tta["order"]["Failure Count"] == "0"
