"""The async scenario client, the ``toxiproxy()`` helper, and ``sapchaos proxy serve``."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from sapchaos.net import free_port
from scenarios.proxy.cli import register
from scenarios.proxy.client import ToxiproxyError
from scenarios.proxy.loops import loop_factory, loop_name
from scenarios.proxy.server import EmbeddedToxiproxy, toxiproxy
from tests.proxy.conftest import read_until_closed, round_trip, running_loop_name

ROOT = Path(__file__).resolve().parents[2]


async def test_helper_starts_embedded_and_client_covers_the_api(echo_port: int) -> None:
    async with toxiproxy(seed=3) as tp:
        assert "version" in await tp.version()
        created = await tp.create("c1", f"127.0.0.1:{echo_port}")
        assert created["enabled"] is True
        with pytest.raises(ToxiproxyError) as err:
            await tp.create("c1", f"127.0.0.1:{echo_port}")
        assert err.value.status == 409 and err.value.message == "proxy already exists"
        toxic = await tp.add_toxic("c1", "latency", stream="upstream", latency=150)
        assert toxic["name"] == "latency_upstream"
        host, port = created["listen"].rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        assert await round_trip(reader, writer) >= 0.15
        await tp.update_toxic("c1", "latency_upstream", latency=0)
        assert [t["attributes"]["latency"] for t in await tp.toxics("c1")] == [0]
        await tp.remove_toxic("c1", "latency_upstream")
        async with tp.down("c1"):
            assert (await tp.get("c1"))["enabled"] is False
            assert await read_until_closed(reader) == b""
        populated = await tp.populate(
            [{"name": "c2", "upstream": f"127.0.0.1:{echo_port}", "listen": "127.0.0.1:0"}]
        )
        assert [p["name"] for p in populated] == ["c2"]
        assert set(await tp.proxies()) == {"c1", "c2"}
        await tp.reset()
        await tp.delete("c2")
        with pytest.raises(ToxiproxyError) as err:
            await tp.get("c2")
        assert err.value.status == 404
        writer.close()


async def test_helper_uses_a_given_url_instead_of_starting_one() -> None:
    async with EmbeddedToxiproxy("127.0.0.1", 0) as server, toxiproxy(server.url) as tp:
        await tp.create("outside", "127.0.0.1:9")
        assert "outside" in server.collection.proxies


async def test_config_file_populates_at_start(tmp_path: Path, echo_port: int) -> None:
    config = tmp_path / "populate.json"
    config.write_text(
        json.dumps([{"name": "cfg", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{echo_port}"}])
    )
    async with EmbeddedToxiproxy("127.0.0.1", 0, config=config) as server:
        assert server.collection.get("cfg").enabled


def test_register_adds_proxy_serve_with_its_options() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["proxy", "serve", "--port", "9999", "--config", "p.json"])
    assert (args.host, args.port, args.config) == ("127.0.0.1", 9999, "p.json")
    assert callable(args.func)
    assert parser.parse_args(["proxy", "serve"]).port == 8474


async def test_proxy_serve_process_answers_the_api(tmp_path: Path, echo_port: int) -> None:
    port = free_port()
    config = tmp_path / "populate.json"
    config.write_text(
        json.dumps([{"name": "srv", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{echo_port}"}])
    )
    script = (
        "import argparse, sys; from scenarios.proxy.cli import register; "
        "p = argparse.ArgumentParser(); register(p.add_subparsers()); "
        "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))"
    )
    proc = await asyncio.create_subprocess_exec(
        *[
            sys.executable,
            "-c",
            script,
            "proxy",
            "serve",
            "--port",
            str(port),
            "--config",
            str(config),
            "--loop",
            running_loop_name(),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    async with session.get(f"http://127.0.0.1:{port}/proxies") as resp:
                        body = await resp.json()
                        break
                except aiohttp.ClientConnectionError:
                    assert time.monotonic() < deadline, "proxy serve did not start"
                    await asyncio.sleep(0.1)
        assert body["srv"]["enabled"] is True
        host, srv_port = body["srv"]["listen"].rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(srv_port))
        await round_trip(reader, writer, b"first bytes, sent at once" * 40)
        writer.close()
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    assert proc.stdout is not None
    banner = (await proc.stdout.read()).decode()
    assert f"loop {running_loop_name()}" in banner


def test_loop_option_choices_and_factories() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    assert parser.parse_args(["proxy", "serve"]).loop == "auto"
    assert parser.parse_args(["proxy", "serve", "--loop", "asyncio"]).loop == "asyncio"
    with pytest.raises(SystemExit):
        parser.parse_args(["proxy", "serve", "--loop", "trio"])
    for choice, expected in (("uvloop", "uvloop"), ("auto", "uvloop"), ("asyncio", "asyncio")):
        loop = loop_factory(choice)()  # the dev extra installs uvloop
        try:
            assert loop_name(loop) == expected
        finally:
            loop.close()
    with pytest.raises(ValueError, match="unknown event loop"):
        loop_factory("trio")


def test_negative_splice_after_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["proxy", "serve", "--splice-after", "-1"])
    assert args.func(args) == 2
    assert capsys.readouterr().err == "proxy: --splice-after must be 0 or more bytes\n"


def test_serve_errors_are_one_line_naming_the_cause(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = parser.parse_args(["proxy", "serve", "--port", str(port), "--loop", "asyncio"])
        assert args.func(args) == 1
    err = capsys.readouterr().err
    assert err == f"proxy: cannot listen on 127.0.0.1:{port}: address already in use\n"

    missing = tmp_path / "nope.json"
    args = parser.parse_args(["proxy", "serve", "--port", "0", "--config", str(missing)])
    assert args.func(args) == 1
    assert capsys.readouterr().err == f"proxy: --config {missing}: no such file or directory\n"

    bad = tmp_path / "bad.json"
    bad.write_text('[{"name": "x"}]')
    args = parser.parse_args(["proxy", "serve", "--port", "0", "--config", str(bad)])
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert err == f"proxy: --config {bad}: missing required field: upstream at proxy 1\n"
