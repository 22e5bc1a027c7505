"""A bridge command as a child process: placeholders, environment, kill -9, restart, errors."""

from __future__ import annotations

import asyncio
import os
import shlex
import sys
from pathlib import Path

import aiohttp
import pytest

from bridge.cli import _mask_dsn
from sapchaos.cli import build_parser
from sapchaos.net import free_port
from scenarios.bridge_process import (
    REFERENCE_BRIDGE_CMD,
    BridgeEnv,
    BridgeProcess,
    BridgeProcessError,
    render_command,
)

PY = shlex.quote(sys.executable)
HTTP_SERVER = f"exec {PY} -m http.server {{bridge_port}} --bind 127.0.0.1"


def make_env(tmp_path: Path, port: int | None = None) -> BridgeEnv:
    port = port or free_port()
    return BridgeEnv(
        bridge_port=port,
        bridge_url=f"http://127.0.0.1:{port}/",
        sap_url="http://127.0.0.1:1/b1s/v1",
        sap_company="SBODEMOES",
        sap_user="manager",
        sap_password="pa ss'word",
        shop_url="http://127.0.0.1:2",
        shop_key="ck_x",
        shop_secret="cs_y",
        webhook_secret="s3cret",
        card_code="WEB-GUEST",
        mqtt_url="mqtt://127.0.0.1:1883",
        state_dir=tmp_path / "state",
    )


async def get_status(port: int) -> int:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/") as r:
        return r.status


def test_render_replaces_quotes_and_keeps_literal_braces(tmp_path: Path) -> None:
    env = make_env(tmp_path, 9999)
    out = render_command("run --port {bridge_port} --pw {sap_password} '{{x}}'", env)
    assert out == "run --port 9999 --pw 'pa ss'\"'\"'word' '{x}'"
    # the shell sees the password as one word, exactly
    assert shlex.split(out)[4] == "pa ss'word"


@pytest.mark.parametrize(
    ("cmd", "named"),
    [
        ("run {sap_pasword}", "{sap_pasword}"),
        ("run {sap_url.netloc}", "{sap_url.netloc}"),
        ("run {bridge_port:05d}", "{bridge_port:05d}"),
    ],
)
def test_unknown_placeholder_is_an_error_naming_it(tmp_path: Path, cmd: str, named: str) -> None:
    with pytest.raises(ValueError, match="unknown placeholder") as err:
        render_command(cmd, make_env(tmp_path))
    assert named in str(err.value)
    assert "{sap_url}" in str(err.value)  # the known names are listed


def test_unbalanced_brace_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="literal braces"):
        render_command("run {bridge_port", make_env(tmp_path))


def test_environ_uses_the_sapchaos_names(tmp_path: Path) -> None:
    env = make_env(tmp_path, 1234)
    e = env.environ()
    assert e["SAPCHAOS_BRIDGE_PORT"] == "1234"
    assert e["SAPCHAOS_SAP_URL"] == env.sap_url
    assert e["SAPCHAOS_STATE_DIR"] == str(tmp_path / "state")
    # {store_dsn} defaults to a SQLite file in the state directory
    assert e["SAPCHAOS_STORE_DSN"] == f"sqlite:///{tmp_path / 'state' / 'bridge.sqlite'}"
    assert len(e) == len(env.placeholders()) == 14


def test_reference_command_renders_and_keeps_secrets_off_the_command_line(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    out = render_command(REFERENCE_BRIDGE_CMD, env)
    assert "bridge serve" in out and f"--port {env.bridge_port}" in out
    assert f"sqlite:///{tmp_path}/state/bridge.sqlite" in out
    for secret in ("pa ss", env.shop_secret, env.webhook_secret):
        assert secret not in out


def test_bridge_serve_flags_default_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.cli import _config

    monkeypatch.setenv("SAPCHAOS_SAP_PASSWORD", "from-env")
    monkeypatch.setenv("SAPCHAOS_BRIDGE_PORT", "9191")
    monkeypatch.setenv("SAPCHAOS_BRIDGE_URL", "http://127.0.0.1:9/webhooks/woocommerce")
    monkeypatch.setenv("SAPCHAOS_WEBHOOK_SECRET", "whsec")
    args = build_parser().parse_args(["bridge", "serve", "--sap-user", "alice"])
    cfg = _config(args)
    assert cfg.sap_password == "from-env" and cfg.sap_user == "alice" and cfg.port == 9191
    assert cfg.webhook_secrets == ("whsec",)
    assert cfg.delivery_url() == "http://127.0.0.1:9/webhooks/woocommerce"


def test_bridge_serve_help_names_the_env_vars(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["bridge", "serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for var in (
        "SAPCHAOS_SAP_URL",
        "SAPCHAOS_SAP_PASSWORD",
        "SAPCHAOS_SHOP_KEY",
        "SAPCHAOS_WEBHOOK_SECRET",
        "SAPCHAOS_BRIDGE_PORT",
    ):
        assert var in text


def test_mask_dsn_hides_the_password() -> None:
    assert _mask_dsn("postgresql://u:secret@db:5432/x") == "postgresql://u:***@db:5432/x"
    assert _mask_dsn("sqlite:///tmp/b.db") == "sqlite:///tmp/b.db"


async def test_start_kill_restart_a_server(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    log = tmp_path / "bridge.log"
    p = BridgeProcess(HTTP_SERVER, env, log)
    try:
        await p.start()
        assert p.running and p.pid and p.exit_code is None
        assert await get_status(env.bridge_port) == 200
        first = p.pid
        await p.kill()
        assert not p.running and p.exit_code == -9  # a real SIGKILL
        with pytest.raises(aiohttp.ClientConnectionError):
            await get_status(env.bridge_port)
        await p.restart()
        assert p.running and p.pid != first
        assert await get_status(env.bridge_port) == 200
    finally:
        await p.stop()
    assert not p.running and p.exit_code is not None
    assert log.read_text().count("--- sapchaos: start #") == 2
    assert p.starts == 2


async def test_kill_reaches_the_whole_process_group(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    cmd = "sleep 600 & echo $! > {state_dir}/child.pid; " + HTTP_SERVER
    p = BridgeProcess(cmd, env, tmp_path / "b.log")
    await p.start()
    child = int((env.state_dir / "child.pid").read_text())
    os.kill(child, 0)  # alive
    await p.kill()
    for _ in range(100):  # reaped by init once killed; wait until it is gone
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the background child survived kill()")


async def test_env_vars_reach_the_command(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    cmd = (
        'printf "%s|%s" "$SAPCHAOS_SAP_URL" "$SAPCHAOS_SAP_PASSWORD" > {state_dir}/seen; '
        + HTTP_SERVER
    )
    p = BridgeProcess(cmd, env, tmp_path / "b.log")
    try:
        await p.start()
    finally:
        await p.stop()
    assert (env.state_dir / "seen").read_text() == f"{env.sap_url}|{env.sap_password}"


async def test_a_command_that_exits_gives_its_code_and_log_tail(tmp_path: Path) -> None:
    p = BridgeProcess(
        "echo 'cannot connect to SAP' >&2; exit 3", make_env(tmp_path), tmp_path / "b.log"
    )
    with pytest.raises(BridgeProcessError) as err:
        await p.start()
    text = str(err.value)
    assert "exited with code 3" in text and "cannot connect to SAP" in text
    assert p.exit_code == 3 and not p.running


async def test_a_command_that_never_listens_is_killed_after_the_timeout(tmp_path: Path) -> None:
    p = BridgeProcess(
        "echo waiting; exec sleep 600", make_env(tmp_path), tmp_path / "b.log", ready_timeout_s=0.5
    )
    with pytest.raises(BridgeProcessError, match="did not listen") as err:
        await p.start()
    assert "waiting" in str(err.value)
    assert p.exit_code == -9


async def test_a_busy_port_is_refused_before_starting(tmp_path: Path) -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        p = BridgeProcess(HTTP_SERVER, make_env(tmp_path, port), tmp_path / "b.log")
        with pytest.raises(BridgeProcessError, match="already accepts"):
            await p.start()
        assert p.pid is None
    finally:
        server.close()
        await server.wait_closed()


def test_a_bad_placeholder_fails_at_construction(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\{nope\}"):
        BridgeProcess("run {nope}", make_env(tmp_path), tmp_path / "b.log")


def test_bridge_serve_keeps_its_store_in_the_state_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bridge.cli import _config

    monkeypatch.setenv("SAPCHAOS_STATE_DIR", str(tmp_path))
    cfg = _config(build_parser().parse_args(["bridge", "serve"]))
    assert cfg.store_dsn == f"sqlite:///{tmp_path}/bridge.sqlite"
    cfg = _config(build_parser().parse_args(["bridge", "serve", "--store", "sqlite:///x.db"]))
    assert cfg.store_dsn == "sqlite:///x.db"
    # other commands (dlq, stats …) are not redirected
    cfg = _config(build_parser().parse_args(["bridge", "stats"]))
    assert cfg.store_dsn == "sqlite:///bridge.db"
