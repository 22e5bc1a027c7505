"""``sapchaos bridge status|dlq replay|audit list`` and the one-line errors of ``serve``."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from bridge.store import Store
from tests.bridge.ops.conftest import EMAIL, dead_order


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sapchaos.cli", "bridge", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_status_replay_and_audit_from_the_cli(store: Store, store_dsn: str) -> None:
    dl = await dead_order(store, 701)
    run = await asyncio.to_thread(_cli, "status", "wc:701", "--store", store_dsn, "--json")
    assert run.returncode == 0, run.stderr
    view = json.loads(run.stdout)
    assert view["ledger"][0]["status"] == "failed" and view["dead_letters"][0]["id"] == dl
    masked = await asyncio.to_thread(_cli, "status", "701", "--store", store_dsn, "--masked")
    assert masked.returncode == 0 and "wc:701:order" in masked.stdout
    assert EMAIL not in masked.stdout
    missing = await asyncio.to_thread(_cli, "status", "999", "--store", store_dsn)
    assert missing.returncode == 1 and "no order 999" in missing.stderr
    bad = await asyncio.to_thread(_cli, "status", "abc", "--store", store_dsn)
    assert bad.returncode == 2 and "ORDER 'abc'" in bad.stderr and "Traceback" not in bad.stderr
    replay = await asyncio.to_thread(_cli, "dlq", "replay", str(dl), "--store", store_dsn)
    assert replay.returncode == 0, replay.stderr
    [entry] = await store.list_audit(order_id=701)
    assert entry.role == "cli" and "@" in entry.actor and entry.detail["via"] == "cli"
    listed = await asyncio.to_thread(_cli, "audit", "list", "--store", store_dsn, "--json")
    assert [e["action"] for e in json.loads(listed.stdout)] == ["dlq.replay"]


def test_serve_refuses_a_broken_tokens_file_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "tokens.json"
    bad.write_text('{"tokens": [')
    run = subprocess.run(
        [sys.executable, "-m", "sapchaos.cli", "bridge", "serve", "--store",
         f"sqlite:///{tmp_path / 'b.db'}", "--port", "0", "--roles", "ingress"],
        capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "SAPCHAOS_BRIDGE_OPS_TOKEN_FILE": str(bad)},
    )  # fmt: skip
    assert run.returncode == 2
    assert f"ops tokens file {bad}" in run.stderr and "Traceback" not in run.stderr
    assert "Unclosed" not in run.stderr and "U***>" not in run.stderr
