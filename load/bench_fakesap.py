"""Benchmark: fakesap document creates per second (``POST /b1s/v1/Orders``).

fakesap runs in its own process (``sapchaos fakesap serve``); the load client is ``wrk``
(keep-alive, one thread, 64 connections, a Lua script that sends a bridge-like order with
a unique ``U_IdemKey`` and the session cookie) in a second process, or a multiprocess
aiohttp client when wrk is missing. Prints creates/s, p50/p99 latency and fakesap's RSS,
for in-memory mode and for SQLite persistence, and compares with WireMock 3.13's
3.4-4.3k req/s (a templated stub, no real work) at 1.2 GB RSS on the same machine.

    .venv/bin/python load/bench_fakesap.py [--seconds 5] [--connections 64] [--rounds 3]
                                           [--loop auto|uvloop|asyncio]

Each figure is the median of ``--rounds`` runs; the machine is shared, so the steady figure
is fakesap's CPU time per create (utime + stime of its process), printed next to req/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sapchaos.net import free_port

ROOT = Path(__file__).resolve().parent.parent
WIREMOCK_RPS = (3400, 4300)
LOGIN = {"CompanyDB": "SBODEMOES", "UserName": "manager", "Password": "manager"}


def order_body(key: str) -> dict[str, object]:
    """A bridge-like order: 3 lines (net LineTotal, VAT groups), freight, idempotency key."""
    return {
        "CardCode": "C10011",
        "DocDate": "2026-11-23",
        "DocDueDate": "2026-11-30",
        "NumAtCard": "WEB-100042",
        "U_IdemKey": key,
        "DocumentLines": [
            {
                "ItemCode": "TSH-RED-M",
                "Quantity": 2,
                "LineTotal": 33.04,
                "VatGroup": "R3",
                "WarehouseCode": "01",
            },
            {
                "ItemCode": "BOOK-ES-01",
                "Quantity": 1,
                "LineTotal": 21.54,
                "VatGroup": "R1",
                "WarehouseCode": "01",
            },
            {
                "ItemCode": "FOOD-OLIVE-1L",
                "Quantity": 3,
                "LineTotal": 32.59,
                "VatGroup": "R2",
                "WarehouseCode": "01",
            },
        ],
        "DocumentAdditionalExpenses": [{"ExpenseCode": 1, "LineTotal": 4.09, "VatGroup": "R3"}],
    }


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (robust to other load on the machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_fakesap(port: int, persist: str | None, loop: str = "auto") -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "sapchaos.cli",
        "--log-level",
        "WARNING",
        "fakesap",
        "serve",
        "--port",
        str(port),
        "--uniqueness-guard",
        "U_IdemKey",
        "--journal-size",
        "10000",
        "--loop",
        loop,
    ]
    if persist:
        cmd += ["--persist", persist]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("fakesap did not start")


BASELINE_SERVER = """
import sys
from aiohttp import web
async def handle(request):
    await request.read()
    return web.Response(body=b'{"DocEntry": 1}' * 100, status=201, content_type="application/json")
app = web.Application()
app.router.add_route("*", "/{tail:.*}", handle)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


def start_baseline(port: int, loop: str = "auto") -> subprocess.Popen[bytes]:
    """A bare aiohttp server that reads the body and answers 1.5 KB: the ceiling here
    (on the same event loop as fakesap)."""
    source = BASELINE_SERVER
    if loop_name(loop) == "uvloop":
        source = "import uvloop\nuvloop.install()\n" + source
    proc = subprocess.Popen([sys.executable, "-c", source, str(port)], cwd=ROOT)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("baseline server did not start")


def login(port: int) -> str:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/b1s/v1/Login",
        data=json.dumps(LOGIN).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        return str(json.loads(r.read())["SessionId"])


def admin(port: int, path: str) -> dict[str, object]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as r:
        result: dict[str, object] = json.loads(r.read())
        return result


LUA = r"""
local counter = 0
local tid = 0
local threads = {}
function setup(thread)
  thread:set("tid", tid)
  tid = tid + 1
end
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Cookie"] = "B1SESSION=@SID@; ROUTEID=.node1"
end
function request()
  counter = counter + 1
  local body = string.gsub(TEMPLATE, "IDEMKEY", "bench:RUN:" .. tid .. ":" .. counter)
  return wrk.format(nil, "/b1s/v1/Orders", nil, body)
end
"""


def run_wrk(port: int, session: str, seconds: int, connections: int, run: str) -> dict[str, float]:
    template = json.dumps(order_body("IDEMKEY")).replace("\\", "\\\\").replace('"', '\\"')
    script = LUA.replace("@SID@", session).replace("RUN", run)
    script = f'TEMPLATE = "{template}"\n' + script
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                path,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(path)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def pct(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return {
        "rps": rps,
        "p50_ms": pct("50"),
        "p99_ms": pct("99"),
        "errors": float(non2xx.group(1)) if non2xx else 0.0,
    }


# --- fallback client: aiohttp in several processes ----------------------------------------
def _client_proc(
    port: int,
    session: str,
    seconds: float,
    conns: int,
    wid: int,
    q: multiprocessing.Queue,
) -> None:
    import aiohttp

    async def main() -> tuple[int, list[float], int]:
        lat: list[float] = []
        errors = 0
        done = 0
        stop = time.perf_counter() + seconds
        headers = {"Cookie": f"B1SESSION={session}; ROUTEID=.node1"}
        async with aiohttp.ClientSession(headers=headers) as http:

            async def worker(n: int) -> None:
                nonlocal done, errors
                i = 0
                while time.perf_counter() < stop:
                    i += 1
                    t = time.perf_counter()
                    async with http.post(
                        f"http://127.0.0.1:{port}/b1s/v1/Orders",
                        json=order_body(f"b:{wid}:{n}:{i}"),
                    ) as r:
                        await r.read()
                        errors += r.status != 201
                    lat.append((time.perf_counter() - t) * 1000)
                    done += 1

            await asyncio.gather(*(worker(n) for n in range(conns)))
        return done, lat, errors

    q.put(asyncio.run(main()))


def run_aiohttp(port: int, session: str, seconds: int, connections: int) -> dict[str, float]:
    procs, q = [], multiprocessing.Queue()  # type: ignore[var-annotated]
    for wid in range(2):
        p = multiprocessing.Process(
            target=_client_proc, args=(port, session, seconds, connections // 2, wid, q)
        )
        p.start()
        procs.append(p)
    results = [q.get() for _ in procs]
    for p in procs:
        p.join()
    done = sum(r[0] for r in results)
    lat = sorted(x for r in results for x in r[1])
    return {
        "rps": done / seconds,
        "p50_ms": lat[len(lat) // 2],
        "p99_ms": lat[int(len(lat) * 0.99)],
        "errors": float(sum(r[2] for r in results)),
    }


def loop_name(loop: str) -> str:
    """The event loop ``--loop`` selects here: uvloop for ``auto`` when it is installed."""
    if loop == "asyncio":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        if loop == "uvloop":
            raise SystemExit(
                "--loop uvloop: uvloop is not installed (pip install 'sapchaos[fast]')"
            ) from None
        return "asyncio"
    return "uvloop"


def bench(mode: str, seconds: int, connections: int, loop: str = "auto") -> dict[str, float]:
    port = free_port()
    if mode == "baseline":
        proc = start_baseline(port, loop)
        try:
            if shutil.which("wrk"):
                run_wrk(port, "none", 1, connections, "warm")
            cpu0 = cpu_seconds(proc.pid)
            if shutil.which("wrk"):
                result = run_wrk(port, "none", seconds, connections, "main")
            else:
                result = run_aiohttp(port, "none", seconds, connections)
            cpu = cpu_seconds(proc.pid) - cpu0
            result["per_cpu_s"] = result["rps"] * seconds / cpu if cpu > 0 else 0.0
            result["rss_mb"] = rss_mb(proc.pid)
            result["documents"] = 0.0
            return result
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    tmp = tempfile.mkdtemp(prefix="bench-fakesap-")
    persist = os.path.join(tmp, "sap.sqlite") if mode == "sqlite" else None
    proc = start_fakesap(port, persist, loop)
    try:
        session = login(port)
        client = "wrk" if shutil.which("wrk") else "aiohttp"
        if client == "wrk":
            run_wrk(port, session, 1, connections, "warm")  # warm-up
        before_docs = float(admin(port, "/__admin/health")["documents"])  # type: ignore[arg-type]
        cpu0 = cpu_seconds(proc.pid)
        if client == "wrk":
            result = run_wrk(port, session, seconds, connections, "main")
        else:
            result = run_aiohttp(port, session, seconds, connections)
        cpu = cpu_seconds(proc.pid) - cpu0
        result["rss_mb"] = rss_mb(proc.pid)
        health = admin(port, "/__admin/health")
        result["documents"] = float(health["documents"])  # type: ignore[arg-type]
        result["per_cpu_s"] = (result["documents"] - before_docs) / cpu if cpu > 0 else 0.0
        result["client"] = 0.0 if client == "wrk" else 1.0
        return result
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3, help="runs per mode; medians are printed")
    ap.add_argument("--modes", default="baseline,memory,sqlite")
    ap.add_argument("--loop", choices=("auto", "uvloop", "asyncio"), default="auto")
    args = ap.parse_args()
    client = "wrk -t1" if shutil.which("wrk") else "aiohttp x2 processes"
    loop = loop_name(args.loop)
    print(
        f"fakesap create benchmark: POST /b1s/v1/Orders, 3 lines + freight, guard on, "
        f"client {client}, {args.connections} connections, {args.seconds}s, "
        f"median of {args.rounds}, cpus={os.cpu_count()}, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"  event loop: {loop} (fakesap and baseline); baseline = bare aiohttp reading the body")
    baseline = None
    for mode in args.modes.split(","):
        runs = [bench(mode, args.seconds, args.connections, args.loop) for _ in range(args.rounds)]
        rps = statistics.median(r["rps"] for r in runs)
        per_cpu = statistics.median(r["per_cpu_s"] for r in runs)
        p50 = statistics.median(r["p50_ms"] for r in runs)
        p99 = statistics.median(r["p99_ms"] for r in runs)
        r = runs[-1]
        us = 1e6 / per_cpu if per_cpu else float("nan")
        if mode == "baseline":
            baseline = rps
            print(
                f"  {mode:8s} req/s     {rps:8.0f}  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
                f"RSS {r['rss_mb']:6.1f} MB  per server CPU-second {per_cpu:6.0f} ({us:.0f} CPU-us/req)"
            )
            continue
        share = f"  = {rps / baseline:.0%} of bare aiohttp" if baseline else ""
        print(
            f"  {mode:8s} creates/s {rps:8.0f}  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
            f"RSS {r['rss_mb']:6.1f} MB  non-2xx {int(sum(x['errors'] for x in runs))}  "
            f"documents {int(r['documents'])}  per server CPU-second {per_cpu:6.0f} "
            f"({us:.0f} CPU-us/create)  "
            f"vs WireMock {rps / WIREMOCK_RPS[1]:.2f}-{rps / WIREMOCK_RPS[0]:.2f}x at 1.2 GB{share}"
        )


if __name__ == "__main__":
    main()
