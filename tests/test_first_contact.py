"""First contact: the components started with no flags work together, and a user's
mistake on the command line is one clear line with a nonzero exit code, never a traceback.

The no-flag test uses the fixed default ports (fakesap 50000, fakeshop 8080, bridge 8090)
because that is the point: three terminals and ``bridge subscribe``, nothing else.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from sapchaos import defaults

SAPCHAOS = [sys.executable, "-m", "sapchaos.cli"]


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _wait_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"process exited {proc.returncode}: {log.read_text()[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"port {port} never opened: {log.read_text()[-2000:]}")


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def _post(url: str, body: object) -> object:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.fixture
def no_flag_processes(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    ports = (defaults.SAP_PORT, defaults.SHOP_PORT, defaults.BRIDGE_PORT)
    # 50000 lies in Linux's ephemeral range: another process may hold it for a moment
    deadline = time.monotonic() + 60
    busy = [p for p in ports if not _port_free(p)]
    while busy and time.monotonic() < deadline:
        time.sleep(0.5)
        busy = [p for p in ports if not _port_free(p)]
    if busy:
        pytest.fail(f"default ports in use by something else: {busy} (stop it and re-run)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAPCHAOS_")}
    procs: list[subprocess.Popen[bytes]] = []
    commands = (
        ("fakesap", [*SAPCHAOS, "fakesap", "serve"], defaults.SAP_PORT),
        ("fakeshop", [*SAPCHAOS, "fakeshop", "serve"], defaults.SHOP_PORT),
        ("bridge", [*SAPCHAOS, "bridge", "serve"], defaults.BRIDGE_PORT),
    )
    try:
        for name, cmd, port in commands:
            log = tmp_path / f"{name}.log"
            proc = subprocess.Popen(
                cmd, cwd=tmp_path, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
            )
            procs.append(proc)
            _wait_port(port, proc, log)
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_components_started_with_no_flags_carry_orders(
    no_flag_processes: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAPCHAOS_")}
    sub = subprocess.run(
        [*SAPCHAOS, "bridge", "subscribe"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert sub.returncode == 0, sub.stdout + sub.stderr
    shop = defaults.shop_url()
    _post(f"{shop}/__admin/orders/generate", {"count": 5})
    deadline = time.monotonic() + 60
    keys: set[str] = set()
    while time.monotonic() < deadline:
        docs = _get(f"http://127.0.0.1:{defaults.SAP_PORT}/__admin/documents")
        assert isinstance(docs, dict)
        keys = {
            str(d["document"].get("U_IdemKey"))
            for d in docs["documents"]
            if d.get("entity_set") == "Orders"
        }
        received = _get(f"{shop}/__admin/received")
        assert isinstance(received, dict)
        notes = [r for r in received["received"] if r.get("kind") == "note"]
        if len(keys) >= 5 and len({r["order_id"] for r in notes}) >= 5:
            break
        time.sleep(0.5)
    orders = _get(f"{shop}/__admin/orders")
    assert isinstance(orders, dict)
    want = {f"wc:{o['id']}:order" for o in orders["orders"]}
    assert keys == want, f"SAP holds {sorted(keys)}, the shop has {sorted(want)}"


#: (arguments, a fragment the one-line error must contain)
BAD_INVOCATIONS = [
    (["demo", "--store", "foo://bar"], "store"),
    (["demo", "--orders", "0"], "--orders"),
    (["demo", "--report", "{tmp}"], "directory"),
    (["bridge", "serve", "--config", "/nonexistent.toml"], "/nonexistent.toml"),
    (["bridge", "serve", "--store", "nosuch://x"], "nosuch://x"),
    (["fakesap", "serve", "--catalog", "/nonexistent.json"], "/nonexistent.json"),
    (["fakesap", "serve", "--catalog", "{empty}"], "shipping"),
    (["fakesap", "serve", "--catalog", "/dev/zero"], "/dev/zero"),
    (["fakesap", "serve", "--port", "99999"], "99999"),
    (["fakeshop", "serve", "--catalog", "/missing"], "/missing"),
    (["fakeshop", "serve", "--port", "-3"], "-3"),
    (["scenario", "run", "no-such-scenario"], "no-such-scenario"),
    (["nosuchcommand"], "nosuchcommand"),
]


@pytest.mark.parametrize(
    ("argv", "fragment"), BAD_INVOCATIONS, ids=[" ".join(a) for a, _ in BAD_INVOCATIONS]
)
def test_bad_invocation_is_one_clear_line(argv: list[str], fragment: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    args = [a.format(tmp=tmp_path, empty=empty) for a in argv]
    fragment = fragment.format(tmp=tmp_path, empty=empty)
    proc = subprocess.run(
        [*SAPCHAOS, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "Traceback" not in out, out
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines, "no error line on stderr"
    assert fragment in lines[-1], out
    assert "Traceback" not in proc.stdout
