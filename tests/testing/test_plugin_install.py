"""The plugin as a new user meets it: a folder holding nothing but a test file, ``pytest``
in a subprocess — 200 isolated tests, under pytest-xdist too, and nothing left running
after a failed or interrupted session."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ISOLATION_TEST = """
import pytest
import requests


@pytest.mark.parametrize("n", range(200))
def test_isolated(fakesap, fakeshop, n):
    assert fakesap.orders() == [] and fakeshop.orders() == []
    sl = requests.Session()
    assert sl.post(f"{fakesap.url}/Login", json=fakesap.login_body).status_code == 200
    body = {
        "CardCode": fakesap.card_code,
        "DocDueDate": "2026-12-31",
        "U_IdemKey": f"test-{n}",
        "DocumentLines": [{"ItemCode": fakesap.item_codes[n % len(fakesap.item_codes)], "Quantity": 1}],
    }
    created = sl.post(f"{fakesap.url}/Orders", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["DocEntry"] == 1
    assert [d["U_IdemKey"] for d in fakesap.orders()] == [f"test-{n}"]
    order = fakeshop.create_order(quantity=1 + n % 3)
    assert [o["id"] for o in fakeshop.orders()] == [order["id"]]
"""


def _pytest(folder: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty folder outside the project: no conftest, no ini file."""
    (tmp_path / "test_mine.py").write_text(ISOLATION_TEST)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test_mine.py"]
    return tmp_path


def test_fresh_folder_200_isolated_tests(folder: Path) -> None:
    run = _pytest(folder)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "200 passed" in run.stdout


def test_fresh_folder_under_xdist(folder: Path) -> None:
    run = _pytest(folder, "-n", "2")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "200 passed" in run.stdout


LEFTOVER_TEST = """
import json, os, time
import pytest

BRIDGE = "exec {python} -m http.server {{bridge_port}} --bind 127.0.0.1"


@pytest.fixture
def sapchaos_bridge():
    return BRIDGE


def test_running(sapchaos_stack):
    stack = sapchaos_stack
    ports = [
        int(stack.fakesap.admin_url.rsplit(":", 1)[1]),
        int(stack.fakeshop.url.rsplit(":", 1)[1]),
        int(stack.proxy.url.rsplit(":", 1)[1]),
        stack.bridge_port,
        *[int(a.rsplit(":", 1)[1]) for a in stack.proxy.links.values()],
    ]
    info = {{"bridge_pid": stack.bridge.process.pid, "ports": ports, "state_dir": str(stack.state_dir)}}
    with open(os.environ["LEFTOVER_INFO"] + ".tmp", "w") as f:
        json.dump(info, f)
    os.replace(os.environ["LEFTOVER_INFO"] + ".tmp", os.environ["LEFTOVER_INFO"])
    if os.environ["LEFTOVER_MODE"] == "fail":
        assert False, "failing on purpose"
    time.sleep(120)  # interrupted by the parent
"""


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("mode", ["fail", "interrupt"])
def test_nothing_left_behind(tmp_path: Path, mode: str) -> None:
    (tmp_path / "test_leftover.py").write_text(
        textwrap.dedent(LEFTOVER_TEST.format(python=sys.executable))
    )
    info_path = tmp_path / "info.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(LEFTOVER_INFO=str(info_path), LEFTOVER_MODE=mode)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_leftover.py"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not info_path.exists():
            assert proc.poll() is None or info_path.exists(), (
                proc.stdout.read() if proc.stdout else ""
            )
            assert time.monotonic() < deadline, "the inner test never started"
            time.sleep(0.1)
        info = json.loads(info_path.read_text())
        if mode == "interrupt":  # (a failing test may already be torn down by now)
            assert _alive(info["bridge_pid"]) and all(_listening(p) for p in info["ports"])
            proc.send_signal(signal.SIGINT)  # Ctrl-C
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert ("failing on purpose" in out) if mode == "fail" else ("KeyboardInterrupt" in out), out
    deadline = time.monotonic() + 10
    while _alive(info["bridge_pid"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(info["bridge_pid"]), "the bridge process outlived the session"
    assert [p for p in info["ports"] if _listening(p)] == []
    assert not Path(info["state_dir"]).exists()


def test_loading_the_plugin_starts_nothing_heavy() -> None:
    """The plugin loads in every pytest run of every project that installs sapchaos: it
    must not import the emulators, the bridge or aiohttp until a fixture is used."""
    code = (
        "import sys, sapchaos.testing.plugin, sapchaos.testing\n"
        "heavy = [m for m in ('aiohttp', 'fakesap.app', 'fakeshop.app', 'bridge.runtime')"
        " if m in sys.modules]\n"
        "print(heavy)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
