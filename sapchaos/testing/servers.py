"""The emulators and the proxy on a background thread's event loop.

pytest-httpserver and moto's threaded server work the same way: the servers live in a
thread of their own, so a plain ``def test_…`` can call them with blocking helpers, an
``async def test_…`` (pytest-asyncio) can await its own client calls on its own loop, and
neither can stall the servers by blocking. One ``ServerThread`` per pytest process (each
pytest-xdist worker has its own), every server on a port the OS picked.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

from fakesap.app import create_app as create_sap_app
from fakesap.backend import FakeSap
from fakesap.config import FakeSapConfig
from fakeshop.app import create_app as create_shop_app
from fakeshop.config import ShopConfig
from sapchaos import defaults
from sapchaos.net import free_port
from scenarios.proxy.server import EmbeddedToxiproxy

T = TypeVar("T")

HOST = "127.0.0.1"
#: the blocking helpers give up after this long (a hung server must not hang the suite)
CALL_TIMEOUT_S = 60.0


class AdminError(RuntimeError):
    """An emulator's admin API answered with an error; the message has status and body."""

    def __init__(self, method: str, url: str, status: int, body: Any) -> None:
        super().__init__(f"{method} {url} -> {status}: {body}")
        self.status = status
        self.body = body


class ServerThread:
    """An event loop running forever in a daemon thread, with a shared HTTP client."""

    def __init__(self, name: str = "sapchaos-testing") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._http: aiohttp.ClientSession | None = None
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self.loop.is_closed()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = CALL_TIMEOUT_S) -> T:
        """Run ``coro`` on the server loop and wait for its result (from any other thread)."""
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("ServerThread.run called from the server thread itself")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    async def http(self) -> aiohttp.ClientSession:
        """The loop's shared client session (created lazily, on the loop)."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=CALL_TIMEOUT_S),
                connector=aiohttp.TCPConnector(limit=0),
            )
        return self._http

    def call(self, method: str, url: str, body: Any = None, *, ok: tuple[int, ...] = ()) -> Any:
        """A blocking JSON request; an error status raises ``AdminError`` unless in ``ok``."""
        return self.run(self.acall(method, url, body, ok=ok))

    async def acall(
        self, method: str, url: str, body: Any = None, *, ok: tuple[int, ...] = ()
    ) -> Any:
        session = await self.http()
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        async with session.request(method, url, **kwargs) as resp:
            raw = await resp.read()
            try:
                data: Any = await resp.json(content_type=None) if raw.strip() else None
            except ValueError:
                data = raw.decode("utf-8", "replace")
            if resp.status >= 400 and resp.status not in ok:
                raise AdminError(method, url, resp.status, data)
            return data

    def close(self) -> None:
        """Close the client and stop the loop; idempotent."""
        if not self.alive:
            return
        if self._http is not None:
            self.run(self._http.close(), timeout=10)
            self._http = None
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self.loop.close()


@dataclass
class ServedApp:
    """One aiohttp application served on ``HOST:port`` by the server thread."""

    app: web.Application
    runner: web.AppRunner
    port: int

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


async def serve_app(app: web.Application, port: int = 0) -> ServedApp:
    """Serve ``app`` on the current loop; ``port=0`` lets the OS pick (read it back)."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, HOST, port or free_port(), reuse_address=True)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = int(runner.addresses[0][1])
    return ServedApp(app, runner, bound)


@dataclass
class Servers:
    """The session's servers: fakesap, fakeshop (WooCommerce and, on demand, Magento mode)
    and the Toxiproxy-compatible proxy, each started the first time a fixture asks."""

    thread: ServerThread = field(default_factory=ServerThread)
    seed: int = 1
    #: the broker Magento mode publishes to (``SAPCHAOS_MQTT_URL`` or Mosquitto's default)
    mqtt_url: str = defaults.MQTT_URL
    sap: ServedApp | None = None
    sap_state: FakeSap | None = None
    shops: dict[str, ServedApp] = field(default_factory=dict)
    proxy: EmbeddedToxiproxy | None = None
    _cleanups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fakesap(self) -> ServedApp:
        with self._lock:
            if self.sap is None:
                config = FakeSapConfig(seed=self.seed)
                self.sap_state = FakeSap(config)
                self.sap = self.thread.run(serve_app(create_sap_app(state=self.sap_state)))
                self._cleanups.append(self.sap.runner.cleanup)
            return self.sap

    def fakeshop(self, mode: str = "woo") -> ServedApp:
        """The shop in ``mode`` "woo" or "magento" (Magento mode publishes to MQTT)."""
        if mode not in ("woo", "magento"):
            raise ValueError(f"fakeshop mode must be 'woo' or 'magento', not {mode!r}")
        with self._lock:
            if mode not in self.shops:
                tag = uuid.uuid4().hex[:12]
                config = ShopConfig(
                    seed=self.seed,
                    magento=mode == "magento",
                    mqtt_url=self.mqtt_url,
                    # one topic tree and client id per session: xdist workers and other
                    # suites on the same broker never see each other's events
                    mqtt_topic_prefix=f"sapchaos-test/{tag}/magento/events",
                    mqtt_client_id=f"sapchaos-test-shop-{tag}",
                )
                served = self.thread.run(serve_app(create_shop_app(config)))
                self.shops[mode] = served
                self._cleanups.append(served.runner.cleanup)
            return self.shops[mode]

    def toxiproxy(self) -> EmbeddedToxiproxy:
        with self._lock:
            if self.proxy is None:
                proxy = EmbeddedToxiproxy(HOST, 0, seed=self.seed)
                self.thread.run(proxy.start())
                self.proxy = proxy
                self._cleanups.append(proxy.stop)
            return self.proxy

    def close(self) -> None:
        """Stop every server (newest first) and the thread; idempotent."""
        if not self.thread.alive:
            return
        errors: list[BaseException] = []
        while self._cleanups:
            cleanup = self._cleanups.pop()
            try:
                self.thread.run(_awaited(cleanup), timeout=30)
            except Exception as exc:  # keep stopping the others
                errors.append(exc)
        self.thread.close()
        if errors:
            raise errors[0]


async def _awaited(fn: Callable[[], Awaitable[None]]) -> None:
    await fn()
