"""Benchmark: the embedded Toxiproxy-compatible proxy vs a direct connection.

Workload like the bridge's: keep-alive HTTP requests to an aiohttp server answering a
~1 KB JSON body (as fakesap/fakeshop do), plus a bulk-bytes stream. The upstream server,
the proxy and the load client each run in their own process, as with a real Toxiproxy.
The load client is ``wrk`` when installed (``apt-get install -y wrk``), else several
processes of an aiohttp client. Each figure is the median of 5 rounds (direct and proxied back to back); no toxics. Shared machines are noisy: run it
when nothing else is busy, and compare the ratio rather than absolute figures.

    .venv/bin/python load/bench_proxy.py [--seconds 4] [--connections 32] [--rounds 3]
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
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BULK_BYTES = 256 * 1024 * 1024
PAYLOAD = json.dumps(
    {
        "odata.metadata": "$metadata#Orders/@Element",
        "DocEntry": 4711,
        "DocNum": 1042,
        "CardCode": "C20000",
        "NumAtCard": "WC-100042",
        "DocumentLines": [
            {"ItemCode": f"A{n:05d}", "Quantity": 2, "LineTotal": "19.90", "VatGroup": "R1"}
            for n in range(10)
        ],
    }
).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- processes ---------------------------------------------------------------------------
class RawHttp(asyncio.Protocol):
    """A minimal keep-alive HTTP/1.1 responder: far faster than any real upstream, so
    it shows the proxy's own cost (a worst case for the ratio)."""

    RESPONSE = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(PAYLOAD)).encode()
        + b"\r\n\r\n"
        + PAYLOAD
    )

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.pending = b""

    def data_received(self, data: bytes) -> None:
        self.pending += data
        count = self.pending.count(b"\r\n\r\n")
        if count:
            self.pending = self.pending[self.pending.rfind(b"\r\n\r\n") + 4 :]
            self.transport.write(self.RESPONSE * count)


def run_upstream(http_port: int, raw_port: int, bulk_port: int) -> None:
    """aiohttp JSON server, raw HTTP server and a bulk-bytes source, in one process."""
    from aiohttp import web

    async def order(_request: web.Request) -> web.Response:
        return web.Response(body=PAYLOAD, content_type="application/json")

    async def bulk(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if await reader.read(1) == b"G":  # port probes send nothing
            block = b"x" * (1024 * 1024)
            for _ in range(BULK_BYTES // len(block)):
                writer.write(block)
                await writer.drain()
        writer.close()

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/", order)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", http_port, backlog=1024).start()
        await asyncio.start_server(bulk, "127.0.0.1", bulk_port)
        await asyncio.get_running_loop().create_server(RawHttp, "127.0.0.1", raw_port)
        await asyncio.Event().wait()

    asyncio.run(main())


def run_proxy(api_port: int) -> None:
    sys.path.insert(0, str(ROOT))
    from sapchaos.logs import configure_logging
    from scenarios.proxy.server import EmbeddedToxiproxy

    configure_logging("WARNING")

    async def main() -> None:
        async with EmbeddedToxiproxy("127.0.0.1", api_port):
            await asyncio.Event().wait()

    asyncio.run(main())


def wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


def create_proxy(api_port: int, name: str, upstream_port: int) -> int:
    body = json.dumps(
        {"name": name, "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{upstream_port}"}
    ).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{api_port}/proxies", data=body)
    with urllib.request.urlopen(req) as resp:
        return int(json.loads(resp.read())["listen"].rsplit(":", 1)[1])


# --- load clients ------------------------------------------------------------------------
def wrk_rps(port: int, seconds: float, connections: int) -> float:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            f"http://127.0.0.1:{port}/",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(out)
    return float(match.group(1))


def _client_worker(port: int, seconds: float, connections: int, out: multiprocessing.Queue) -> None:
    import aiohttp

    async def main() -> int:
        done = 0
        deadline = time.monotonic() + seconds
        conn = aiohttp.TCPConnector(limit=connections)
        async with aiohttp.ClientSession(connector=conn) as session:

            async def user() -> None:
                nonlocal done
                while time.monotonic() < deadline:
                    async with session.get(f"http://127.0.0.1:{port}/") as resp:
                        await resp.read()
                    done += 1

            await asyncio.gather(*(user() for _ in range(connections)))
        return done

    out.put(asyncio.run(main()))


def python_rps(port: int, seconds: float, connections: int, procs: int = 2) -> float:
    queue: multiprocessing.Queue = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(
            target=_client_worker, args=(port, seconds, connections // procs, queue)
        )
        for _ in range(procs)
    ]
    for w in workers:
        w.start()
    total = sum(queue.get() for _ in workers)
    for w in workers:
        w.join()
    return total / seconds


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bulk_mbps(port: int) -> float:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        started = time.perf_counter()
        s.sendall(b"G")
        got = 0
        buf = bytearray(1 << 20)
        while n := s.recv_into(buf):
            got += n
    return got / (time.perf_counter() - started) / 1e6


# --- main ----------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args()
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    client = "wrk" if use_wrk else "aiohttp (2 processes)"

    http_port, raw_port, bulk_port, api_port = free_port(), free_port(), free_port(), free_port()
    ctx = multiprocessing.get_context("spawn")
    upstream = ctx.Process(target=run_upstream, args=(http_port, raw_port, bulk_port), daemon=True)
    proxy = ctx.Process(target=run_proxy, args=(api_port,), daemon=True)
    upstream.start()
    proxy.start()
    try:
        for port in (http_port, raw_port, bulk_port, api_port):
            wait_port(port)
        p_http = create_proxy(api_port, "bench_http", http_port)
        p_raw = create_proxy(api_port, "bench_raw", raw_port)
        p_bulk = create_proxy(api_port, "bench_bulk", bulk_port)

        proxy_cpu: dict[str, list[float]] = {"http": [], "raw": []}

        def rps(port: int, cpu_key: str | None = None) -> float:
            before = cpu_seconds(proxy.pid)
            if use_wrk:
                result = wrk_rps(port, args.seconds, args.connections)
            else:
                result = python_rps(port, args.seconds, args.connections)
            if cpu_key is not None:
                used = cpu_seconds(proxy.pid) - before
                proxy_cpu[cpu_key].append(used / (result * args.seconds) * 1e6)
            return result

        rps(http_port)  # warm-up (imports, JIT-free but caches, TCP)
        direct, proxied, bulk_direct, bulk_proxied = [], [], [], []
        raw_direct, raw_proxied = [], []
        for n in range(args.rounds):
            direct.append(rps(http_port))
            proxied.append(rps(p_http, "http"))
            raw_direct.append(rps(raw_port))
            raw_proxied.append(rps(p_raw, "raw"))
            bulk_direct.append(bulk_mbps(bulk_port))
            bulk_proxied.append(bulk_mbps(p_bulk))
            print(
                f"round {n + 1}: http direct {direct[-1]:.0f} req/s, via proxy "
                f"{proxied[-1]:.0f} req/s ({proxied[-1] / direct[-1]:.2f}x); raw HTTP direct "
                f"{raw_direct[-1]:.0f}, via proxy {raw_proxied[-1]:.0f} "
                f"({raw_proxied[-1] / raw_direct[-1]:.2f}x); bulk direct "
                f"{bulk_direct[-1]:.0f} MB/s, via proxy {bulk_proxied[-1]:.0f} MB/s "
                f"({bulk_proxied[-1] / bulk_direct[-1]:.2f}x)",
                flush=True,
            )
        print(
            f"\nembedded proxy, no toxics, {os.cpu_count()} CPUs, client {client}, "
            f"{args.connections} keep-alive connections, {args.seconds:g}s x {args.rounds} "
            f"rounds; medians (ratio = median of the per-round ratios, direct and proxied "
            f"run back to back):"
        )
        for label, d, p, unit in (
            ("HTTP 1 KB JSON (aiohttp upstream, bridge-like)", direct, proxied, "req/s"),
            ("raw HTTP (upstream far faster than a real one)", raw_direct, raw_proxied, "req/s"),
            ("bulk bytes, one connection", bulk_direct, bulk_proxied, "MB/s"),
        ):
            ratio = statistics.median(b / a for a, b in zip(d, p, strict=True))
            print(
                f"  {label}: direct {statistics.median(d):.0f} {unit}, via proxy "
                f"{statistics.median(p):.0f} {unit} -> {ratio:.2f}x"
            )
        if proxy_cpu["http"] and proxy_cpu["http"][0] > 0:
            print(
                f"  proxy CPU per proxied request (user+sys, load-independent): "
                f"{statistics.median(proxy_cpu['http']):.0f} us (aiohttp upstream), "
                f"{statistics.median(proxy_cpu['raw']):.0f} us (raw upstream)"
            )
    finally:
        for proc in (upstream, proxy):
            proc.terminate()
            proc.join(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
