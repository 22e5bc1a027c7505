"""The shipped load-balancer recipes, run for real: ``deploy/nginx.conf`` and
``deploy/haproxy.cfg`` in front of two bridge instances sharing one PostgreSQL schema.
Instance B reaches PostgreSQL through the embedded proxy, and its link is black-holed:
every signed webhook sent to the balancer still gets 200 (a failed POST is sent again to
instance A), each answer comes within the shop's patience, and after the heal both
instances take deliveries again.

The binaries come from Debian (``apt-get install nginx haproxy``); CI installs them, and
a missing binary fails this test rather than skipping it.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from bridge.config import BridgeConfig
from bridge.runtime import BridgeRuntime
from sapchaos.net import free_port
from scenarios.proxy.client import ToxiproxyClient
from scenarios.proxy.server import EmbeddedToxiproxy
from tests.bridge.payloads import order_payload, signed

ROOT = Path(__file__).resolve().parents[2]
PG = os.environ.get("SAPCHAOS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
#: WooCommerce's delivery timeout is 60 s; the balancer must answer far sooner
ANSWER_BOUND_S = 15.0


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert proc.poll() is None, "the load balancer exited"
        assert time.monotonic() < deadline, f"nothing listens on {port}"
        time.sleep(0.05)


def _render(text: str, listen: int, a: int, b: int) -> str:
    text = text.replace("bridge-a:8090", f"127.0.0.1:{a}").replace(
        "bridge-b:8090", f"127.0.0.1:{b}"
    )
    text = re.sub(r"listen 8090;", f"listen 127.0.0.1:{listen};", text)
    return re.sub(r"bind \*:8090", f"bind 127.0.0.1:{listen}", text)


def _start_nginx(workdir: Path, listen: int, a: int, b: int) -> subprocess.Popen[bytes]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    conf = workdir / "nginx.conf"
    conf.write_text(_render((ROOT / "deploy" / "nginx.conf").read_text(), listen, a, b))
    cmd = [binary, "-c", str(conf), "-p", f"{workdir}/"]
    cmd += ["-g", f"daemon off; pid {workdir}/nginx.pid;"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _start_haproxy(workdir: Path, listen: int, a: int, b: int) -> subprocess.Popen[bytes]:
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    conf = workdir / "haproxy.cfg"
    conf.write_text(_render((ROOT / "deploy" / "haproxy.cfg").read_text(), listen, a, b))
    return subprocess.Popen(
        [binary, "-db", "-f", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@pytest.fixture
def schema() -> Iterator[str]:
    name = f"h7_lb_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    yield name

    async def drop() -> None:
        conn = await asyncpg.connect(PG)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        finally:
            await conn.close()

    asyncio.run(drop())


@pytest.fixture
async def two_instances(schema: str) -> AsyncIterator[tuple[int, int, ToxiproxyClient]]:
    """Instance A straight to PostgreSQL, instance B through a proxy link ("pg_b")."""
    upstream = PG.split("@", 1)[1].split("/", 1)[0]
    timeouts = "connect_timeout=2&acquire_timeout=2&command_timeout=2&transaction_timeout=3"
    async with EmbeddedToxiproxy(port=0) as server, ToxiproxyClient(server.url) as proxy:
        link = await proxy.create("pg_b", upstream)
        pg_port = int(link["listen"].rsplit(":", 1)[1])
        base = PG.rsplit("/", 1)[0]
        dsn_a = f"{PG}?schema={schema}&pool_max=4&{timeouts}"
        dsn_b = f"{base.replace(upstream, f'127.0.0.1:{pg_port}')}/test?schema={schema}"
        dsn_b += f"&pool_max=4&{timeouts}"

        def cfg(dsn: str) -> BridgeConfig:
            return BridgeConfig(
                store_dsn=dsn,
                port=0,
                roles=("ingress",),
                health_interval_s=0.5,
                health_timeout_s=1.5,
                ingress_deadline_s=3.0,
            )

        async with BridgeRuntime(cfg(dsn_a)) as a, BridgeRuntime(cfg(dsn_b)) as b:
            assert a.port and b.port
            yield a.port, b.port, proxy
        await proxy.reset()


async def _deliver(http: aiohttp.ClientSession, url: str, order_id: int) -> tuple[int, float]:
    body, headers = signed(
        order_payload(order_id, modified=f"2026-11-23T21:{order_id % 60:02d}:00")
    )
    started = time.monotonic()
    async with http.post(f"{url}/webhooks/woocommerce", data=body, headers=headers) as r:
        await r.read()
        return r.status, time.monotonic() - started


async def _run_through(
    balancer: str, tmp_path: Path, ports: tuple[int, int, ToxiproxyClient], first_id: int
) -> None:
    port_a, port_b, proxy = ports
    listen = free_port()
    start = _start_nginx if balancer == "nginx" else _start_haproxy
    proc = start(tmp_path, listen, port_a, port_b)
    url = f"http://127.0.0.1:{listen}"
    try:
        _wait_port(listen, proc)
        timeout = aiohttp.ClientTimeout(total=ANSWER_BOUND_S * 2)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            healthy = [await _deliver(http, url, first_id + i) for i in range(4)]
            assert [s for s, _ in healthy] == [200] * 4

            await proxy.add_toxic("pg_b", "timeout", stream="downstream", timeout=0)
            await proxy.add_toxic("pg_b", "timeout", stream="upstream", timeout=0)
            cut = [await _deliver(http, url, first_id + 10 + i) for i in range(8)]
            assert [s for s, _ in cut] == [200] * 8, cut
            assert max(t for _, t in cut) < ANSWER_BOUND_S, cut

            for t in await proxy.toxics("pg_b"):
                await proxy.remove_toxic("pg_b", t["name"])

            async def b_ready() -> bool:
                async with http.get(f"http://127.0.0.1:{port_b}/readyz") as r:
                    return r.status == 200

            deadline = time.monotonic() + 10
            while not await b_ready():
                assert time.monotonic() < deadline, "instance B not ready after the heal"
                await asyncio.sleep(0.1)
            after = [await _deliver(http, url, first_id + 30 + i) for i in range(4)]
            assert [s for s, _ in after] == [200] * 4
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


async def test_nginx_recipe_sends_failed_webhooks_to_the_healthy_instance(
    tmp_path: Path, two_instances: tuple[int, int, ToxiproxyClient], schema: str
) -> None:
    await _run_through("nginx", tmp_path, two_instances, 100)
    await _assert_stored(schema, [100 + i for i in (0, 1, 2, 3, *range(10, 18), 30, 31, 32, 33)])


async def test_haproxy_recipe_sends_failed_webhooks_to_the_healthy_instance(
    tmp_path: Path, two_instances: tuple[int, int, ToxiproxyClient], schema: str
) -> None:
    await _run_through("haproxy", tmp_path, two_instances, 200)
    await _assert_stored(schema, [200 + i for i in (0, 1, 2, 3, *range(10, 18), 30, 31, 32, 33)])


async def _assert_stored(schema: str, order_ids: list[int]) -> None:
    """Every 200 is durable: each order has its snapshot and its one job."""
    conn = await asyncpg.connect(PG)
    try:
        rows = await conn.fetch(f'SELECT order_id FROM "{schema}".snapshots')
        jobs = await conn.fetch(f'SELECT order_id FROM "{schema}".jobs')
    finally:
        await conn.close()
    assert sorted(r[0] for r in rows) == sorted(order_ids)
    assert sorted(r[0] for r in jobs) == sorted(order_ids)


async def test_store_partition_end_to_end_through_nginx(
    tmp_path: Path, two_instances_full: tuple[Any, int, int, ToxiproxyClient, str]
) -> None:
    """fakeshop → nginx → two full instances (ingress, worker, poller) on one schema; B's
    store link is black-holed for a while under load. Every order reaches SAP exactly once,
    the shop's webhooks stay active, and B takes work again after the heal."""
    st, port_a, port_b, proxy, _schema = two_instances_full
    listen = free_port()
    proc = _start_nginx(tmp_path, listen, port_a, port_b)
    try:
        _wait_port(listen, proc)
        await st.subscribe(f"http://127.0.0.1:{listen}")
        ids: list[int] = []
        for _ in range(10):
            ids += await st.generate(2)
            await asyncio.sleep(0.1)
        await proxy.add_toxic("pg_b", "timeout", stream="downstream", timeout=0)
        await proxy.add_toxic("pg_b", "timeout", stream="upstream", timeout=0)
        for _ in range(30):
            ids += await st.generate(2)
            await asyncio.sleep(0.1)
        for t in await proxy.toxics("pg_b"):
            await proxy.remove_toxic("pg_b", t["name"])
        for _ in range(10):
            ids += await st.generate(2)
            await asyncio.sleep(0.1)
        wanted = {f"wc:{oid}:order" for oid in ids}

        async def all_booked() -> bool:
            return wanted <= set(await st.sap_orders_by_key())

        deadline = time.monotonic() + 120
        while not await all_booked():
            assert time.monotonic() < deadline, "orders missing in SAP"
            await asyncio.sleep(0.5)
        keys = await st.sap_orders_by_key()
        assert set(keys) == wanted and set(keys.values()) == {1}
        hooks = await st.woo.request("GET", "webhooks")
        assert hooks and all(h["status"] == "active" for h in hooks), hooks
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture
async def two_instances_full(
    schema: str,
) -> AsyncIterator[tuple[Any, int, int, ToxiproxyClient, str]]:
    from tests.bridge.stack import bridge_config, stack

    upstream = PG.split("@", 1)[1].split("/", 1)[0]
    timeouts = "connect_timeout=2&acquire_timeout=2&command_timeout=2&transaction_timeout=3"
    async with (
        stack() as st,
        EmbeddedToxiproxy(port=0) as server,
        ToxiproxyClient(server.url) as proxy,
    ):
        link = await proxy.create("pg_b", upstream)
        pg_port = int(link["listen"].rsplit(":", 1)[1])
        # A is not partitioned: its bounds leave room for a loaded CI machine (a 503 from
        # A while B is cut leaves nginx no live upstream, and the shop counts a failure);
        # B's are short, so its partition shows within seconds
        relaxed = "connect_timeout=4&acquire_timeout=4&command_timeout=5&transaction_timeout=6"
        dsn_a = f"{PG}?schema={schema}&pool_max=6&{relaxed}"
        dsn_b = f"postgresql://postgres@127.0.0.1:{pg_port}/test?schema={schema}"
        dsn_b += f"&pool_max=6&{timeouts}"

        def cfg(dsn: str, worker: str, deadline_s: float) -> BridgeConfig:
            return bridge_config(
                dsn,
                st.sap_url,
                st.shop_url,
                roles=("ingress", "worker", "poller"),
                worker_id=worker,
                health_interval_s=0.5,
                health_timeout_s=1.5,
                ingress_deadline_s=deadline_s,
                reconcile_interval_s=5.0,
            )

        # both deadlines stay under nginx's proxy_read_timeout (8 s)
        async with (
            BridgeRuntime(cfg(dsn_a, "a", 6.0)) as a,
            BridgeRuntime(cfg(dsn_b, "b", 3.0)) as b,
        ):
            assert a.port and b.port
            yield st, a.port, b.port, proxy, schema
        await proxy.reset()
