"""Benchmark: PostgreSQL CPU per order, its costliest statements, and what a second bridge
instance buys when SAP is the bottleneck.

Runs fakesap and fakeshop in-process, bridge instances (``BridgeRuntime``) on one fresh
PostgreSQL schema, and pushes N generated orders from webhook to SAP order:

1. one instance in this process, SAP fast: orders/s, PostgreSQL CPU per order, and the
   costliest statements;
2. one instance as its own process (``sapchaos bridge serve``), SAP slow
   (``--sap-latency-ms`` on every Service Layer call);
3. two instances as two processes, SAP slow: orders/s and the ratio to (2).

PostgreSQL CPU comes from ``pg_stat_statements`` when the server preloads it, else from
the CPU time (``/proc/<pid>/stat``) of the server processes serving this run's connections
(found by ``application_name``); the statement ranking is measured client side (time from
send to result of each statement, summed by statement text). Prints figures only.

    .venv/bin/python load/bench_pg.py [--orders 300] [--slow-orders 200]
        [--sap-latency-ms 250] [--pg postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

import bridge.store.postgres as pg_store
from bridge.config import BreakerPolicy, BridgeConfig, RetryPolicy
from bridge.runtime import BridgeRuntime
from bridge.shop.client import WooClient
from bridge.store import open_store
from bridge.store import program as p
from sapchaos import defaults
from sapchaos.logs import configure_logging
from sapchaos.net import free_port

SECRET = "bench-pg-secret"
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class StatementTimes:
    """Client-side time per statement text (send → result), summed over the run."""

    total_s: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def top(self, n: int) -> list[tuple[str, int, float]]:
        ranked = sorted(self.total_s.items(), key=lambda kv: kv[1], reverse=True)[:n]
        return [(sql, self.calls[sql], t) for sql, t in ranked]


@contextmanager
def timed_statements(times: StatementTimes) -> Iterator[None]:
    """Swap the PostgreSQL store's program runner for one that times each statement."""
    original = pg_store._run_program

    async def run(conn: asyncpg.Connection, prog: p.Program) -> Any:
        try:
            q = next(prog)
            while True:
                started = time.perf_counter()
                result: Any
                if q.mode == "one":
                    result = await conn.fetchrow(q.sql, *q.args)
                elif q.mode == "all":
                    result = await conn.fetch(q.sql, *q.args)
                elif q.mode == "value":
                    result = await conn.fetchval(q.sql, *q.args)
                else:
                    result = pg_store._count(await conn.execute(q.sql, *q.args))
                key = " ".join(q.sql.split())[:110]
                times.total_s[key] += time.perf_counter() - started
                times.calls[key] += 1
                q = prog.send(result)
        except StopIteration as stop:
            return stop.value

    pg_store._run_program = run
    try:
        yield
    finally:
        pg_store._run_program = original


def _proc_cpu_s(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


async def _backend_cpu(admin: asyncpg.Connection, app_name: str) -> dict[int, float]:
    rows = await admin.fetch(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1", app_name
    )
    return {int(r[0]): _proc_cpu_s(int(r[0])) for r in rows}


async def _pgss_total_ms(admin: asyncpg.Connection) -> float | None:
    """Total execution time recorded by pg_stat_statements, or None if it is not loaded."""
    try:
        value = await admin.fetchval("SELECT sum(total_exec_time) FROM pg_stat_statements")
    except asyncpg.PostgresError:
        return None
    return float(value or 0.0)


@dataclass
class Emulators:
    sap_url: str
    shop_url: str
    runners: list[web.AppRunner]

    async def close(self) -> None:
        for r in self.runners:
            await r.cleanup()


async def _serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


async def start_emulators(sap_latency_ms: float) -> Emulators:
    from fakesap.app import create_app as create_sap
    from fakesap.config import FakeSapConfig
    from fakeshop.app import create_app as create_shop
    from fakeshop.config import ShopConfig

    sap_runner, sap_port = await _serve(create_sap(FakeSapConfig(uniqueness_guard_udf="U_IdemKey")))
    shop_runner, shop_port = await _serve(create_shop(ShopConfig(seed=11)))
    emu = Emulators(
        f"http://127.0.0.1:{sap_port}/b1s/v1",
        f"http://127.0.0.1:{shop_port}",
        [sap_runner, shop_runner],
    )
    if sap_latency_ms > 0:
        rule = {"id": "slow-sap", "fault": "latency", "params": {"ms": sap_latency_ms}}
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"http://127.0.0.1:{sap_port}/__admin/faults", json=rule) as r,
        ):
            assert r.status == 201, await r.text()
    return emu


def _config(dsn: str, emu: Emulators, roles: tuple[str, ...], worker_id: str) -> BridgeConfig:
    return BridgeConfig(
        store_dsn=dsn,
        sap_base_url=emu.sap_url,
        shop_base_url=emu.shop_url,
        shop_consumer_key=defaults.SHOP_KEY,
        shop_consumer_secret=defaults.SHOP_SECRET,
        webhook_secrets=(SECRET,),
        port=0,
        workers=4,
        batch_size=8,
        sap_concurrency=8,
        idle_poll_s=0.05,
        retry=RetryPolicy(base_s=0.05, cap_s=1.0, max_attempts=30),
        breaker=BreakerPolicy(failure_threshold=50, open_s=0.5),
        roles=roles,
        worker_id=worker_id,
    )


def _spawn(dsn: str, emu: Emulators, roles: str, index: int, port: int) -> subprocess.Popen[bytes]:
    """One bridge instance as its own process, configured like ``_config``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAPCHAOS_")}
    env |= {
        "SAPCHAOS_BRIDGE_SAP_CONCURRENCY": "8",
        "SAPCHAOS_BRIDGE_BATCH_SIZE": "8",
        "SAPCHAOS_BRIDGE_IDLE_POLL_S": "0.05",
        "SAPCHAOS_BRIDGE_RETRY__BASE_S": "0.05",
        "SAPCHAOS_BRIDGE_RETRY__CAP_S": "1.0",
        "SAPCHAOS_BRIDGE_BREAKER__FAILURE_THRESHOLD": "50",
        "SAPCHAOS_BRIDGE_RECONCILE_INTERVAL_S": "0",
    }
    cmd = [sys.executable, "-c", "from sapchaos.cli import main; raise SystemExit(main())"]
    cmd += ["--log-level", "warning", "bridge", "serve", "--store", dsn]
    cmd += ["--roles", roles, "--port", str(port), "--workers", "4"]
    cmd += ["--sap-url", emu.sap_url, "--shop-url", emu.shop_url]
    cmd += ["--shop-key", defaults.SHOP_KEY, "--shop-secret", defaults.SHOP_SECRET]
    cmd += ["--webhook-secret", SECRET, "--worker-id", f"bench-{index}", "--seed", str(index)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as http:
        while True:
            assert proc.poll() is None, "a bridge process exited at start"
            try:
                async with http.get(f"{url}/readyz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            assert time.monotonic() < deadline, f"{url} not ready within 60 s"
            await asyncio.sleep(0.2)


async def run_case(
    pg: str,
    orders: int,
    instances: int,
    sap_latency_ms: float,
    times: StatementTimes | None,
    processes: bool = False,
) -> dict[str, Any]:
    schema = f"bench_pg_{uuid.uuid4().hex[:8]}"
    app_name = f"bench_pg_{uuid.uuid4().hex[:8]}"
    dsn = f"{pg}?schema={schema}&pool_max=10&application_name={app_name}"
    emu = await start_emulators(sap_latency_ms)
    admin = await asyncpg.connect(pg)
    runtimes: list[BridgeRuntime] = []
    procs: list[subprocess.Popen[bytes]] = []
    ingress_url = ""
    try:
        if processes:
            port = free_port()
            ingress_url = f"http://127.0.0.1:{port}"
            procs.append(_spawn(dsn, emu, "ingress,worker", 0, port))
            await _wait_ready(ingress_url, procs[0])  # migrated: the others may start
            for i in range(1, instances):
                extra = free_port()
                procs.append(_spawn(dsn, emu, "ingress,worker", i, extra))
                await _wait_ready(f"http://127.0.0.1:{extra}", procs[-1])
        else:
            for i in range(instances):
                roles = ("ingress", "worker") if i == 0 else ("worker",)
                rt = BridgeRuntime(_config(dsn, emu, roles, f"bench-{i}"), seed=i)
                await rt.start()
                runtimes.append(rt)
            ingress_url = runtimes[0].url
        store = await open_store(dsn.replace(f"&application_name={app_name}", ""))
        async with WooClient(emu.shop_url, defaults.SHOP_KEY, defaults.SHOP_SECRET) as woo:
            for topic in ("order.created", "order.updated"):
                await woo.request(
                    "POST",
                    "webhooks",
                    {
                        "name": topic,
                        "topic": topic,
                        "delivery_url": f"{ingress_url}/webhooks/woocommerce",
                        "secret": SECRET,
                        "status": "active",
                    },
                )
        await asyncio.sleep(0.5)  # pools connected: their backends are ours to measure
        cpu0 = await _backend_cpu(admin, app_name)
        pgss0 = await _pgss_total_ms(admin)
        started = time.perf_counter()
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{emu.shop_url}/__admin/orders/generate", json={"count": orders}) as r,
        ):
            assert r.status == 201, await r.text()
        while True:
            counts = await store.counts()
            done = counts.get("jobs", {}).get("done", 0)
            busy = sum(n for s, n in counts.get("jobs", {}).items() if s not in ("done", "dead"))
            if done >= orders and busy == 0:
                break
            if time.perf_counter() - started > 600:
                raise RuntimeError(f"not done after 600 s: {counts}")
            await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - started
        cpu1 = await _backend_cpu(admin, app_name)
        pgss1 = await _pgss_total_ms(admin)
        await store.close()
    finally:
        for rt in runtimes:
            await rt.stop()
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        await emu.close()
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.close()
    backend_cpu_s = sum(cpu1.get(pid, 0.0) - cpu0.get(pid, 0.0) for pid in cpu1)
    return {
        "instances": instances,
        "sap_latency_ms": sap_latency_ms,
        "orders": orders,
        "elapsed_s": elapsed,
        "orders_per_s": orders / elapsed,
        "pg_cpu_ms_per_order": backend_cpu_s * 1000 / orders,
        "pgss_exec_ms_per_order": None
        if pgss0 is None or pgss1 is None
        else (pgss1 - pgss0) / orders,
        "backends": len(cpu1),
    }


def _line(label: str, r: dict[str, Any]) -> str:
    pgss = r["pgss_exec_ms_per_order"]
    return (
        f"{label:<34} {r['orders_per_s']:7.1f} orders/s  "
        f"PostgreSQL CPU {r['pg_cpu_ms_per_order']:5.2f} ms/order "
        f"({r['backends']} backends)"
        + ("" if pgss is None else f"  pg_stat_statements {pgss:.2f} ms/order")
    )


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=300, help="orders of the fast-SAP run")
    ap.add_argument("--slow-orders", type=int, default=200, help="orders of the slow-SAP runs")
    ap.add_argument("--sap-latency-ms", type=float, default=250.0)
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--top", type=int, default=8, help="how many statements to list")
    args = ap.parse_args()
    configure_logging("warning")

    times = StatementTimes()
    with timed_statements(times):
        fast = await run_case(args.pg, args.orders, 1, 0.0, times)
    print(_line("1 instance, SAP fast", fast))
    print(f"costliest statements (client-side time, {args.orders} orders):")
    for sql, calls, total in times.top(args.top):
        print(f"  {total * 1000 / args.orders:6.3f} ms/order  {calls:6d} calls  {sql}")
    one = await run_case(args.pg, args.slow_orders, 1, args.sap_latency_ms, None, True)
    print(_line(f"1 process, SAP +{args.sap_latency_ms:g} ms", one))
    two = await run_case(args.pg, args.slow_orders, 2, args.sap_latency_ms, None, True)
    print(_line(f"2 processes, SAP +{args.sap_latency_ms:g} ms", two))
    print(f"two-instance ratio (SAP slow): {two['orders_per_s'] / one['orders_per_s']:.2f}x")
    cost = two["pg_cpu_ms_per_order"] / max(one["pg_cpu_ms_per_order"], 1e-9)
    print(f"PostgreSQL CPU per order, two instances vs one (SAP slow): {cost:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
