"""fakeshop throughput: orders generated per second and webhook deliveries per second
(calm and hostile chaos) to a local receiver. Prints figures; asserts nothing."""

from __future__ import annotations

import asyncio
import sys
import time

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from fakeshop.app import FAKESHOP_KEY, create_app
from fakeshop.config import ShopConfig
from fakeshop.store import Webhook


async def run(profile: str, n: int) -> None:
    got = 0

    async def hook(_r: web.Request) -> web.Response:
        nonlocal got
        got += 1
        return web.Response(text="ok")

    rapp = web.Application()
    rapp.router.add_post("/hook", hook)
    receiver = TestServer(rapp, host="127.0.0.1", port=0)
    await receiver.start_server()
    app = create_app(ShopConfig(chaos_profile=profile, seed=1))
    shop = TestServer(app, host="127.0.0.1", port=0)
    await shop.start_server()
    state = app[FAKESHOP_KEY].state
    state.webhooks[1] = Webhook(
        1, "b", "active", "order.created", str(receiver.make_url("/hook")), "s", "wp_api_v3", 0, 0
    )
    async with aiohttp.ClientSession() as s:
        t0 = time.perf_counter()
        async with s.post(shop.make_url("/__admin/orders/generate"), json={"count": n}) as r:
            assert r.status == 201
        t1 = time.perf_counter()
        await app[FAKESHOP_KEY].engine.drain(120)
        t2 = time.perf_counter()
    planned = len(state.deliveries)
    print(
        f"[{profile}] seed 1: {n} orders generated in {t1 - t0:.2f}s ({n / (t1 - t0):.0f}/s); "
        f"{planned} delivery records, {got} received, all attempted after {t2 - t0:.2f}s "
        f"({got / (t2 - t0):.0f} deliveries/s, {n / (t2 - t0) * 60:.0f} orders/min end to end)"
    )
    await shop.close()
    await receiver.close()


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    asyncio.run(run("calm", count))
    asyncio.run(run("duplicates", count))
