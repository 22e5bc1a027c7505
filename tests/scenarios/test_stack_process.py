"""The bridge as a child process: the reference bridge killed with -9 and restarted on its
store, a foreign command with the default delivery URL, fixed ports."""

from __future__ import annotations

import os
import random
import shlex
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from scenarios.oracle import judge
from scenarios.stack import PORT_OFFSETS, EmbeddedStack, StackError, StackSettings


def free_range(n: int = 9) -> int:
    """A base port with ``n`` free ports after it, below Linux's ephemeral range (32768+),
    where a busy machine's outgoing connections do not take ports at random."""
    rng = random.Random(os.getpid())
    for _ in range(500):
        base = rng.randrange(20000, 32700 - n)
        free = True
        for port in range(base, base + n):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    free = False
                    break
        if free:
            return base
    raise RuntimeError("no free port range")


async def test_reference_bridge_process_survives_kill_9(tmp_path: Path) -> None:
    settings = StackSettings(
        seed=9,
        bridge_process=True,
        run_dir=tmp_path,
        bridge_overrides={"reconcile_interval_s": 1.0, "reconcile_lookback_s": 600.0},
    )
    async with EmbeddedStack(settings) as st:
        assert st.bridge is None and st.bridge_proc is not None and st.bridge_proc.running
        await st.generate_orders(10)
        assert await st.wait_quiescent(10, timeout_s=120)
        await st.kill_bridge()
        assert st.bridge_proc.exit_code == -9
        await st.generate_orders(10)  # delivered while the bridge is dead: lost webhooks
        await st.restart_bridge()
        assert await st.wait_quiescent(20, timeout_s=180)  # the reconciler heals them
        verdict = judge(await st.histories())
        assert verdict.passed, [r for r in verdict.invariants if not r.ok]
    log = (tmp_path / "bridge.log").read_text()
    assert log.count("--- sapchaos: start #") == 2
    assert (tmp_path / "bridge-state" / "bridge.sqlite").exists()
    assert (tmp_path / "bridge.toml").read_text().startswith("[bridge]")
    for secret in (settings.webhook_secret, "cs_fakeshop"):
        assert secret not in log


async def test_foreign_command_gets_the_default_delivery_url_through_the_proxy(
    tmp_path: Path,
) -> None:
    """Any command listening on {bridge_port}: the shop delivers to ``/`` via the proxy."""
    cmd = f"exec {shlex.quote(sys.executable)} -m http.server {{bridge_port}} --bind 127.0.0.1"
    async with EmbeddedStack(StackSettings(seed=1, bridge_cmd=cmd, run_dir=tmp_path)) as st:
        assert st.env is not None
        assert st.env.bridge_url == f"http://{st.links['shop_to_bridge']}/"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{st.shop_url}/__admin/webhooks") as r:
                hooks = (await r.json())["webhooks"]
            assert [h["delivery_url"] for h in hooks] == [st.env.bridge_url]
            async with http.get(st.env.bridge_url) as r:  # reaches the command via the proxy
                assert r.status == 200
        await st.kill_bridge()
        assert st.bridge_proc is not None and not st.bridge_proc.running
        await st.start_bridge()
        assert st.bridge_proc.running


async def test_in_process_bridge_cannot_be_killed() -> None:
    async with EmbeddedStack(StackSettings(seed=1)) as st:
        with pytest.raises(StackError, match="child process"):
            await st.kill_bridge()


async def test_port_base_gives_fixed_ports_and_a_clear_error_when_taken() -> None:
    base = free_range()
    settings = StackSettings(seed=1, port_base=base, no_bridge=True)
    async with EmbeddedStack(settings) as st:
        assert st.sap_url == f"http://127.0.0.1:{base + PORT_OFFSETS['sap']}"
        assert st.shop_url == f"http://127.0.0.1:{base + PORT_OFFSETS['shop']}"
        assert st.proxy_url == f"http://127.0.0.1:{base + PORT_OFFSETS['proxy_api']}"
        assert st.links["bridge_to_sap"] == f"127.0.0.1:{base + PORT_OFFSETS['bridge_to_sap']}"
        assert st.env is not None and st.env.bridge_port == base + PORT_OFFSETS["bridge"]
        assert st.env.sap_url == f"http://127.0.0.1:{base + 5}/b1s/v1"
        with pytest.raises(StackError, match=f"fakesap cannot listen on 127.0.0.1:{base}"):
            async with EmbeddedStack(settings):
                pass


def test_port_base_out_of_range() -> None:
    from scenarios.stack import plan_ports

    with pytest.raises(StackError, match="--port-base 65530"):
        plan_ports(65530)
    with pytest.raises(StackError, match="--port-base 80"):
        plan_ports(80)


async def test_bare_bridge_serve_as_a_foreign_command_works_from_the_environment(
    tmp_path: Path,
) -> None:
    """``--bridge-cmd 'sapchaos bridge serve'`` with no flags: everything comes from the
    SAPCHAOS_* variables, the store from the state folder, webhooks arrive at ``/``."""
    sapchaos = Path(sys.executable).with_name("sapchaos")
    settings = StackSettings(seed=12, bridge_cmd=f"exec {sapchaos} bridge serve", run_dir=tmp_path)
    async with EmbeddedStack(settings) as st:
        assert st.env is not None and st.env.bridge_url.endswith("/")
        await st.generate_orders(8)
        assert await st.wait_quiescent(8, timeout_s=120)
        assert judge(await st.histories()).passed
    assert (tmp_path / "bridge-state" / "bridge.sqlite").exists()
