"""``sapchaos up`` as a user runs it: a subprocess with fixed ports and an env file, an
order carried end to end, service roots that answer a GET, a clean SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.scenarios.test_stack_process import free_range

SAPCHAOS = [sys.executable, "-m", "sapchaos.cli", "--log-level", "WARNING"]


def read_env(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition("=")
        out[key] = value
    return out


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, dict[str, str]]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null"), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), dict(e.headers)


def start_up(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], list[str]]:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [*SAPCHAOS, "up", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmpdir)},
    )
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if line.strip() == "ready":
            return proc, lines
    proc.wait(30)
    raise AssertionError(
        f"no 'ready' line; exit {proc.returncode}; stdout {lines}; stderr {proc.stderr.read() if proc.stderr else ''}"
    )


def stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_up_with_fixed_ports_env_file_an_order_and_sigterm(tmp_path: Path) -> None:
    base = free_range()
    env_file = tmp_path / "stack.env"
    proc, lines = start_up(tmp_path, "--port-base", str(base), "--env-file", str(env_file))
    try:
        text = "\n".join(lines)
        env = read_env(env_file)
        sap_admin, shop_admin = env["SAPCHAOS_SAP_ADMIN_URL"], env["SAPCHAOS_SHOP_ADMIN_URL"]
        assert (
            sap_admin == f"http://127.0.0.1:{base}" and shop_admin == f"http://127.0.0.1:{base + 1}"
        )
        assert env["SAPCHAOS_PROXY_URL"] == f"http://127.0.0.1:{base + 3}"
        assert env["SAPCHAOS_BRIDGE_PORT"] == str(base + 2)
        assert env["SAPCHAOS_SAP_URL"] == f"http://127.0.0.1:{base + 5}/b1s/v1"
        assert env["SAPCHAOS_SHOP_URL"] == f"http://127.0.0.1:{base + 6}"
        assert env["SAPCHAOS_BRIDGE_URL"] == f"http://127.0.0.1:{base + 4}/webhooks/woocommerce"
        for key in (
            "SAPCHAOS_SAP_COMPANY",
            "SAPCHAOS_SAP_USER",
            "SAPCHAOS_SAP_PASSWORD",
            "SAPCHAOS_SHOP_KEY",
            "SAPCHAOS_SHOP_SECRET",
            "SAPCHAOS_WEBHOOK_SECRET",
            "SAPCHAOS_CARD_CODE",
            "SAPCHAOS_MQTT_URL",
            "SAPCHAOS_STATE_DIR",
        ):
            assert env[key], key
        assert (env_file.stat().st_mode & 0o777) == 0o600
        # every URL is printed, the proxy API included
        for url in (
            f"{sap_admin}/b1s/v1",
            f"{shop_admin}/wp-json/wc/v3",
            env["SAPCHAOS_PROXY_URL"],
            env["SAPCHAOS_BRIDGE_URL"],
        ):
            assert url in text, url
        # the proxy API answers like Toxiproxy and lists the links
        status, proxies, _ = http("GET", env["SAPCHAOS_PROXY_URL"] + "/proxies")
        assert status == 200 and {"bridge_to_sap", "bridge_to_shop", "shop_to_bridge"} <= set(
            proxies
        )
        # an order goes end to end and is acknowledged in the shop
        status, created, _ = http("POST", f"{shop_admin}/__admin/orders/generate", {"count": 1})
        assert status == 201
        order_id = created["created"][0]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            _, received, _ = http("GET", f"{shop_admin}/__admin/received")
            notes = [
                r for r in received["received"] if r["order_id"] == order_id and r["kind"] == "note"
            ]
            if any("SAP sales order" in n["data"]["note"] for n in notes):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the order was not acknowledged")
    finally:
        code = stop(proc)
    assert code == 0, proc.stderr.read() if proc.stderr else ""
    assert list((tmp_path / "tmp").iterdir()) == []  # no temporary files left


def test_service_roots_answer_a_get_as_the_real_systems_do(tmp_path: Path) -> None:
    env_file = tmp_path / "stack.env"
    proc, _ = start_up(tmp_path, "--no-bridge", "--env-file", str(env_file))
    try:
        env = read_env(env_file)
        sap, shop = env["SAPCHAOS_SAP_ADMIN_URL"], env["SAPCHAOS_SHOP_ADMIN_URL"]
        # Service Layer: the service root needs a session (SL error 301), then lists the sets
        status, body, _ = http("GET", f"{sap}/b1s/v1")
        assert status == 401 and body["error"]["code"] == 301
        status, login, _ = http(
            "POST",
            f"{sap}/b1s/v1/Login",
            {
                "CompanyDB": env["SAPCHAOS_SAP_COMPANY"],
                "UserName": env["SAPCHAOS_SAP_USER"],
                "Password": env["SAPCHAOS_SAP_PASSWORD"],
            },
        )
        assert status == 200
        cookie = f"B1SESSION={login['SessionId']}"
        for path in ("/b1s/v1", "/b1s/v1/"):
            status, doc, _ = http("GET", f"{sap}{path}", headers={"Cookie": cookie})
            assert status == 200 and doc["odata.metadata"] == f"{sap}/b1s/v1/$metadata"
            assert {"name": "Orders", "url": "Orders"} in doc["value"]
        status, doc, _ = http("GET", f"{sap}/b1s/v2", headers={"Cookie": cookie})
        assert status == 200 and doc["@odata.context"] == f"{sap}/b1s/v2/$metadata"
        assert {"name": "Orders", "kind": "EntitySet", "url": "Orders"} in doc["value"]
        status, _, _ = http("POST", f"{sap}/b1s/v1", {}, headers={"Cookie": cookie})
        assert status == 405
        # WordPress: the namespace index is public and lists the routes
        status, index, _ = http("GET", f"{shop}/wp-json/wc/v3")
        assert status == 200 and index["namespace"] == "wc/v3"
        assert index["routes"]["/wc/v3/orders"]["methods"] == ["GET", "POST"]
        assert "/wc/v3/orders/(?P<id>[\\d]+)" in index["routes"]
        assert index["_links"]["up"] == [{"href": f"{shop}/wp-json/"}]
    finally:
        assert stop(proc) == 0


def test_up_bad_placeholder_and_busy_port_are_one_line_errors(tmp_path: Path) -> None:
    r = subprocess.run(
        [*SAPCHAOS, "up", "--bridge-cmd", "mybridge --port {port}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1
    assert r.stderr.strip().startswith("sapchaos up: error: --bridge-cmd:") and "{port}" in r.stderr
    assert "Traceback" not in r.stderr
    base = free_range()
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", base + 1))  # fakeshop's port is taken
        s.listen()
        r = subprocess.run(
            [*SAPCHAOS, "up", "--port-base", str(base), "--no-bridge"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert r.returncode == 1, r.stdout
    assert f"fakeshop cannot listen on 127.0.0.1:{base + 1}" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_up_with_a_bridge_command_reports_when_it_dies(tmp_path: Path) -> None:
    cmd = f"exec {sys.executable} -m http.server {{bridge_port}} --bind 127.0.0.1"
    proc, lines = start_up(tmp_path, "--bridge-cmd", cmd)
    try:
        text = "\n".join(lines)
        banner = next(line for line in lines if line.startswith("bridge    port"))
        pid = int(banner.split("pid ")[1].split(",")[0])
        assert "the shop delivers webhooks to http://127.0.0.1:" in text
        os.kill(pid, signal.SIGKILL)
        assert proc.stderr is not None
        seen = []
        for _ in range(100):  # JSON warning lines may come first
            seen.append(proc.stderr.readline())
            if "the bridge exited" in seen[-1]:
                break
        assert "the bridge exited with code -9" in seen[-1], seen
    finally:
        assert stop(proc) == 0
    assert list((tmp_path / "tmp").iterdir()) == []
