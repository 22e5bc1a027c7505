"""Shared helpers for the load tests: run the CLI, read Locust's CSV files, free ports."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sapchaos.net import free_port

SAPCHAOS = str(Path(sys.executable).parent / "sapchaos")

__all__ = ["SAPCHAOS", "free_port", "read_csv", "rows_of_type", "run_load"]


def run_load(
    args: list[str], cwd: Path, timeout_s: float = 170
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SAPCHAOS, "load", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def read_csv(path: Path) -> list[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def rows_of_type(rows: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """Locust stats rows of one request type, by name."""
    return {r["Name"]: r for r in rows if r["Type"] == kind}
