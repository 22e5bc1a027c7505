"""Benchmark: the embedded Toxiproxy-compatible proxy (each event loop) against a direct
connection and, when ``--toxiproxy-bin`` names one, the real Toxiproxy.

Workloads, no toxics: keep-alive HTTP with a small (1 KB JSON) and a 64 KB body,
short connections (one request each, ``Connection: close``), one and four bulk TCP
streams, p50/p99 round-trip latency at a fixed request rate, and the proxy's CPU time per
keep-alive request (user + system, from /proc: it does not depend on machine load).
Every variant runs in its own process; each round runs every variant once, in turn
(alternating), and each figure is the median of the rounds. Ratios are to direct.

The HTTP load client is ``wrk`` (``apt-get install -y wrk``) when installed, else an
asyncio client in one process (slower: it measures less of the proxy's headroom).

    .venv/bin/python load/bench_proxy.py [--rounds 3] [--seconds 1] [--rate 1900]
        [--toxiproxy-bin /path/to/toxiproxy-server] [--variants direct,asyncio,uvloop]

Variants: ``direct``, ``asyncio``, ``uvloop`` (the embedded proxy on that loop) and
``asyncio-copy``/``uvloop-copy`` (the same with splicing off, ``--splice-after 0``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sapchaos.net import free_port

ROOT = Path(__file__).resolve().parent.parent
SMALL = json.dumps(
    {
        "odata.metadata": "$metadata#Orders/@Element",
        "DocEntry": 4711,
        "CardCode": "C20000",
        "DocumentLines": [
            {"ItemCode": f"A{n:05d}", "Quantity": 2, "LineTotal": "19.90", "VatGroup": "R1"}
            for n in range(12)
        ],
    }
).encode()
BIG = b"x" * 65536


def wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


# --- the upstream: a fast raw HTTP responder and a bulk source ----------------------------
def _response(body: bytes, close: bool = False) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    if close:
        head += "Connection: close\r\n"
    return head.encode() + b"\r\n" + body


class RawHttp(asyncio.Protocol):
    """Keep-alive HTTP/1.1: ``/big`` answers 64 KB, anything else ~1 KB of JSON. Far
    faster than a real upstream, so the figures show the proxy's own cost."""

    SMALL = _response(SMALL)
    BIG = _response(BIG)
    SMALL_CLOSE = _response(SMALL, close=True)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.pending = b""

    def data_received(self, data: bytes) -> None:
        self.pending += data
        while (end := self.pending.find(b"\r\n\r\n")) >= 0:
            head, self.pending = self.pending[:end], self.pending[end + 4 :]
            if b"onnection: close" in head or b"onnection: Close" in head:
                self.transport.write(self.SMALL_CLOSE)
                self.transport.close()
                return
            if head.startswith(b"GET /split"):  # head and body in two writes, as many
                cut = len(self.SMALL) - len(SMALL)  # servers send them
                self.transport.write(self.SMALL[:cut])
                self.transport.write(self.SMALL[cut:])
                continue
            self.transport.write(self.BIG if head.startswith(b"GET /big") else self.SMALL)


def _bulk_source(listener: socket.socket) -> None:
    """Blocking threads: each accepted client gets bytes as fast as the kernel takes them."""
    block = memoryview(b"b" * (1 << 20))

    def serve(conn: socket.socket) -> None:
        with conn:
            try:
                if conn.recv(1) != b"G":  # port probes send nothing
                    return
                while True:
                    conn.sendall(block)
            except OSError:
                pass

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def run_upstream(http_port: int, bulk_port: int) -> None:
    listener = socket.create_server(("127.0.0.1", bulk_port), backlog=4096)
    threading.Thread(target=_bulk_source, args=(listener,), daemon=True).start()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        await loop.create_server(RawHttp, "127.0.0.1", http_port, backlog=4096)
        await asyncio.Event().wait()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


# --- the proxies -------------------------------------------------------------------------
def run_embedded(api_port: int, loop: str, splice_after: int | None) -> None:
    sys.path.insert(0, str(ROOT))
    from sapchaos.logs import configure_logging
    from scenarios.proxy.loops import loop_factory
    from scenarios.proxy.server import EmbeddedToxiproxy
    from scenarios.proxy.splice import SPLICE_AFTER

    configure_logging("WARNING")

    async def main() -> None:
        after = SPLICE_AFTER if splice_after is None else splice_after
        async with EmbeddedToxiproxy("127.0.0.1", api_port, splice_after=after):
            await asyncio.Event().wait()

    with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
        runner.run(main())


def create_proxy(api_port: int, name: str, upstream_port: int) -> int:
    body = json.dumps(
        {"name": name, "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{upstream_port}"}
    ).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{api_port}/proxies", data=body)
    with urllib.request.urlopen(req) as resp:
        return int(json.loads(resp.read())["listen"].rsplit(":", 1)[1])


@dataclass
class Variant:
    """One way to reach the upstream: directly, or through a proxy process."""

    name: str
    http_port: int
    bulk_port: int
    pid: int | None = None
    stop: Callable[[], None] = lambda: None
    results: dict[str, list[float]] = field(default_factory=dict)

    def add(self, key: str, value: float) -> None:
        self.results.setdefault(key, []).append(value)


def start_embedded(variant: str, http_port: int, bulk_port: int) -> Variant:
    """``asyncio``/``uvloop``; with ``-copy`` the proxy never splices (user-space copies)."""
    loop, _, mode = variant.partition("-")
    api_port = free_port()
    proc = multiprocessing.get_context("spawn").Process(
        target=run_embedded, args=(api_port, loop, 0 if mode == "copy" else None), daemon=True
    )
    proc.start()
    wait_port(api_port)

    def stop() -> None:
        proc.terminate()
        proc.join(5)

    return Variant(
        f"proxy-{variant}",
        create_proxy(api_port, "http", http_port),
        create_proxy(api_port, "bulk", bulk_port),
        proc.pid,
        stop,
    )


def start_toxiproxy(binary: str, http_port: int, bulk_port: int) -> Variant:
    api_port = free_port()
    proc = subprocess.Popen(
        [binary, "-host", "127.0.0.1", "-port", str(api_port)],
        env={**os.environ, "LOG_LEVEL": "error"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(api_port)

    def stop() -> None:
        proc.terminate()
        proc.wait(5)

    return Variant(
        "toxiproxy",
        create_proxy(api_port, "http", http_port),
        create_proxy(api_port, "bulk", bulk_port),
        proc.pid,
        stop,
    )


# --- load ------------------------------------------------------------------------------------
def wrk(port: int, path: str, seconds: float, connections: int, close: bool) -> float:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    if close:
        cmd += ["-H", "Connection: close"]
    out = subprocess.run(
        [*cmd, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(out)
    return float(match.group(1))


def py_http(port: int, path: str, seconds: float, connections: int, close: bool) -> float:
    """Fallback load client (no wrk): asyncio streams, one process."""
    request = f"GET {path} HTTP/1.1\r\nHost: b\r\n".encode()
    request += b"Connection: close\r\n\r\n" if close else b"\r\n"

    async def user(deadline: float) -> int:
        done = 0
        reader = writer = None
        while time.monotonic() < deadline:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert reader is not None
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            done += 1
            if close:
                writer.close()
                writer = None
        if writer is not None:
            writer.close()
        return done

    async def main() -> int:
        deadline = time.monotonic() + seconds
        return sum(await asyncio.gather(*(user(deadline) for _ in range(connections))))

    return asyncio.run(main()) / seconds


def bulk(port: int, streams: int, seconds: float) -> float:
    """MB/s received over ``streams`` parallel connections for ``seconds``."""
    totals = [0] * streams

    def one(i: int) -> None:
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"G")
            buf = bytearray(1 << 20)
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                n = s.recv_into(buf)
                if not n:
                    break
                totals[i] += n

    threads = [threading.Thread(target=one, args=(i,)) for i in range(streams)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(totals) / seconds / 1e6


def latency(port: int, rate: float, seconds: float, path: str = "/") -> tuple[float, float]:
    """p50 and p99 round trip (ms) of small requests sent at ``rate`` per second over
    one keep-alive connection (an open-loop schedule: a late request is not skipped)."""
    request = f"GET {path} HTTP/1.1\r\nHost: b\r\n\r\n".encode()
    expected = len(RawHttp.SMALL)
    samples: list[float] = []
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        interval = 1.0 / rate
        start = time.perf_counter()
        n = 0
        while (now := time.perf_counter()) - start < seconds:
            due = start + n * interval
            if due > now:
                time.sleep(due - now)  # no spinning: a real client sleeps between requests
                continue
            sent = time.perf_counter()
            s.sendall(request)
            got = 0
            while got < expected:
                chunk = s.recv(65536)
                if not chunk:
                    raise RuntimeError("closed")
                got += len(chunk)
            samples.append(time.perf_counter() - sent)
            n += 1
    samples.sort()
    return samples[len(samples) // 2] * 1e3, samples[int(len(samples) * 0.99)] * 1e3


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- main ------------------------------------------------------------------------------------
ROWS = (
    ("ka_small", "keep-alive 1 KB", "req/s"),
    ("ka_big", "keep-alive 64 KB", "req/s"),
    ("short", "short connections", "req/s"),
    ("bulk1", "bulk, 1 stream", "MB/s"),
    ("bulk4", "bulk, 4 streams", "MB/s"),
    ("p50", "latency p50 @rate", "ms"),
    ("p99", "latency p99 @rate", "ms"),
    ("p50s", "p50, 2-write reply", "ms"),
    ("p99s", "p99, 2-write reply", "ms"),
    ("cpu_us", "CPU / request (1)", "us"),
    ("cpu_mb", "proxy CPU / MB bulk", "us"),
)


def children_cpu() -> float:
    """CPU seconds of the load client: finished children (wrk) plus this process (the
    python client runs in it)."""
    total = 0.0
    for who in (resource.RUSAGE_CHILDREN, resource.RUSAGE_SELF):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def self_cpu() -> float:
    """CPU seconds of this process (the bulk receiver threads run in it)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_round(
    v: Variant,
    args: argparse.Namespace,
    http: Callable[..., float],
    upstream_pid: int | None,
) -> None:
    c = args.connections
    before, up_before, client_before = cpu_seconds(v.pid), cpu_seconds(upstream_pid), children_cpu()
    rps = http(v.http_port, "/", args.seconds, c, False)
    requests = rps * max(1, round(args.seconds))
    if v.pid is not None:
        v.add("cpu_us", (cpu_seconds(v.pid) - before) / requests * 1e6)
    else:  # what one request costs the rest of the machine: load client + upstream
        v.add("cpu_us", (children_cpu() - client_before) / requests * 1e6)
        v.add("up_us", (cpu_seconds(upstream_pid) - up_before) / requests * 1e6)
    v.add("ka_small", rps)
    v.add("ka_big", http(v.http_port, "/big", args.seconds, c, False))
    v.add("short", http(v.http_port, "/", args.seconds, c, True))
    before, up_before, client_before = cpu_seconds(v.pid), cpu_seconds(upstream_pid), self_cpu()
    mbps = bulk(v.bulk_port, 1, args.seconds)
    megabytes = mbps * args.seconds
    if v.pid is not None:
        v.add("cpu_mb", (cpu_seconds(v.pid) - before) / megabytes * 1e6)
    else:  # what one MB costs the sender (upstream) and the receiver (this process)
        rest = cpu_seconds(upstream_pid) - up_before + self_cpu() - client_before
        v.add("rest_mb", rest / megabytes * 1e6)
    v.add("bulk1", mbps)
    v.add("bulk4", bulk(v.bulk_port, 4, args.seconds))
    p50, p99 = latency(v.http_port, args.rate, args.latency_seconds)
    v.add("p50", p50)
    v.add("p99", p99)
    p50, p99 = latency(v.http_port, args.rate, args.latency_seconds, "/split")
    v.add("p50s", p50)
    v.add("p99s", p99)


def report(variants: list[Variant]) -> None:
    direct = variants[0]
    names = [v.name for v in variants]
    print(f"\n{'workload':<24}" + "".join(f"{n:>22}" for n in names))
    for key, label, unit in ROWS:
        cells = []
        for v in variants:
            values = v.results.get(key)
            if not values:
                cells.append(f"{'-':>22}")
                continue
            med = statistics.median(values)
            text = f"{med:,.3f}" if unit == "ms" else f"{med:,.0f}"
            base = direct.results.get(key)
            if v is not direct and base and not key.startswith("cpu"):
                if key.startswith(("p50", "p99")):
                    added = med - statistics.median(base)
                    text += f" (+{added:.3f})"
                else:
                    ratios = [p / d for d, p in zip(base, values, strict=False)]
                    text += f" ({statistics.median(ratios):.2f}x)"
            cells.append(f"{text + ' ' + unit:>22}")
        print(f"{label:<24}" + "".join(cells))
    print(
        "\nratios: median of per-round ratios to direct (rounds alternate the variants);"
        " latency: (+ms added over direct)\n(1) keep-alive 1 KB, user+system: the proxy"
        " process's; for direct, the load client's. 2-write reply: the upstream sends"
        " head and body in two writes (Nagle's algorithm on a proxy socket delays the 2nd)"
    )
    if direct.results.get("up_us") and direct.results.get("cpu_us"):
        rest = statistics.median(direct.results["cpu_us"]) + statistics.median(
            direct.results["up_us"]
        )
        print(
            f"\nkeep-alive 1 KB, direct: load client + upstream use {rest:.0f} us of CPU per"
            " request. With every core busy, a proxy that uses P us per request can reach"
            f" at most {rest:.0f}/({rest:.0f}+P) of direct:"
        )
        for v in variants[1:]:
            if v.results.get("cpu_us"):
                p = statistics.median(v.results["cpu_us"])
                print(f"  {v.name}: P = {p:.0f} us -> ceiling {rest / (rest + p):.2f}x")
    if direct.results.get("rest_mb"):
        rest = statistics.median(direct.results["rest_mb"])
        print(
            f"bulk, 1 stream, direct: sender + receiver use {rest:.0f} us of CPU per MB; a"
            " proxy using P us per MB can reach at most rest/(rest+P) with every core busy:"
        )
        for v in variants[1:]:
            if v.results.get("cpu_mb"):
                p = statistics.median(v.results["cpu_mb"])
                print(f"  {v.name}: P = {p:.0f} us -> ceiling {rest / (rest + p):.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.0, help="per throughput test")
    parser.add_argument("--latency-seconds", type=float, default=1.2)
    parser.add_argument("--rate", type=float, default=1900.0, help="latency test, req/s")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--variants", default="direct,asyncio,uvloop")
    parser.add_argument("--toxiproxy-bin", default=None, help="a toxiproxy-server binary")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args()
    if args.toxiproxy_bin and not shutil.which(args.toxiproxy_bin):
        parser.error(f"--toxiproxy-bin: {args.toxiproxy_bin} is not an executable")
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    http = wrk if use_wrk else py_http

    http_port, bulk_port = free_port(), free_port()
    ctx = multiprocessing.get_context("spawn")
    upstream = ctx.Process(target=run_upstream, args=(http_port, bulk_port), daemon=True)
    upstream.start()
    variants: list[Variant] = []
    started = time.monotonic()
    try:
        wait_port(http_port)
        wait_port(bulk_port)
        for name in args.variants.split(","):
            if name == "direct":
                variants.append(Variant("direct", http_port, bulk_port))
            else:
                variants.append(start_embedded(name, http_port, bulk_port))
        if args.toxiproxy_bin:
            variants.append(start_toxiproxy(args.toxiproxy_bin, http_port, bulk_port))
        for v in variants:  # warm-up: connections, caches
            http(v.http_port, "/", 1, 8, False)
        load_before = os.getloadavg()[0]
        for n in range(args.rounds):
            order = variants if n % 2 == 0 else [variants[0], *reversed(variants[1:])]
            for v in order:
                run_round(v, args, http, upstream.pid)
            print(f"round {n + 1}/{args.rounds} done ({time.monotonic() - started:.0f} s)")
        print(
            f"\n{os.cpu_count()} CPUs, load average {load_before:.1f} -> "
            f"{os.getloadavg()[0]:.1f} (other processes share the machine: figures are"
            f" noisy, compare ratios); client {'wrk' if use_wrk else 'python'}, "
            f"{args.connections} connections, {args.seconds:g} s per test, latency at "
            f"{args.rate:g} req/s, {args.rounds} rounds, no toxics"
        )
        report(variants)
    finally:
        for v in variants:
            v.stop()
        upstream.terminate()
        upstream.join(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
