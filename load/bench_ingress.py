"""Benchmark: the bridge's webhook ingress against a bare aiohttp handler and a naive durable one.

WooCommerce posts every ``order.created`` to the bridge and waits for a 2xx that promises
the order is durable. This script measures how many such deliveries per second each of
three receivers acknowledges, each in its own process, under the same keep-alive load:

* ``bare``   — an aiohttp ``POST /webhooks/woocommerce`` that reads the body and answers 200;
* ``naive``  — verifies the HMAC, then one SQLite ``INSERT`` + ``COMMIT`` per request
  (aiosqlite, WAL, ``synchronous=NORMAL``): the "naive durable ingress" reference;
* ``bridge`` — ``sapchaos bridge serve --roles ingress`` on a fresh store (group commit).

The load is realistic: seeded WooCommerce orders (3–5 KB, ``fakeshop.generator``), every
``X-WC-Webhook-*`` header, a correct signature, each order delivered 1–3 times. The load
client (``wrk`` with a Lua script, or aiohttp client processes) runs in separate processes.
After each run the receiver is killed with SIGKILL and its store is opened again: every
order that got a 200 must be there. Prints figures and ratios; never asserts.

    .venv/bin/python load/bench_ingress.py [--seconds 5] [--concurrency 64]
        [--store sqlite|postgres] [--repeats 3] [--client auto|wrk|aiohttp] [--seed 7]
        [--sync NORMAL|FULL] [--naive shared|strict] [--bridge-set NAME=VALUE] …

See docs/benchmarks-ingress.md for how to read the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import multiprocessing
import os
import random
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: import the project packages
    sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402

SECRET = "bench-ingress-secret"
PATH = "/webhooks/woocommerce"
WEBHOOK_ID = 7
DELIVERY_SALT = "bench-site-salt"
SOURCE = "https://shop.example.test/"
USER_AGENT = "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)"
PG_BASE = os.environ.get("SAPCHAOS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
#: ids of the warm-up orders; the measured corpus starts above them
WARMUP_ORDERS = 400
FIRST_ORDER_ID = 100_001
CORPUS_VERSION = 1
TARGETS = ("bare", "naive", "bridge")


# --------------------------------------------------------------------------------------
# the corpus: signed WooCommerce order.created deliveries, written once per seed
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Delivery:
    """One POST as WooCommerce's ``WC_Webhook::deliver`` sends it (body = PHP json_encode)."""

    order_id: int
    signature: str
    delivery_id: str
    body: bytes

    def line(self) -> bytes:
        return f"{self.order_id}\t{self.signature}\t{self.delivery_id}\t".encode() + self.body


def sign(secret: str, body: bytes) -> str:
    """``X-WC-Webhook-Signature``: base64 of the raw HMAC-SHA256 digest of the body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def make_deliveries(rng: random.Random, first_id: int, orders: int) -> list[Delivery]:
    """Distinct orders, each delivered 1–3 times; extra copies trail within ~300 orders
    (as WooCommerce retries and duplicate deliveries do)."""
    from fakeshop.generator import OrderGenerator
    from fakeshop.webhooks.delivery_id import delivery_id
    from fakeshop.webhooks.payload import php_json
    from sapchaos.catalog import load_catalog

    gen = OrderGenerator(load_catalog(), random.Random(rng.randrange(2**32)))
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    keyed: list[tuple[float, int, bytes, str]] = []
    for j in range(orders):
        order = gen.new_order(first_id + j, start + timedelta(milliseconds=250 * j))
        body = php_json(order)
        sig = sign(SECRET, body)
        copies = rng.choice((1, 2, 3))
        keyed.append((float(j), first_id + j, body, sig))
        keyed.extend(
            (j + rng.uniform(0.5, 300.0), first_id + j, body, sig) for _ in range(copies - 1)
        )
    keyed.sort(key=lambda k: k[0])
    epoch = start.timestamp()
    return [
        Delivery(oid, sig, delivery_id(WEBHOOK_ID, epoch + i / 500, DELIVERY_SALT), body)
        for i, (_, oid, body, sig) in enumerate(keyed)
    ]


@dataclass(frozen=True)
class Corpus:
    """Request files, one per client thread/process (round-robin split of one stream)."""

    root: Path
    parts: int
    orders: int
    requests: int
    mean_body: int

    def part(self, kind: str, i: int) -> Path:
        return self.root / f"{kind}-{i}.tsv"


def build_corpus(seed: int, orders: int, parts: int) -> Corpus:
    """Write (or reuse, keyed by seed/size) the measured and warm-up request files."""
    root = Path(tempfile.gettempdir()) / (
        f"sapchaos-bench-ingress-v{CORPUS_VERSION}-s{seed}-n{orders}-p{parts}"
    )
    meta_path = root / "meta.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("secret") == SECRET:
            return Corpus(root, parts, meta["orders"], meta["requests"], meta["mean_body"])
    tmp = Path(tempfile.mkdtemp(prefix="sapchaos-bench-corpus-"))
    rng = random.Random(seed)
    main = make_deliveries(rng, FIRST_ORDER_ID, orders)
    warm = make_deliveries(rng, 1, WARMUP_ORDERS)
    for kind, items in (("main", main), ("warm", warm)):
        files = [(tmp / f"{kind}-{i}.tsv").open("wb") for i in range(1, parts + 1)]
        try:
            for n, d in enumerate(items):
                files[n % parts].write(d.line() + b"\n")
        finally:
            for f in files:
                f.close()
    mean_body = int(statistics.mean(len(d.body) for d in main))
    meta = {"secret": SECRET, "orders": orders, "requests": len(main), "mean_body": mean_body}
    (tmp / "meta.json").write_text(json.dumps(meta))
    shutil.rmtree(root, ignore_errors=True)
    try:
        tmp.rename(root)
    except OSError:  # another run won the race: use its copy
        shutil.rmtree(tmp, ignore_errors=True)
    return Corpus(root, parts, orders, len(main), mean_body)


# --------------------------------------------------------------------------------------
# the two reference receivers (each runs in its own process: ``--serve bare|naive``)
# --------------------------------------------------------------------------------------
def bare_app() -> web.Application:
    """The floor: read the body, answer 200. No verification, no storage."""

    async def webhook(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=200)

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post(PATH, webhook)
    app.router.add_get("/healthz", healthz)
    return app


def naive_app(
    db_path: str, secret: str, synchronous: str = "NORMAL", strict: bool = False
) -> web.Application:
    """The naive durable receiver: HMAC check, then one INSERT + COMMIT per request on one
    shared aiosqlite connection (WAL, synchronous=NORMAL by default), then 200.

    On a shared connection, INSERTs of concurrent requests queue up before the first
    COMMIT, which then commits them all (accidental batching). ``strict`` holds a lock
    around INSERT + COMMIT: one transaction (and with synchronous=FULL one fsync) each."""
    import aiosqlite

    db_key: web.AppKey[aiosqlite.Connection] = web.AppKey("db", aiosqlite.Connection)
    key = secret.encode()
    lock = asyncio.Lock() if strict else contextlib.nullcontext()

    async def open_db(app: web.Application) -> None:
        db = await aiosqlite.connect(db_path)
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute(f"PRAGMA synchronous={synchronous}")
        await db.execute(
            "CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL,"
            " delivery_id TEXT, body TEXT NOT NULL, received_at REAL NOT NULL)"
        )
        await db.commit()
        app[db_key] = db

    async def close_db(app: web.Application) -> None:
        await app[db_key].close()

    async def webhook(request: web.Request) -> web.Response:
        body = await request.read()
        given = request.headers.get("X-WC-Webhook-Signature", "").encode()
        expected = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest())
        if not hmac.compare_digest(expected, given):
            return web.json_response({"code": "invalid_signature"}, status=401)
        try:
            order_id = int(json.loads(body)["id"])
        except (ValueError, KeyError, TypeError):
            return web.json_response({"code": "invalid_payload"}, status=400)
        db = request.app[db_key]
        async with lock:
            await db.execute(
                "INSERT INTO inbox (order_id, delivery_id, body, received_at) VALUES (?, ?, ?, ?)",
                (
                    order_id,
                    request.headers.get("X-WC-Webhook-Delivery-ID"),
                    body.decode(),
                    time.time(),
                ),
            )
            await db.commit()
        return web.json_response({"status": "accepted", "order_id": order_id})

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.on_startup.append(open_db)
    app.on_cleanup.append(close_db)
    app.router.add_post(PATH, webhook)
    app.router.add_get("/healthz", healthz)
    return app


def serve(target: str, port: int, db_path: str, synchronous: str, naive: str) -> int:
    if target == "bare":
        app = bare_app()
    else:
        app = naive_app(db_path, SECRET, synchronous, strict=naive == "strict")
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)
    return 0


# --------------------------------------------------------------------------------------
# starting, timing and killing a receiver process
# --------------------------------------------------------------------------------------
@dataclass
class Server:
    """One receiver process and what it needs to be checked afterwards."""

    target: str
    proc: subprocess.Popen[bytes]
    url: str
    store: str  # bridge DSN, naive SQLite path, or "" (bare)
    schema: str | None = None
    log: Path | None = None

    def cpu_seconds(self) -> float:
        """user+system CPU time of the process so far (from /proc)."""
        return _stat_cpu(f"/proc/{self.proc.pid}/stat")

    def loop_cpu_seconds(self) -> float:
        """The same for the main thread alone (the event loop: HTTP, handlers, hand-offs);
        the rest is the process's other threads (e.g. the SQLite writer)."""
        return _stat_cpu(f"/proc/{self.proc.pid}/task/{self.proc.pid}/stat")

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, so only what was committed survives."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def free_port() -> int:
    from sapchaos.net import free_port as _free_port

    return _free_port()


def start_server(
    target: str,
    workdir: Path,
    store_kind: str,
    bridge_env: dict[str, str] | None = None,
    sync: str = "NORMAL",
    naive: str = "shared",
) -> Server:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / f"{target}.log"
    schema: str | None = None
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if target == "bridge":
        if store_kind == "postgres":
            schema = f"bench_ingress_{os.getpid()}_{uuid.uuid4().hex[:10]}"
            store = f"{PG_BASE}?schema={schema}"
        else:
            store = f"sqlite:///{workdir / 'bridge.db'}?synchronous={sync}"
        env.update(bridge_env or {})
        env["SAPCHAOS_BRIDGE_WEBHOOK_SECRETS"] = SECRET
        cmd = [
            sys.executable, "-m", "sapchaos.cli", "--log-level", "WARNING",
            "bridge", "serve", "--roles", "ingress", "--store", store,
            "--host", "127.0.0.1", "--port", str(port),
        ]  # fmt: skip
    else:
        store = str(workdir / "naive.db") if target == "naive" else ""
        cmd = [sys.executable, str(Path(__file__).resolve()), "--serve", target]
        cmd += ["--port", str(port), "--db", store or "-", "--sync", sync, "--naive", naive]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    server = Server(target, proc, url, store, schema, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{target} exited with {proc.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/healthz", timeout=1) as r:
            if r.status == 200:
                return server
        time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"{target} did not answer /healthz within 30 s")


# --------------------------------------------------------------------------------------
# load clients
# --------------------------------------------------------------------------------------
@dataclass
class Load:
    """What one client run saw."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non200: int
    errors: int  # socket errors and timeouts
    statuses: dict[str, int]  # non-200 status → count
    kinds: dict[str, int]  # the receiver's "status" field: accepted, duplicate, …
    acked: set[int]
    wrapped: int  # times a client reached the end of the corpus and started over
    client_cpu_s: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


WRK_LUA = r"""
-- WooCommerce order.created deliveries read from a per-thread file of
-- "order_id<TAB>signature<TAB>delivery_id<TAB>body" lines; acked order ids are written
-- to a per-thread file.
local counter = 1
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  src = assert(io.open(args[1] .. "-" .. tid .. ".tsv", "rb"))
  acks = assert(io.open(args[2] .. "-" .. tid .. ".txt", "wb"))
  acks:setvbuf("full")
  non200, wraps = 0, 0
  kind_n = {}
  status_n = {}
  hdrs = {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "USER_AGENT",
    ["X-WC-Webhook-Source"] = "SOURCE",
    ["X-WC-Webhook-Topic"] = "order.created",
    ["X-WC-Webhook-Resource"] = "order",
    ["X-WC-Webhook-Event"] = "created",
    ["X-WC-Webhook-ID"] = "WEBHOOK_ID",
  }
end

function request()
  local line = src:read("*l")
  if line == nil then
    src:seek("set", 0)
    wraps = wraps + 1
    line = src:read("*l")
  end
  local a = line:find("\t", 1, true)
  local b = line:find("\t", a + 1, true)
  local c = line:find("\t", b + 1, true)
  hdrs["X-WC-Webhook-Signature"] = line:sub(a + 1, b - 1)
  hdrs["X-WC-Webhook-Delivery-ID"] = line:sub(b + 1, c - 1)
  return wrk.format("POST", nil, hdrs, line:sub(c + 1))
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    status_n[status] = (status_n[status] or 0) + 1
    return
  end
  local kind = body:match('"status":%s*"(%a+)"')
  if kind then kind_n[kind] = (kind_n[kind] or 0) + 1 end
  local id = body:match('"order_id":%s*(%d+)')
  if id then acks:write(id, "\n") end
end

function done(summary, latency, requests)
  local non, wr, st, kd = 0, 0, {}, {}
  for _, t in ipairs(threads) do
    non = non + t:get("non200")
    wr = wr + t:get("wraps")
    local k = t:get("kind_n")
    if k then for name, n in pairs(k) do kd[#kd + 1] = '"' .. name .. '":' .. n end end
    local sn = t:get("status_n")
    if sn then for code, n in pairs(sn) do st[#st + 1] = code .. "=" .. n end end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"errors":%d,"non200":%d,"wraps":%d,"statuses":"%s","kinds":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, non, wr, table.concat(st, ","),
    table.concat(kd, ",")))
end
"""


def wrk_script(root: Path) -> Path:
    path = root / "deliveries.lua"
    text = (
        WRK_LUA.replace("USER_AGENT", USER_AGENT)
        .replace('"SOURCE"', json.dumps(SOURCE))
        .replace("WEBHOOK_ID", str(WEBHOOK_ID))
    )
    path.write_text(text)
    return path


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _read_acks(prefix: Path, parts: int) -> set[int]:
    acked: set[int] = set()
    for i in range(1, parts + 1):
        p = Path(f"{prefix}-{i}.txt")
        if p.exists():
            acked.update(int(x) for x in p.read_text().split())
    return acked


def run_wrk(
    url: str, corpus: Corpus, kind: str, seconds: float, concurrency: int, workdir: Path
) -> Load:
    ack_prefix = workdir / f"acked-{kind}-{uuid.uuid4().hex[:6]}"
    cmd = [
        "wrk", "-t", str(corpus.parts), "-c", str(concurrency), "-d", f"{max(1, round(seconds))}s",
        "--timeout", "10s", "-s", str(wrk_script(workdir)), url + PATH,
        "--", str(corpus.root / kind), str(ack_prefix),
    ]  # fmt: skip
    cpu0 = _children_cpu()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    cpu = _children_cpu() - cpu0
    line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stdout}\n{proc.stderr}")
    r = json.loads(line.split(" ", 1)[1])
    statuses: dict[str, int] = {}
    for item in filter(None, r["statuses"].split(",")):
        code, n = item.split("=")
        statuses[code] = statuses.get(code, 0) + int(n)
    return Load(
        requests=r["requests"],
        seconds=r["duration_us"] / 1e6,
        p50_ms=r["p50_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        non200=r["non200"],
        errors=r["errors"],
        statuses=statuses,
        kinds=dict(r["kinds"]),
        acked=_read_acks(ack_prefix, corpus.parts),
        wrapped=r["wraps"],
        client_cpu_s=cpu,
    )


def _iter_part(path: Path) -> Iterator[tuple[str, str, bytes]]:
    """Lines of one corpus part forever (wrapping), as (signature, delivery id, body)."""
    while True:
        with path.open("rb") as f:
            for raw in f:
                _oid, sig, did, body = raw.rstrip(b"\n").split(b"\t", 3)
                yield sig.decode(), did.decode(), body
        yield "", "", b""  # wrap marker


async def _aiohttp_client(
    url: str, part: Path, seconds: float, concurrency: int, out: dict[str, Any]
) -> None:
    import aiohttp

    lines = _iter_part(part)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    kinds: dict[str, int] = {}
    acked: list[int] = []
    counters = {"errors": 0, "wraps": 0}
    base = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-WC-Webhook-Source": SOURCE,
        "X-WC-Webhook-Topic": "order.created",
        "X-WC-Webhook-Resource": "order",
        "X-WC-Webhook-Event": "created",
        "X-WC-Webhook-ID": str(WEBHOOK_ID),
    }
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        started = time.perf_counter()
        stop_at = started + seconds

        async def loop() -> None:
            while time.perf_counter() < stop_at:
                sig, did, body = next(lines)
                if not body:
                    counters["wraps"] += 1
                    sig, did, body = next(lines)
                headers = base | {"X-WC-Webhook-Signature": sig, "X-WC-Webhook-Delivery-ID": did}
                t0 = time.perf_counter()
                try:
                    async with http.post(url + PATH, data=body, headers=headers) as r:
                        text = await r.read()
                        status = r.status
                except (aiohttp.ClientError, TimeoutError):
                    counters["errors"] += 1
                    continue
                latencies.append(time.perf_counter() - t0)
                if status != 200:
                    statuses[str(status)] = statuses.get(str(status), 0) + 1
                    continue
                if text:
                    with contextlib.suppress(ValueError):
                        doc = json.loads(text)
                        kinds[doc["status"]] = kinds.get(doc["status"], 0) + 1
                        if "order_id" in doc:
                            acked.append(int(doc["order_id"]))

        await asyncio.gather(*(loop() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    out.update(
        requests=len(latencies),
        seconds=elapsed,
        latencies=latencies,
        statuses=statuses,
        kinds=kinds,
        acked=acked,
        **counters,
    )


def _aiohttp_worker(url: str, part: str, seconds: float, concurrency: int, conn: Any) -> None:
    out: dict[str, Any] = {}
    asyncio.run(_aiohttp_client(url, Path(part), seconds, concurrency, out))
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu"] = ru.ru_utime + ru.ru_stime
    conn.send(out)
    conn.close()


def run_aiohttp(url: str, corpus: Corpus, kind: str, seconds: float, concurrency: int) -> Load:
    """``corpus.parts`` client processes, each one ClientSession (keep-alive) with
    ``concurrency / parts`` loops."""
    ctx = multiprocessing.get_context("spawn")
    per = max(1, concurrency // corpus.parts)
    pipes = []
    procs = []
    for i in range(1, corpus.parts + 1):
        recv, send = ctx.Pipe(duplex=False)
        p = ctx.Process(
            target=_aiohttp_worker, args=(url, str(corpus.part(kind, i)), seconds, per, send)
        )
        p.start()
        procs.append(p)
        pipes.append(recv)
    outs = [r.recv() for r in pipes]
    for p in procs:
        p.join()
    latencies = sorted(x for o in outs for x in o["latencies"])
    statuses: dict[str, int] = {}
    kinds: dict[str, int] = {}
    for o in outs:
        for k, v in o["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
        for k, v in o["kinds"].items():
            kinds[k] = kinds.get(k, 0) + v
    return Load(
        requests=len(latencies),
        seconds=max(o["seconds"] for o in outs),
        p50_ms=_pct(latencies, 50) * 1000,
        p99_ms=_pct(latencies, 99) * 1000,
        non200=sum(statuses.values()),
        errors=sum(o["errors"] for o in outs),
        statuses=statuses,
        kinds=kinds,
        acked={a for o in outs for a in o["acked"]},
        wrapped=sum(o["wraps"] for o in outs),
        client_cpu_s=sum(o["cpu"] for o in outs),
    )


def _pct(sorted_values: Sequence[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


# --------------------------------------------------------------------------------------
# durability check: after SIGKILL, every acknowledged order must be in the store
# --------------------------------------------------------------------------------------
@dataclass
class Durability:
    checked: int
    missing: int
    detail: str


async def _check_bridge(dsn: str, acked: set[int]) -> Durability:
    from bridge.store import open_store

    store = await open_store(dsn)
    try:
        jobs = await store.list_jobs(None, limit=10_000_000)
        with_job = {j.order_id for j in jobs}
        missing = acked - with_job
        sample = random.Random(len(acked)).sample(sorted(acked), min(50, len(acked)))
        for oid in sample:
            snap = await store.get_snapshot(oid)
            if snap is None or int(snap.payload.get("id", -1)) != oid:
                missing.add(oid)
        counts = await store.counts()
    finally:
        await store.close()
    detail = (
        f"inbox {counts['inbox']} (+{counts['duplicates']} duplicate copies), "
        f"snapshots {counts['snapshots']}, jobs {sum(counts['jobs'].values())}, "
        f"quarantine {counts['quarantine']}"
    )
    return Durability(len(acked), len(missing), detail)


def _check_naive(path: str, acked: set[int]) -> Durability:
    with contextlib.closing(sqlite3.connect(path)) as db:
        stored = {r[0] for r in db.execute("SELECT DISTINCT order_id FROM inbox")}
        rows = db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0]
    return Durability(len(acked), len(acked - stored), f"inbox rows {rows}, orders {len(stored)}")


async def _drop_schema(schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_BASE)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


# --------------------------------------------------------------------------------------
# the benchmark
def _stat_cpu(path: str) -> float:
    """utime+stime (seconds) from a /proc ``stat`` file; 0 when it is gone."""
    try:
        fields = Path(path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------------------
@dataclass
class Run:
    load: Load
    server_cpu_s: float
    durability: Durability | None = None
    #: of ``server_cpu_s``, the main thread's (the event loop)
    loop_cpu_s: float = 0.0

    @property
    def cpu_us_per_request(self) -> float:
        """Server CPU per answered request: steadier than req/s on a busy machine."""
        return self.server_cpu_s / self.load.requests * 1e6 if self.load.requests else 0.0

    @property
    def loop_us_per_request(self) -> float:
        """The event loop thread's share of ``cpu_us_per_request``."""
        return self.loop_cpu_s / self.load.requests * 1e6 if self.load.requests else 0.0


@dataclass
class Options:
    seconds: float
    warmup: float
    concurrency: int
    repeats: int
    store: str
    client: str
    parts: int
    targets: tuple[str, ...]
    keep: bool = False
    sync: str = "NORMAL"
    naive: str = "shared"
    bridge_env: dict[str, str] = field(default_factory=dict)
    runs: dict[str, list[Run]] = field(default_factory=dict)


def measure(target: str, corpus: Corpus, opts: Options) -> Run:
    workdir = Path(tempfile.mkdtemp(prefix=f"sapchaos-bench-{target}-"))
    server = start_server(target, workdir, opts.store, opts.bridge_env, opts.sync, opts.naive)
    try:
        drive = (
            (lambda kind, s: run_wrk(server.url, corpus, kind, s, opts.concurrency, workdir))
            if opts.client == "wrk"
            else (lambda kind, s: run_aiohttp(server.url, corpus, kind, s, opts.concurrency))
        )
        warm = drive("warm", opts.warmup) if opts.warmup > 0 else None
        cpu0, loop0 = server.cpu_seconds(), server.loop_cpu_seconds()
        load = drive("main", opts.seconds)
        cpu, loop_cpu = server.cpu_seconds() - cpu0, server.loop_cpu_seconds() - loop0
        server.kill()
        if warm is not None:
            load.acked |= warm.acked  # warm-up acks must be durable too
        durability: Durability | None = None
        if target == "bridge":
            durability = asyncio.run(_check_bridge(server.store, load.acked))
        elif target == "naive":
            durability = _check_naive(server.store, load.acked)
        return Run(load, cpu, durability, loop_cpu)
    finally:
        server.kill()
        if server.schema:
            asyncio.run(_drop_schema(server.schema))
        if opts.keep:
            print(f"    (kept {workdir})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def fmt_run(target: str, i: int, run: Run) -> str:
    ld = run.load
    busy = run.server_cpu_s / ld.seconds * 100 if ld.seconds else 0.0
    client = ld.client_cpu_s / ld.seconds * 100 if ld.seconds else 0.0
    text = (
        f"  {target:<6} #{i}: {ld.rps:8.0f} req/s  p50 {ld.p50_ms:6.1f} ms  "
        f"p99 {ld.p99_ms:6.1f} ms  non-200 {ld.non200}  errors {ld.errors}  "
        f"server CPU {busy:3.0f}% ({run.cpu_us_per_request:4.0f} µs/req, "
        f"loop {run.loop_us_per_request:4.0f})  client CPU {client:3.0f}%"
    )
    if ld.statuses:
        text += f"  statuses {ld.statuses}"
    if ld.kinds:
        text += "  " + " ".join(f"{k} {v}" for k, v in sorted(ld.kinds.items()))
    if ld.wrapped and target != "bare":
        text += f"  [corpus wrapped {ld.wrapped}x: later copies were duplicates]"
    if run.durability is not None:
        d = run.durability
        verdict = "all durable" if d.missing == 0 else f"MISSING {d.missing}"
        text += f"\n           after SIGKILL: {d.checked} acked orders, {verdict}; {d.detail}"
    return text


def print_ratios(runs: dict[str, list[Run]]) -> None:
    """Throughput ratios three ways: of the medians; the median of the per-round ratios
    (targets of one round ran back to back, under about the same machine load); and the
    inverse ratio of server CPU per request (what the ratio would be with a core each)."""
    pairs = [(a, b) for a, b in (("bridge", "bare"), ("naive", "bare"), ("bridge", "naive"))]
    print("ratios (throughput; >1 = faster)   of medians   per-round median   CPU-cost based")
    for a, b in pairs:
        if a not in runs or b not in runs:
            continue
        ra, rb = runs[a], runs[b]
        med_a = statistics.median(r.load.rps for r in ra)
        med_b = statistics.median(r.load.rps for r in rb)
        rounds = [x.load.rps / y.load.rps for x, y in zip(ra, rb, strict=False) if y.load.rps]
        cost_a = statistics.median(r.cpu_us_per_request for r in ra)
        cost_b = statistics.median(r.cpu_us_per_request for r in rb)
        of_medians = med_a / med_b if med_b else 0.0
        per_round = statistics.median(rounds) if rounds else 0.0
        by_cost = cost_b / cost_a if cost_a else 0.0
        print(f"  {a + '/' + b:<13} {of_medians:>25.2f}×  {per_round:>16.2f}×  {by_cost:>14.2f}×")


def bridge_env(settings: Sequence[str]) -> dict[str, str]:
    """``group_commit_max=16`` → ``{"SAPCHAOS_BRIDGE_GROUP_COMMIT_MAX": "16"}``."""
    env: dict[str, str] = {}
    for item in settings:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SystemExit(f"--bridge-set wants NAME=VALUE, got {item!r}")
        env["SAPCHAOS_BRIDGE_" + name.strip().upper()] = value.strip()
    return env


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=int, default=5, help="length of one measurement")
    ap.add_argument("--warmup", type=int, default=1, help="warm-up seconds before each")
    ap.add_argument("--concurrency", type=int, default=64, help="open keep-alive connections")
    ap.add_argument("--repeats", type=int, default=3, help="measurements per target (median)")
    ap.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument(
        "--sync",
        choices=("NORMAL", "FULL"),
        default="NORMAL",
        type=str.upper,
        help="SQLite synchronous level of the naive receiver and the bridge's SQLite store",
    )
    ap.add_argument(
        "--naive",
        choices=("shared", "strict"),
        default="shared",
        help="naive receiver: shared connection (concurrent INSERTs share a COMMIT) or "
        "strict (a lock: one transaction per request)",
    )
    ap.add_argument("--client", choices=("auto", "wrk", "aiohttp"), default="auto")
    ap.add_argument("--client-procs", type=int, default=0, help="wrk threads / aiohttp procs")
    ap.add_argument("--orders", type=int, default=10_000, help="distinct orders in the corpus")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--targets", default=",".join(TARGETS), help="comma list of " + "/".join(TARGETS)
    )
    ap.add_argument("--keep", action="store_true", help="keep the stores and logs")
    ap.add_argument(
        "--bridge-set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="bridge setting for this run, e.g. group_commit_max=16 (repeatable)",
    )
    ap.add_argument("--serve", choices=("bare", "naive"), help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve:
        return serve(args.serve, args.port, args.db, args.sync, args.naive)

    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "aiohttp"
    if client == "wrk" and not shutil.which("wrk"):
        print(
            "wrk is not installed (apt-get install -y wrk); use --client aiohttp", file=sys.stderr
        )
        return 2
    parts = args.client_procs or (1 if client == "wrk" else 2)
    targets = tuple(t.strip() for t in args.targets.split(",") if t.strip())
    opts = Options(
        args.seconds, args.warmup, args.concurrency, args.repeats, args.store, client, parts,
        targets, args.keep, args.sync, args.naive, bridge_env(args.bridge_set),
    )  # fmt: skip
    started = time.monotonic()
    load1, load5, _ = os.getloadavg()
    print(
        f"bench_ingress  seed {args.seed}  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  "
        f"cpus {os.cpu_count()}  load {load1:.2f}/{load5:.2f} (1/5 min)"
    )
    t0 = time.monotonic()
    corpus = build_corpus(args.seed, args.orders, parts)
    print(
        f"corpus: {corpus.orders} distinct order.created deliveries, {corpus.requests} requests "
        f"(1–3 copies each), mean body {corpus.mean_body} B ({time.monotonic() - t0:.1f} s)"
    )
    if opts.bridge_env:
        print(f"bridge settings: {opts.bridge_env}")
    print(
        f"client: {client} ×{parts}, {opts.concurrency} keep-alive connections; "
        f"{opts.repeats} × {opts.seconds:g} s per target after {opts.warmup:g} s warm-up; "
        f"bridge store: {opts.store}; SQLite synchronous={opts.sync}; naive: {opts.naive}"
    )
    # rounds interleave the targets, so a change in the machine's load hits all of them
    for i in range(1, opts.repeats + 1):
        for target in targets:
            run = measure(target, corpus, opts)
            opts.runs.setdefault(target, []).append(run)
            print(fmt_run(target, i, run), flush=True)

    print("\nmedian of", opts.repeats, "runs:")
    medians: dict[str, float] = {}
    for target, runs in opts.runs.items():
        rps = statistics.median(r.load.rps for r in runs)
        medians[target] = rps
        p50 = statistics.median(r.load.p50_ms for r in runs)
        p99 = statistics.median(r.load.p99_ms for r in runs)
        cpu = statistics.median(r.cpu_us_per_request for r in runs)
        loop_cpu = statistics.median(r.loop_us_per_request for r in runs)
        non200 = sum(r.load.non200 for r in runs)
        errors = sum(r.load.errors for r in runs)
        missing = sum(r.durability.missing for r in runs if r.durability is not None)
        durable = (
            ""
            if target == "bare"
            else f"  durability: {'ok' if missing == 0 else f'{missing} LOST'}"
        )
        print(
            f"  {target:<6} {rps:8.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
            f"{cpu:4.0f} µs CPU/req (loop {loop_cpu:4.0f})  non-200 {non200}  errors {errors}{durable}"
        )
    print_ratios(opts.runs)
    load1, load5, _ = os.getloadavg()
    print(
        f"seed {args.seed}; took {time.monotonic() - started:.0f} s; "
        f"load now {load1:.2f}/{load5:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
