"""A real Mosquitto killed with ``kill -9`` mid-load in Magento mode.

fakeshop (Magento mode) publishes order events to a private Mosquitto started from the
shipped ``deploy/mosquitto.conf`` (port and persistence directory rewritten); the bridge
runs the documented Magento default roles (``DEFAULT_ROLES["magento"]``). The broker is
killed with SIGKILL while orders are being created and started again on the same port.
Whatever the broker forgot (the bridge's session, messages it had acknowledged to the shop
but not saved), every order must end in SAP exactly once under its ``mg:`` key.

The second case makes the persistence directory unusable (a path below ``/dev/null``, so
every save fails even for root): the broker comes back with no session at all, the
subscriber sees *session present = 0* on its CONNACK and catches the gap up over the
shop's REST API. The periodic reconciler is set to an hour so it cannot be what heals.

The bridge reaches the broker through a proxy link that stays down for a moment after the
restart, so the shop reconnects first and publishes its backlog to no subscriber — the
order of events that lost 319 of 500 orders in the issue.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bridge.config import DEFAULT_ROLES
from bridge.runtime import BridgeRuntime
from sapchaos.net import free_port
from scenarios.proxy.client import ToxiproxyClient
from scenarios.proxy.server import EmbeddedToxiproxy
from tests.bridge.stack import bridge_config, stack, wait_until

ROOT = Path(__file__).resolve().parents[3]
MOSQUITTO = "/usr/sbin/mosquitto"
ORDERS = 40
RATE_PER_S = 10.0


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class CrashableBroker:
    """Mosquitto from ``deploy/mosquitto.conf`` on a free port; ``kill9()`` and ``start()``."""

    def __init__(self, workdir: Path, persistence_location: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        text = (ROOT / "deploy" / "mosquitto.conf").read_text()
        text = re.sub(r"(?m)^listener .*$", f"listener {self.port} 127.0.0.1", text)
        text = re.sub(
            r"(?m)^persistence_location .*$", f"persistence_location {persistence_location}", text
        )
        text = re.sub(r"(?m)^log_dest .*$", "", text)
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(text + f"\nuser root\nlog_dest file {workdir}/mosquitto.log\n")

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert self.proc is None
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while not _port_open(self.port):
            assert self.proc.poll() is None, self.log()[-2000:]
            assert time.monotonic() < deadline, "mosquitto did not start"
            time.sleep(0.05)

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(5)
        self.proc = None

    def log(self) -> str:
        path = self.workdir / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""


async def _crash_run(tmp_path: Path, persistence_location: str) -> dict[str, int]:
    workdir = tmp_path / "broker"
    workdir.mkdir()
    broker = CrashableBroker(workdir, persistence_location)
    broker.start()
    run = uuid.uuid4().hex[:8]
    prefix = f"h7crash/{run}/shop/events"
    shop = {
        "magento": True,
        "mqtt_url": broker.url,
        "mqtt_topic_prefix": prefix,
        "mqtt_client_id": f"h7-shop-{run}",
    }
    try:
        async with (
            stack(shop=shop) as st,
            EmbeddedToxiproxy(port=0) as proxy_server,
            ToxiproxyClient(proxy_server.url) as proxy,
        ):
            link = await proxy.create("broker", f"127.0.0.1:{broker.port}")
            via_proxy = f"mqtt://{link['listen']}"
            cfg = bridge_config(
                f"sqlite:///{tmp_path}/bridge.db",
                st.sap_url,
                st.shop_url,
                roles=DEFAULT_ROLES["magento"],
                mqtt_url=via_proxy,
                mqtt_magento_prefix=prefix,
                mqtt_subscriber_client_id=f"h7-bridge-{run}",
                mqtt_events_prefix=f"h7crash/{run}/bridge/events",
                mqtt_relay_client_id=f"h7-relay-{run}",
                mqtt_backoff_base_s=0.2,
                mqtt_backoff_cap_s=1.0,
                reconcile_interval_s=3600.0,
            )
            async with BridgeRuntime(cfg) as rt:
                sub = rt.subscriber
                assert sub is not None and rt.readiness is not None
                await asyncio.wait_for(sub.ready.wait(), 15)
                await asyncio.sleep(1.2)  # an autosave (when it can save) holds the session
                ids: list[int] = []
                started = time.monotonic()
                killed = False
                healed_link_at = 0.0
                while len(ids) < ORDERS:
                    ids += await st.generate(1)
                    if not killed and len(ids) >= ORDERS // 3:
                        await proxy.disable("broker")  # the bridge reconnects later
                        broker.kill9()
                        killed = True
                        await asyncio.sleep(0.3)
                        broker.start()
                        healed_link_at = time.monotonic() + 2.5
                    if killed and healed_link_at and time.monotonic() >= healed_link_at:
                        await proxy.enable("broker")
                        healed_link_at = 0.0
                    await asyncio.sleep(
                        max(0.0, started + len(ids) / RATE_PER_S - time.monotonic())
                    )
                wanted = {f"mg:{oid}:order" for oid in ids}

                async def all_booked() -> bool:
                    return wanted <= set(await st.sap_orders_by_key())

                if healed_link_at:
                    await asyncio.sleep(max(0.0, healed_link_at - time.monotonic()))
                    await proxy.enable("broker")
                assert await wait_until(all_booked, 90, 0.25), (
                    f"missing in SAP: {sorted(wanted - set(await st.sap_orders_by_key()))[:10]}"
                )
                assert await rt.wait_idle(30)
                await asyncio.wait_for(sub.ready.wait(), 15)
                readiness = rt.readiness

                async def reports_ready() -> bool:
                    return readiness.ready()

                assert await wait_until(reports_ready, 10, 0.1), readiness.report()
                stats = sub.stats()
                registry = rt.metrics.registry
                for name in ("bridge_mqtt_sessions_lost_total", "bridge_catch_up_orders_total"):
                    stats[name] = registry.get_sample_value(name)  # exported on /metrics
            keys = await st.sap_orders_by_key()
    finally:
        if broker.proc is not None:
            broker.kill9()
    assert set(keys) == wanted, "every key is mg: and no other SAP order exists"
    assert set(keys.values()) == {1}, "exactly once"
    return {k: int(v or 0) for k, v in stats.items() if isinstance(v, int | float | bool)}


async def test_kill9_mid_load_every_order_once_under_mg_keys(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    stats = await _crash_run(tmp_path, f"{data}/")
    assert stats["received"] > 0


async def test_kill9_with_unwritable_persistence_heals_by_catch_up(tmp_path: Path) -> None:
    stats = await _crash_run(tmp_path, "/dev/null/")
    assert stats["lost_sessions"] >= 1  # the broker came back without the session
    assert stats["bridge_mqtt_sessions_lost_total"] == stats["lost_sessions"]
    assert stats["bridge_catch_up_orders_total"] == stats["caught_up_orders"] > 0
    assert stats["session_present"] == 0


@pytest.mark.parametrize("roles", [DEFAULT_ROLES["magento"]])
def test_documented_magento_roles_heal(roles: tuple[str, ...]) -> None:
    from bridge.health import role_warnings

    assert "reconciler" in roles and "subscriber" in roles
    assert role_warnings(roles, 30.0) == []
    assert role_warnings(("worker", "subscriber", "relay"), 30.0)  # the old roles warn
    assert Counter(roles)["reconciler"] == 1


async def test_connack_session_present_decides_the_catch_up(tmp_path: Path) -> None:
    """A new session (present = 0) is caught up from ``now - lookback``; a resumed one
    (present = 1, after a clean reconnect) is not; after a kill -9 with nothing saved the
    gap starts where the session was last known alive."""
    from bridge.events.settings import MqttSettings
    from bridge.events.subscriber import MagentoSubscriber
    from bridge.store import open_store
    from sapchaos.catalog import load_catalog

    workdir = tmp_path / "broker"
    workdir.mkdir()
    broker = CrashableBroker(workdir, "/dev/null/")
    broker.start()
    calls: list[float] = []

    async def catch_up(since: float) -> int:
        calls.append(since)
        return 0

    run = uuid.uuid4().hex[:8]
    settings = MqttSettings(
        url=broker.url,
        magento_prefix=f"h7connack/{run}",
        subscriber_client_id=f"h7-connack-{run}",
        backoff_base_s=0.1,
        backoff_cap_s=0.3,
    )
    store = await open_store(f"sqlite:///{tmp_path}/b.db")
    try:
        sub = MagentoSubscriber(store, load_catalog(), settings)
        sub.catch_up, sub.lookback_s, sub.margin_s = catch_up, 3600.0, 60.0

        async def session(until: Any) -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(sub.run(stop))
            try:
                await asyncio.wait_for(until(), 15)
            finally:
                stop.set()
                await asyncio.wait_for(task, 10)

        started = time.time()
        await session(sub.ready.wait)  # 1: the broker never saw this client
        assert sub.session_present is False and sub.metrics.lost_sessions == 1
        assert len(calls) == 1 and abs(calls[0] - (started - 3600 - 60)) < 5
        await session(sub.ready.wait)  # 2: clean reconnect, session kept by the broker
        assert sub.session_present is True and len(calls) == 1

        async def crashed_and_back() -> None:
            await sub.ready.wait()
            alive = time.time()
            broker.kill9()
            broker.start()
            while not (sub.ready.is_set() and len(calls) == 2):
                await asyncio.sleep(0.05)
            assert calls[1] <= alive - 60 + 1  # from the last moment alive, minus margin

        await session(crashed_and_back)  # 3: kill -9, nothing saved: session gone
        assert sub.session_present is False and sub.metrics.lost_sessions == 2
        assert sub.gap_since is None and sub.metrics.caught_up_orders == 0
    finally:
        await store.close()
        if broker.proc is not None:
            broker.kill9()
