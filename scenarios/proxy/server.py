"""``EmbeddedToxiproxy``: the Toxiproxy-compatible server, started in-process.

Scenarios and tests use it where a real Toxiproxy (a Go binary, usually in Docker) is
not available; it speaks the same HTTP API on the same default port, 8474.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from sapchaos.logs import get_logger
from scenarios.proxy.api import create_app
from scenarios.proxy.client import ToxiproxyClient
from scenarios.proxy.collection import PopulateError, ProxyCollection
from scenarios.proxy.loops import loop_factory
from scenarios.proxy.splice import SPLICE_AFTER

DEFAULT_PORT = 8474


class EmbeddedToxiproxy:
    """A Toxiproxy-compatible API server and its proxies, running on the current loop.

    ``port=0`` picks a free port; ``url`` is the API base URL once started. ``config``
    is a populate file (a JSON array of proxies), loaded at start like ``-config``.
    ``splice_after``: bytes a toxic-free direction carries before it is spliced in the
    kernel (Linux; ``0`` always copies through user space).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        *,
        seed: int | None = None,
        config: str | Path | None = None,
        splice_after: int = SPLICE_AFTER,
    ) -> None:
        self.host = host
        self.port = port
        self.seed = seed
        self.config = Path(config) if config is not None else None
        self.collection = ProxyCollection(random.Random(seed), splice_after)
        self._runner: web.AppRunner | None = None
        self.log = get_logger("proxy")

    @property
    def started(self) -> bool:
        """True once the API listens (and until ``stop``)."""
        return self._runner is not None

    @property
    def url(self) -> str:
        if self._runner is None:
            raise RuntimeError("EmbeddedToxiproxy is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> EmbeddedToxiproxy:
        runner = web.AppRunner(create_app(self.collection), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        if runner.addresses:
            self.port = int(runner.addresses[0][1])
        if self.config is not None:
            await self.populate_file(self.config)
        self.log.info("toxiproxy_api_started", url=self.url, seed=self.seed)
        return self

    async def populate_file(self, path: Path) -> None:
        """Create the proxies of a populate file (``toxiproxy-server -config``).

        A bad file raises (the CLI turns it into one line); it is not also logged."""
        try:
            body: Any = json.loads(await asyncio.to_thread(path.read_text))
            proxies = await self.collection.populate(body)
        except PopulateError as exc:
            raise exc.error from None
        self.log.info("populated", config=str(path), proxies=len(proxies))

    async def stop(self) -> None:
        self.collection.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> EmbeddedToxiproxy:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


@contextmanager
def embedded_in_thread(
    host: str = "127.0.0.1", port: int = 0, *, seed: int | None = None, loop: str = "auto"
) -> Iterator[EmbeddedToxiproxy]:
    """Run an EmbeddedToxiproxy on its own loop in a background thread.

    For synchronous callers (``toxiproxy-python``, plain sockets) that must not block
    the loop the proxy runs on. ``loop`` is ``auto`` (uvloop when installed),
    ``uvloop`` or ``asyncio``.
    """
    event_loop = loop_factory(loop)()
    server = EmbeddedToxiproxy(host, port, seed=seed)
    thread = threading.Thread(target=event_loop.run_forever, name="embedded-toxiproxy", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(server.start(), event_loop).result(timeout=10)
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), event_loop).result(timeout=10)
        event_loop.call_soon_threadsafe(event_loop.stop)
        thread.join(timeout=10)
        event_loop.close()


@asynccontextmanager
async def toxiproxy(
    url: str | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int | None = None,
) -> AsyncIterator[ToxiproxyClient]:
    """A client for the real Toxiproxy at ``url``, or for an embedded one started here.

    Scenario code writes ``async with toxiproxy(args.toxiproxy_url) as tp:`` and drives
    either the same way; the embedded server stops when the block ends.
    """
    if url:
        async with ToxiproxyClient(url) as client:
            yield client
        return
    async with (
        EmbeddedToxiproxy(host, port, seed=seed) as server,
        ToxiproxyClient(server.url) as client,
    ):
        yield client
