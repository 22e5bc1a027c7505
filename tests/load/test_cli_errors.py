"""Bad ``sapchaos load`` options: one clear line naming the option, nonzero exit, nothing
started (these fail before any stack or Locust process exists)."""

from __future__ import annotations

import subprocess

import pytest

from sapchaos.cli import main
from tests.load.helpers import SAPCHAOS

BAD = [
    (["--users", "-1"], "--users must be ≥ 1"),
    (["--users", "ten"], "--users must be an integer"),
    (["--spawn-rate", "0"], "--spawn-rate must be a positive number"),
    (["--spawn-rate", "nan"], "--spawn-rate must be a positive number"),
    (["--run-time", "soon"], "--run-time must look like 30s"),
    (["--run-time", "0s"], "--run-time must be at least 1s"),
    (["--shape", "tsunami"], "--shape must be one of steady, ramp, spike, partition"),
    (["--traffic", "shop,fax"], "--traffic must name some of shop, webhooks, sap"),
    (["--master", "--worker"], "--master and --worker exclude each other"),
    (["--shop-url", "ftp://x"], "--shop-url must be an http(s) URL"),
    (["--shop-url", "http://127.0.0.1:1"], "--shop-url and --sap-url go together"),
    (["--tta-timeout", "-5"], "--tta-timeout must be a positive number"),
    (["--expect-workers", "0"], "--expect-workers must be ≥ 1"),
]


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_option_is_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["load", *args])
    out, err = capsys.readouterr()
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sapchaos load: ")
    assert message in lines[0]
    assert out == ""


def test_negative_users_through_the_console_script() -> None:
    proc = subprocess.run(
        [SAPCHAOS, "load", "--users", "-1"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0
    assert proc.stderr.strip() == "sapchaos load: --users must be ≥ 1 (got -1)"
    assert "Traceback" not in proc.stdout + proc.stderr


def test_missing_locust_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "locust" else real(name, *a)
    )
    assert main(["load", "--users", "3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["sapchaos load: Locust is not installed (pip install 'sapchaos[load]')"]
