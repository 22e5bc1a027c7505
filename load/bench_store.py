"""Store ingress benchmark: deliveries/s committed one per transaction vs group-committed.

Run: .venv/bin/python load/bench_store.py [--n 2000] [--pg postgresql://postgres@127.0.0.1:5432/test]
Prints figures only (no assertions). Uses a temp SQLite file and a throwaway PG schema.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid

import asyncpg

from bridge.store import InboundDelivery, Store, open_store


def _delivery(i: int, n_orders: int) -> InboundDelivery:
    order_id = i % n_orders + 1
    modified = f"2026-11-23T{10 + i // 3600 % 10:02d}:{i // 60 % 60:02d}:{i % 60:02d}"
    payload = {
        "id": order_id,
        "status": "processing",
        "date_modified_gmt": modified,
        "n": i,
        "line_items": [{"sku": "TSH-RED-M", "quantity": 2, "total": "39.98"}] * 3,
    }
    raw = json.dumps(payload).encode()  # like the ingress: the body as received
    return InboundDelivery(
        "woocommerce", "order.updated", order_id, modified, payload, time.time(), raw=raw
    )


async def _run(store: Store, n: int, batch: int, concurrency: int) -> float:
    items = [_delivery(i, max(1, n // 4)) for i in range(n)]
    t0 = time.perf_counter()
    if batch == 1:
        sem = asyncio.Semaphore(concurrency)

        async def one(d: InboundDelivery) -> None:
            async with sem:
                await store.accept_delivery(d)

        await asyncio.gather(*(one(d) for d in items))
    else:
        for k in range(0, n, batch):
            await store.accept_many(items[k : k + batch])
    return n / (time.perf_counter() - t0)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = ap.parse_args()
    schema = f"bench_store_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        for name, dsn in (
            ("sqlite NORMAL", f"sqlite:///{tmp}/a{{b}}.db"),
            ("sqlite FULL", f"sqlite:///{tmp}/b{{b}}.db?synchronous=FULL"),
            ("postgres", f"{args.pg}?schema={schema}{{b}}"),
        ):
            for batch in (1, 16, 64):
                store = await open_store(dsn.format(b=batch))
                try:
                    rate = await _run(store, args.n, batch, concurrency=16)
                finally:
                    await store.close()
                print(f"{name:14s} batch={batch:3d}: {rate:9.0f} deliveries/s committed")
    conn = await asyncpg.connect(args.pg)
    for b in (1, 16, 64):
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}{b}" CASCADE')
    await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
