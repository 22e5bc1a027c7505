"""Infrastructure faults of the stack: an own Mosquitto killed with -9, Magento mode through
it, and a fakesap restart that keeps its documents."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import aiohttp
import pytest

from sapchaos.net import free_port
from scenarios.broker_process import BrokerProcess
from scenarios.oracle import judge
from scenarios.stack import EmbeddedStack, StackError, StackSettings


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


async def test_broker_process_kill_9_and_start_again(tmp_path: Path) -> None:
    broker = BrokerProcess(tmp_path / "broker", free_port())
    await broker.start()
    try:
        pid = broker.pid
        assert pid is not None and port_open(broker.port)
        conf = (tmp_path / "broker" / "mosquitto.conf").read_text()
        assert f"listener {broker.port} 127.0.0.1" in conf and "persistence true" in conf
        await broker.kill()
        assert broker.exit_code == -9 and not broker.running  # a real SIGKILL
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        assert not port_open(broker.port)
        await broker.start()
        assert broker.running and broker.pid != pid and port_open(broker.port)
        await broker.stop()
        assert broker.exit_code == 0  # SIGTERM: mosquitto saves and exits cleanly
        assert (tmp_path / "broker" / "mosquitto.db").exists()
    finally:
        await broker.kill()


async def test_magento_mode_through_the_own_broker_with_a_broker_kill(tmp_path: Path) -> None:
    settings = StackSettings(
        seed=4,
        shop_mode="magento",
        run_dir=tmp_path,
        bridge_overrides={"reconcile_interval_s": 1.0},
    )
    async with EmbeddedStack(settings) as st:
        assert st.broker_proc is not None and "bridge_to_broker" in st.links
        assert st.env is not None and st.env.mqtt_url == f"mqtt://{st.links['bridge_to_broker']}"
        await st.generate_orders(5)
        assert await st.wait_quiescent(5, timeout_s=120)
        assert await st.counters() == {"orders": 5, "in_sap": 5, "acknowledged": 5}
        await st.kill_broker()
        await st.generate_orders(5)
        await st.start_broker()
        assert await st.wait_quiescent(10, timeout_s=180, quiet_s=20)
        assert (await st.counters())["in_sap"] == 10


async def test_broker_actions_need_the_own_broker() -> None:
    async with EmbeddedStack(StackSettings(seed=1, no_bridge=True)) as st:
        with pytest.raises(StackError, match="own"):
            await st.kill_broker()


async def test_restart_sap_keeps_documents_and_fault_rules(tmp_path: Path) -> None:
    rule = {
        "id": "slow-get",
        "fault": "latency",
        "methods": ["GET"],
        "entity_set": "Items",
        "probability": 1.0,
        "params": {"ms": 1},
    }
    settings = StackSettings(seed=6, sap_persist=True, run_dir=tmp_path, sap_fault_rules=[rule])
    async with EmbeddedStack(settings) as st:
        await st.generate_orders(5)
        assert await st.wait_quiescent(5, timeout_s=120)
        port = st.sap_url
        await st.restart_sap()
        assert st.sap_url == port
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{st.sap_url}/__admin/health") as r:
                health = await r.json()
            assert health["documents"] == 5 and health["sessions"] == 0  # sessions are gone
        assert [r["id"] for r in await st.fault_history()] == ["slow-get"]
        await st.generate_orders(5)  # the bridge logs in again (401 → Login) and goes on
        assert await st.wait_quiescent(10, timeout_s=120)
        assert await st.counters() == {"orders": 10, "in_sap": 10, "acknowledged": 10}
        assert judge(await st.histories()).passed
    assert (tmp_path / "fakesap.sqlite").exists()


async def test_restart_sap_without_persistence_is_refused() -> None:
    async with EmbeddedStack(StackSettings(seed=1, no_bridge=True)) as st:
        with pytest.raises(StackError, match="sap_persist"):
            await st.restart_sap()
