"""Benchmark: bridge ingress time-to-acknowledge with and without group commit (SQLite).

Fires N signed WooCommerce webhooks with C concurrent senders at an ingress-only bridge and
prints acks/s and latency percentiles for each mode, then the throughput ratio.

    .venv/bin/python load/bench_bridge_ingress.py [--orders 2000] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from bridge.config import BridgeConfig
from bridge.runtime import BridgeRuntime
from bridge.signature import sign
from sapchaos.logs import configure_logging

SECRET = "bench-secret"


def payload(order_id: int) -> bytes:
    order = {
        "id": order_id,
        "number": str(order_id),
        "status": "processing",
        "total": "24.19",
        "date_created_gmt": "2026-11-23T20:11:00",
        "date_modified_gmt": "2026-11-23T20:11:19",
        "customer_id": 0,
        "line_items": [
            {"id": 1, "sku": "TSH-RED-M", "quantity": 1, "total": "19.99", "tax_class": ""}
        ],
        "shipping_lines": [],
    }
    return json.dumps(order, separators=(",", ":")).encode()


async def run(mode: str, orders: int, concurrency: int, db: Path) -> tuple[float, list[float]]:
    window, max_items = (3.0, 64) if mode == "group" else (0.0, 1)
    cfg = BridgeConfig(
        store_dsn=f"sqlite:///{db}",
        port=0,
        roles=("ingress",),
        webhook_secrets=(SECRET,),
        group_commit_ms=window,
        group_commit_max=max_items,
    )
    latencies: list[float] = []
    async with BridgeRuntime(cfg) as rt, aiohttp.ClientSession() as http:
        url = f"{rt.url}/webhooks/woocommerce"
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(1, orders + 1):
            queue.put_nowait(i)

        async def sender() -> None:
            while not queue.empty():
                oid = queue.get_nowait()
                body = payload(oid)
                headers = {
                    "Content-Type": "application/json",
                    "X-WC-Webhook-Topic": "order.created",
                    "X-WC-Webhook-Signature": sign(SECRET, body),
                }
                t0 = time.perf_counter()
                async with http.post(url, data=body, headers=headers) as r:
                    assert r.status == 200, await r.text()
                    await r.read()
                latencies.append(time.perf_counter() - t0)

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000


async def main() -> None:
    configure_logging("WARNING")
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=50)
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("single", "group"):
            elapsed, lat = await run(mode, args.orders, args.concurrency, Path(tmp) / f"{mode}.db")
            rate = args.orders / elapsed
            results[mode] = rate
            print(
                f"{mode:>6}: {args.orders} webhooks, concurrency {args.concurrency}: "
                f"{rate:7.0f} acks/s  p50 {pct(lat, 50):6.1f} ms  p95 {pct(lat, 95):6.1f} ms  "
                f"p99 {pct(lat, 99):6.1f} ms  mean {statistics.mean(lat) * 1000:6.1f} ms"
            )
    print(
        f"group commit / one transaction per request: {results['group'] / results['single']:.2f}x"
    )


if __name__ == "__main__":
    asyncio.run(main())
