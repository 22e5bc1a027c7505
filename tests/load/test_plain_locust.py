"""Plain ``locust -f load/locustfile.py --host …`` against ``sapchaos up``, with Locust's web
UI: the TTA and TO_SAP rows show up in the UI's live statistics (``/stats/requests``)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scenarios.loadtest import Stack, locust_env, targets_from_env
from tests.load.helpers import free_port

LOCUSTFILE = Path(__file__).resolve().parents[2] / "load" / "locustfile.py"


@pytest.fixture
def stack_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    stack = Stack(tmp_path, seed=7)
    try:
        yield stack.start()
    finally:
        stack.stop()


def _ui_rows(port: int) -> dict[tuple[str, str], int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats/requests", timeout=10) as resp:
        data = json.loads(resp.read())
    return {(s["method"], s["name"]): int(s["num_requests"]) for s in data["stats"]}


def test_plain_locust_with_web_ui(stack_env: dict[str, str], tmp_path: Path) -> None:
    t = targets_from_env(stack_env)
    port = free_port()
    cmd = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--host", t.shop_url,
        "--sap-url", t.sap_url, "--web-host", "127.0.0.1", "--web-port", str(port),
        "--autostart", "--autoquit", "2", "-u", "4", "-r", "4", "-t", "20s",
    ]  # fmt: skip
    env = locust_env({**stack_env})
    env.pop("SAPCHAOS_LOAD_SHAPE", None)
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    seen: dict[tuple[str, str], int] = {}
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(OSError):  # the UI is not up yet
                seen = _ui_rows(port)
            if seen.get(("TTA", "order"), 0) > 0 and seen.get(("TO_SAP", "order"), 0) > 0:
                break
            time.sleep(0.5)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert seen.get(("TTA", "order"), 0) > 0, (seen, err[-2000:])
    assert seen.get(("TO_SAP", "order"), 0) > 0
    assert seen.get(("POST", "create order"), 0) > 0
    assert "Traceback" not in err
