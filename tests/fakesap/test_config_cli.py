"""Config files (TOML/YAML) and the ``sapchaos fakesap serve`` options."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from fakesap.cli import config_from_args, register
from fakesap.config import ConfigError, load_config


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_toml_config(tmp_path: Path) -> None:
    path = tmp_path / "fakesap.toml"
    path.write_text(
        """
session_timeout_min = 5
route_node = 3
uniqueness_guard_udf = "U_IdemKey"
page_size = 50
[[companies]]
db = "SBO_SHOP"
users = { bridge = "pw" }
[udfs]
ORDR = ["U_IdemKey", "U_Channel"]
[faults]
seed = 4
[backoffice]
enabled = true
callback_events = ["order.shipped"]
"""
    )
    config = load_config(path)
    assert config.session_timeout_min == 5 and config.route_node == 3 and config.page_size == 50
    shop = config.company("SBO_SHOP")
    assert shop is not None and shop.users == {"bridge": "pw"}
    assert config.udfs == {"ORDR": ("U_IdemKey", "U_Channel")}
    assert (
        config.faults.seed == 4
        and config.backoffice.enabled
        and config.backoffice.callback_events == ("order.shipped",)
    )


def test_yaml_config_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "fakesap.yaml"
    path.write_text(
        "fakesap:\n  companies:\n    - db: X\n      users: [{name: a, password: b}]\n  journal_size: 7\n"
    )
    config = load_config(path)
    assert config.companies[0].users == {"a": "b"} and config.journal_size == 7
    bad = tmp_path / "bad.toml"
    bad.write_text("sesion_timeout = 3\n")
    with pytest.raises(ConfigError, match="sesion_timeout"):
        load_config(bad)
    with pytest.raises(ConfigError):
        load_config(tmp_path / "missing.toml")


def test_serve_options_override_the_file(tmp_path: Path) -> None:
    args = parse(
        [
            "fakesap",
            "serve",
            "--port",
            "1",
            "--persist",
            str(tmp_path / "s.sqlite"),
            "--uniqueness-guard",
            "U_IdemKey",
            "--faults",
            "calm",
            "--seed",
            "9",
            "--session-timeout",
            "2",
            "--page-size",
            "7",
        ]
    )
    config = config_from_args(args)
    assert config.persist_path and config.persist_path.endswith("s.sqlite")
    assert (
        config.uniqueness_guard_udf == "U_IdemKey"
        and config.session_timeout_min == 2
        and config.page_size == 7
    )
    assert (
        config.faults.profile == "calm" and config.faults.seed == 9 and config.backoffice.seed == 9
    )


def test_serve_command_runs_and_stops_cleanly(tmp_path: Path) -> None:
    import json
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from sapchaos.net import free_port

    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sapchaos.cli",
            "fakesap",
            "serve",
            "--port",
            str(port),
            "--persist",
            str(tmp_path / "s.sqlite"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/b1s/v1/Login",
            data=json.dumps(
                {"CompanyDB": "SBODEMOES", "UserName": "manager", "Password": "manager"}
            ).encode(),
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.status == 200 and "SessionId" in json.loads(r.read())
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert b"fakesap listening on" in out
    assert (tmp_path / "s.sqlite").exists()


def test_event_loop_choice(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    import uvloop  # a dev dependency (sapchaos[fast])

    from fakesap.cli import event_loop_factory, serve_command

    assert parse(["fakesap", "serve"]).loop == "auto"
    assert event_loop_factory("asyncio") is None
    assert event_loop_factory("auto") is uvloop.new_event_loop
    assert event_loop_factory("uvloop") is uvloop.new_event_loop
    monkeypatch.setitem(sys.modules, "uvloop", None)  # as if it were not installed
    assert event_loop_factory("auto") is None  # falls back to the stdlib loop
    with pytest.raises(ImportError):
        event_loop_factory("uvloop")
    args = parse(["fakesap", "serve", "--port", "1", "--loop", "uvloop"])
    assert serve_command(args) == 2
    assert "uvloop is not installed" in capsys.readouterr().err
