"""Outbox relay throughput against the real Mosquitto: events/s from outbox to PUBACK +
mark, pipelined batches vs one-at-a-time, and commit→PUBACK lag percentiles.

Usage: ``.venv/bin/python load/bench_relay.py [--events 5000] [--store sqlite|postgres]
[--mqtt-url mqtt://127.0.0.1:1883]``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid

from bridge.events.relay import OutboxRelay
from bridge.events.settings import MqttSettings
from bridge.store import open_store
from bridge.store.base import OutboxEvent
from bridge.worker.steps import order_event


def events(n: int) -> list[OutboxEvent]:
    return [
        order_event(
            10_000 + i,
            "order.confirmed",
            number=str(i),
            doc_entry=i + 1,
            doc_num=i + 1,
            idem_key=f"wc:{10_000 + i}:order",
        )
        for i in range(n)
    ]


async def one_run(dsn: str, url: str, n: int, batch: int) -> dict[str, float]:
    store = await open_store(dsn)
    run = uuid.uuid4().hex[:8]
    settings = MqttSettings(
        url=url,
        events_prefix=f"sapchaos-bench/{run}/events",
        relay_client_id=f"bench-{run}",
        batch_size=batch,
        idle_poll_s=0.01,
        max_inflight=max(batch, 20),
    )
    try:
        await store.enqueue_events(events(n))
        relay = OutboxRelay(store, settings)
        stop = asyncio.Event()
        lags: list[float] = []
        on_published = relay.metrics.on_published

        def record(type_: str, lag_s: float) -> None:
            lags.append(lag_s)
            on_published(type_, lag_s)

        relay.metrics.on_published = record  # type: ignore[method-assign]
        t0 = time.perf_counter()
        task = asyncio.create_task(relay.run(stop))
        while relay.metrics.published < n:
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - t0
        stop.set()
        await task
        lags.sort()
        return {
            "events": n,
            "batch": batch,
            "seconds": round(elapsed, 3),
            "events_per_s": round(n / elapsed, 1),
            "backlog_lag_p50_s": round(statistics.median(lags), 3),
            "backlog_lag_max_s": round(lags[-1], 3),
        }
    finally:
        await store.close()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--mqtt-url", default="mqtt://127.0.0.1:1883")
    args = ap.parse_args()
    results = []
    for batch in (1, 100):
        with tempfile.TemporaryDirectory() as tmp:
            if args.store == "sqlite":
                dsn = f"sqlite:///{tmp}/bench.db"
            else:
                dsn = f"postgresql://postgres@127.0.0.1:5432/test?schema=bench_relay_{uuid.uuid4().hex[:8]}"
            n = args.events if batch > 1 else max(200, args.events // 10)
            res = await one_run(dsn, args.mqtt_url, n, batch)
            results.append(res)
            print(res)
    print(
        f"pipelined (batch 100) vs one-at-a-time: "
        f"{results[1]['events_per_s'] / results[0]['events_per_s']:.1f}x events/s"
    )


if __name__ == "__main__":
    asyncio.run(main())
