"""A fakesap on a real TCP port in a background thread, for synchronous third-party
clients (b1sl-python, pyodata, schemathesis) that cannot share the test's event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aiohttp import web

from fakesap.app import create_app
from fakesap.backend import FakeSap
from fakesap.config import FakeSapConfig


@dataclass
class Live:
    base: str  # http://127.0.0.1:PORT
    state: FakeSap

    def sl(self, version: str = "v1") -> str:
        return f"{self.base}/b1s/{version}"


@contextmanager
def live_fakesap(config: FakeSapConfig | None = None) -> Iterator[Live]:
    state = FakeSap(config or FakeSapConfig())
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, object] = {}

    async def start() -> None:
        runner = web.AppRunner(create_app(state=state))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and hasattr(server, "sockets")
        holder["port"] = server.sockets[0].getsockname()[1]
        holder["runner"] = runner

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="live-fakesap", daemon=True)
    thread.start()
    assert ready.wait(30), "fakesap did not start"
    try:
        yield Live(f"http://127.0.0.1:{holder['port']}", state)
    finally:
        runner = holder["runner"]
        assert isinstance(runner, web.AppRunner)
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()
