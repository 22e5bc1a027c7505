"""``scenarios.balancer``: round robin, a failed POST sent again to another instance
(refused, 503, no answer in time), instances taken out by ``/readyz`` and put back, the
body and headers forwarded unchanged, and the last answer passed on when every try fails.
Upstreams are real aiohttp servers on local ports."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from sapchaos.net import free_port
from scenarios.balancer import Balancer, BalancerSettings


@dataclass
class Instance:
    """A fake bridge instance: answers POSTs with ``status`` (or hangs), ``/readyz``
    with ``ready_status``; remembers what it received."""

    name: str
    status: int = 200
    hang: bool = False
    ready_status: int = 200
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    runner: web.AppRunner | None = None
    port: int = 0

    async def start(self) -> None:
        async def post(request: web.Request) -> web.Response:
            body = await request.read()
            self.received.append((body, dict(request.headers)))
            if self.hang:
                await asyncio.sleep(30)
            return web.Response(status=self.status, text=f"{self.name}:{self.status}")

        async def readyz(_r: web.Request) -> web.Response:
            return web.Response(status=self.ready_status, text=self.name)

        app = web.Application()
        app.router.add_post("/webhooks/woocommerce", post)
        app.router.add_get("/readyz", readyz)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self.runner.setup()
        self.port = free_port()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture
async def pair() -> AsyncIterator[tuple[Instance, Instance]]:
    a, b = Instance("a"), Instance("b")
    await a.start()
    await b.start()
    yield a, b
    await a.stop()
    await b.stop()


FAST = BalancerSettings(
    try_timeout_s=1.0, fail_timeout_s=30.0, check_interval_s=0, check_timeout_s=0.5
)


async def post(url: str, body: bytes = b'{"id": 1}') -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            url + "/webhooks/woocommerce",
            data=body,
            headers={"X-WC-Webhook-Signature": "sig", "Content-Type": "application/json"},
        ) as resp,
    ):
        return resp.status, await resp.text()


async def test_round_robin_and_forwarding_unchanged(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    async with Balancer([("a", a.address), ("b", b.address)], settings=FAST) as lb:
        answers = [await post(lb.url, f'{{"id": {i}}}'.encode()) for i in range(4)]
        assert [t for _s, t in answers] == ["a:200", "b:200", "a:200", "b:200"]
        stats = lb.stats()
    assert a.received[0][0] == b'{"id": 0}' and b.received[0][0] == b'{"id": 1}'
    assert a.received[0][1]["X-WC-Webhook-Signature"] == "sig"
    assert [i["answered"] for i in stats["instances"]] == [2, 2]


async def test_503_is_sent_again_to_the_other_instance(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    b.status = 503
    async with Balancer([("a", a.address), ("b", b.address)], settings=FAST) as lb:
        answers = [await post(lb.url) for _ in range(4)]
        stats = lb.stats()
    assert answers == [(200, "a:200")] * 4
    # b failed once and is then skipped for fail_timeout_s (nginx max_fails=1)
    assert len(b.received) == 1 and len(a.received) == 4
    inst = {i["name"]: i for i in stats["instances"]}
    assert inst["b"]["failed"] == 1 and inst["b"]["in"] is False
    assert inst["b"]["last_error"] == "answered 503"


async def test_refused_and_hanging_instances_are_tried_past(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    await b.stop()  # refused
    async with Balancer([("b", b.address), ("a", a.address)], settings=FAST) as lb:
        assert await post(lb.url) == (200, "a:200")
    b.hang = True
    await b.start()
    async with Balancer([("b", b.address), ("a", a.address)], settings=FAST) as lb:
        status, text = await post(lb.url)
        assert (status, text) == (200, "a:200")
        assert "TimeoutError" in str(lb.stats()["instances"][0]["last_error"])
    assert len(b.received) == 1


async def test_readyz_takes_an_instance_out_and_back(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    b.ready_status = 503
    settings = BalancerSettings(check_interval_s=0.05, check_timeout_s=0.5)
    async with Balancer([("a", a.address), ("b", b.address)], settings=settings) as lb:
        upstream_b = lb.upstreams[1]
        for _ in range(100):
            if not upstream_b.ready:
                break
            await asyncio.sleep(0.02)
        assert not upstream_b.ready
        for _ in range(4):
            assert await post(lb.url) == (200, "a:200")
        assert b.received == []  # never asked while not ready
        b.ready_status = 200
        for _ in range(100):
            if upstream_b.ready:
                break
            await asyncio.sleep(0.02)
        texts = {(await post(lb.url))[1] for _ in range(4)}
        events = [c["event"] for c in lb.stats()["instances"][1]["changes"]]
    assert texts == {"a:200", "b:200"}
    assert events[0].startswith("not ready: /readyz answered 503") and events[-1] == "ready"


async def test_every_try_failing_passes_the_last_answer_on(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    a.status = b.status = 503
    async with Balancer([("a", a.address), ("b", b.address)], settings=FAST) as lb:
        status, _ = await post(lb.url)
        assert status == 503 and lb.stats()["exhausted"] == 1
    await a.stop()
    await b.stop()
    async with Balancer([("a", a.address), ("b", b.address)], settings=FAST) as lb:
        status, text = await post(lb.url)
    assert status == 502 and "no bridge instance answered" in text


def test_needs_an_upstream() -> None:
    with pytest.raises(ValueError, match="at least one upstream"):
        Balancer([])
