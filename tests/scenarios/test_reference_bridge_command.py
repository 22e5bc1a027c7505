"""The reference bridge run as someone else's bridge: ``--bridge-cmd 'sapchaos bridge
serve'`` with no flags gets the scenario's tuning through SAPCHAOS_BRIDGE_CONFIG (the
variable of ``bridge serve --config``), so Magento scenarios run the Magento roles."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path


def test_plain_bridge_serve_command_passes_a_magento_scenario(tmp_path: Path) -> None:
    cmd = f"{shlex.quote(sys.executable)} -m sapchaos.cli bridge serve"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sapchaos.cli",
            "scenario",
            "run",
            "magento-events",
            "--seed",
            "3",
            "--orders",
            "15",
            "--bridge-cmd",
            cmd,
            "--report",
            str(tmp_path / "report.json"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["verdict"] == "pass"
    assert report["bridge_cmd"] == cmd
    assert report["counts"]["lost"] == 0 and report["counts"]["duplicates"] == 0
