"""Fixtures: a real fakeshop on a free port and a local webhook receiver that records
every request (raw bytes, headers, arrival order) and answers with scripted statuses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from fakeshop.app import FAKESHOP_KEY, Shop, create_app
from fakeshop.config import DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, ShopConfig

CK, CS = DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET


@dataclass
class Received:
    at: float
    headers: dict[str, str]
    body: bytes
    version: tuple[int, int]


@dataclass
class Receiver:
    server: TestServer
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # consumed one per request
    default_status: int = 200

    @property
    def url(self) -> str:
        return str(self.server.make_url("/hook"))

    def deliveries(self) -> list[Received]:
        """Requests other than pings."""
        return [r for r in self.requests if "X-WC-Webhook-Topic" in r.headers]

    async def wait_for(self, n: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.deliveries()) < n and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return self.deliveries()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    app = web.Application()
    server = TestServer(app, host="127.0.0.1", port=0)
    rcv = Receiver(server)

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        rcv.requests.append(
            Received(time.monotonic(), dict(request.headers), body, tuple(request.version))
        )
        status = rcv.statuses.pop(0) if rcv.statuses else rcv.default_status
        return web.Response(status=status, text="ok")

    app.router.add_post("/hook", hook)
    await server.start_server()
    yield rcv
    await server.close()


@dataclass
class ShopHandle:
    server: TestServer
    app: web.Application
    session: aiohttp.ClientSession

    @property
    def shop(self) -> Shop:
        return self.app[FAKESHOP_KEY]

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def api(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        data: Any = None,
    ) -> tuple[int, Any, aiohttp.typedefs.LooseHeaders]:
        """An authenticated call (OAuth 1.0a over http, as the official client signs it)."""
        from tests.fakeshop.oauth_client import signed_url

        url = signed_url(method, self.url(f"/wp-json/wc/v3/{path}"), CK, CS, params or {})
        async with self.session.request(method, url, json=json, headers=headers, data=data) as resp:
            text = await resp.text()
            import json as _json

            try:
                body = _json.loads(text) if text else None
            except ValueError:
                body = text
            return resp.status, body, resp.headers

    async def admin(self, method: str, path: str, json: Any = None) -> Any:
        async with self.session.request(method, self.url(f"/__admin/{path}"), json=json) as resp:
            return await resp.json()


ShopFactory = Callable[..., "asyncio.Future[ShopHandle]"]


@pytest.fixture
async def make_shop() -> AsyncIterator[Callable[..., Any]]:
    handles: list[ShopHandle] = []

    async def factory(config: ShopConfig | None = None, **kwargs: Any) -> ShopHandle:
        app = create_app(config or ShopConfig(), **kwargs)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        handle = ShopHandle(server, app, aiohttp.ClientSession())
        handles.append(handle)
        return handle

    yield factory
    for h in handles:
        await h.session.close()
        await h.server.close()


@pytest.fixture
async def shop(make_shop: Callable[..., Any]) -> ShopHandle:
    handle: ShopHandle = await make_shop()
    return handle
