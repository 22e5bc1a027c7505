"""Benchmark of the fakesap fault engine: decisions per second, and the HTTP overhead of
the fault middleware (no rules vs. a 10-rule set that matches but rarely fires).

Run: .venv/bin/python load/bench_faults.py [--requests 3000] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from fakesap.faults import FaultsConfig, install_faults, load_profile
from fakesap.faults.base import RequestView
from fakesap.faults.engine import FaultEngine


def bench_decisions(seed: int, n: int = 200_000) -> float:
    clock = [1000.0]
    engine = FaultEngine(load_profile("meltdown").rules, seed=seed, clock=lambda: clock[0])
    view = RequestView(
        "POST", "/b1s/v1/Orders", "v1", "Orders", "Orders", None, {"DocumentLines": []}
    )
    t0 = time.perf_counter()
    for i in range(n):
        clock[0] = 1000.0 + (i % 600) * 0.1
        engine.decide(view)
    return n / (time.perf_counter() - t0)


class Stub:
    clock = staticmethod(time.time)


def app(rules: list[dict[str, Any]], seed: int) -> web.Application:
    application = web.Application()

    async def items(_request: web.Request) -> web.Response:
        return web.json_response({"value": [{"ItemCode": "A"}]})

    async def orders(request: web.Request) -> web.Response:
        return web.json_response(await request.json(), status=201)

    application.router.add_get("/b1s/v1/Items", items)
    application.router.add_post("/b1s/v1/Orders", orders)
    install_faults(application, Stub(), FaultsConfig(seed=seed, rules=rules))
    return application


async def bench_http(rules: list[dict[str, Any]], seed: int, n: int) -> float:
    server = TestServer(app(rules, seed))
    await server.start_server()
    body = {"CardCode": "C1", "DocumentLines": [{"ItemCode": "A", "Quantity": 1}] * 5}
    async with aiohttp.ClientSession() as http:
        t0 = time.perf_counter()
        for batch in range(n // 20):

            async def one(i: int) -> None:
                if i % 2:
                    async with http.get(server.make_url("/b1s/v1/Items")) as r:
                        await r.read()
                else:
                    async with http.post(server.make_url("/b1s/v1/Orders"), json=body) as r:
                        await r.read()

            await asyncio.gather(*(one(batch * 20 + k) for k in range(20)))
        rate = (n // 20 * 20) / (time.perf_counter() - t0)
    await server.close()
    return rate


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"seed {args.seed}")
    print(f"engine decisions/s (meltdown profile, 7 rules): {bench_decisions(args.seed):,.0f}")
    ten = [{"fault": "http_error", "probability": 0.001, "path": "*"} for _ in range(9)]
    ten.append({"fault": "line_reject", "params": {"skus": ["NOPE"]}})
    base = await bench_http([], args.seed, args.requests)
    loaded = await bench_http(ten, args.seed, args.requests)
    print(f"HTTP req/s, no rules: {base:,.0f}")
    print(f"HTTP req/s, 10 rules (0.1% fire): {loaded:,.0f}  (ratio {loaded / base:.2f})")


if __name__ == "__main__":
    asyncio.run(main())
