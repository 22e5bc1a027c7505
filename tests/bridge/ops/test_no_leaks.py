"""A scenario run leaves no unmasked personal data and no secret in its logs, stdout,
stderr or reports: only the bridge's own store (which must hold the orders) and its 0600
tokens file carry them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sapchaos import defaults

#: the bridge's own data: the store holds orders by design; the tokens file is 0600
BRIDGE_DATA = ("bridge.sqlite", "bridge.sqlite-wal", "bridge.sqlite-shm", "bridge-ops-tokens.json")


def _personal_values(store: Path) -> set[str]:
    """E-mails, phones, street lines and full names of the run's customers, read from the
    bridge's snapshots (what the shop sent)."""
    conn = sqlite3.connect(store)
    try:
        rows = conn.execute(
            "SELECT COALESCE(s.payload, i.payload) FROM snapshots s "
            "LEFT JOIN inbox i ON i.id = s.inbox_id"
        ).fetchall()
    finally:
        conn.close()
    found: set[str] = set()
    for (text,) in rows:
        order = json.loads(text)
        for part in ("billing", "shipping"):
            who = order.get(part) or {}
            for key in ("email", "phone", "address_1"):
                if who.get(key):
                    found.add(str(who[key]))
            if who.get("first_name") and who.get("last_name"):
                found.add(f"{who['first_name']} {who['last_name']}")
    return {v for v in found if len(v) >= 6}


def test_scenario_run_leaks_no_personal_data_or_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAPCHAOS_", "PYTEST_"))}
    run = subprocess.run(
        [sys.executable, "-m", "sapchaos.cli", "scenario", "run", "line-rejects", "--orders",
         "12", "--run-dir", str(tmp_path), "--html", str(tmp_path / "report.html"),
         "--junit", str(tmp_path / "junit.xml")],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    [store] = list(tmp_path.rglob("bridge.sqlite"))
    [token_file] = list(tmp_path.rglob("bridge-ops-tokens.json"))
    assert token_file.stat().st_mode & 0o777 == 0o600
    tokens = [t["token"] for t in json.loads(token_file.read_text())["tokens"]]
    personal = _personal_values(store)
    assert len(personal) >= 12, personal  # the check has something to look for
    secrets = {
        defaults.SHOP_SECRET,
        defaults.WEBHOOK_SECRET,
        defaults.MAGENTO_TOKEN,
        *tokens,
    }  # SAP's default password equals its user name ("manager"): not checkable as text
    texts = {"stdout": run.stdout, "stderr": run.stderr}
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name not in BRIDGE_DATA:
            texts[str(path.relative_to(tmp_path))] = path.read_text("utf-8", errors="replace")
    assert any(name.endswith("harness.log") for name in texts)  # the bridge's log lines
    assert any(name.endswith("report.json") for name in texts)
    for name, text in texts.items():
        leaked = sorted(v for v in personal | secrets if v in text)
        assert not leaked, f"{name} contains {leaked[:5]}"
