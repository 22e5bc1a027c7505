"""Fixtures: a Toxiproxy target (embedded, or a real one via TOXIPROXY_URL), real TCP
echo/source servers, and small socket helpers.

Against a real Toxiproxy, set ``TOXIPROXY_URL`` (e.g. ``http://127.0.0.1:8474``); the
upstream servers must be reachable from it at ``TOXIPROXY_UPSTREAM_HOST`` (default
127.0.0.1, i.e. toxiproxy-server on the same host or in Docker with host networking).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import uvloop

from scenarios.proxy.server import EmbeddedToxiproxy

UPSTREAM_HOST = os.environ.get("TOXIPROXY_UPSTREAM_HOST", "127.0.0.1")

#: every proxy test runs on both event loops the proxy supports (``--loop``)
LOOP_FACTORIES: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.SelectorEventLoop,
    "uvloop": uvloop.new_event_loop,
}


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Any:
    """pytest-asyncio runs each async test in this directory once per loop."""
    return LOOP_FACTORIES


@pytest.fixture(params=sorted(LOOP_FACTORIES))
def loop_name(request: pytest.FixtureRequest) -> str:
    """For synchronous tests that run the proxy on a loop of their own (in a thread)."""
    return str(request.param)


def running_loop_name() -> str:
    """``uvloop`` or ``asyncio``: which loop the current async test runs on."""
    loop = asyncio.get_running_loop()
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"


@dataclass
class Target:
    """The Toxiproxy server under test and an HTTP session to call it."""

    url: str
    kind: str  # "embedded" or "real"
    session: aiohttp.ClientSession
    created: list[str] = field(default_factory=list)

    async def call(
        self, method: str, path: str, body: Any = None, raw: bytes | None = None
    ) -> tuple[int, Any]:
        kwargs: dict[str, Any] = {"data": raw} if raw is not None else {"json": body}
        async with self.session.request(method, self.url + path, **kwargs) as resp:
            text = await resp.text()
            data: Any = None
            if text.strip():
                try:
                    data = await resp.json(content_type=None)
                except ValueError:
                    data = text
            return resp.status, data

    async def proxy(self, upstream_port: int, **fields: Any) -> tuple[str, str, int]:
        """Create a proxy to ``upstream_port``; returns (name, host, port) to connect to."""
        name = fields.pop("name", None) or f"t_{uuid.uuid4().hex[:10]}"
        body = {
            "name": name,
            "upstream": f"{UPSTREAM_HOST}:{upstream_port}",
            "listen": "127.0.0.1:0",
            **fields,
        }
        status, data = await self.call("POST", "/proxies", body)
        assert status == 201, data
        self.created.append(name)
        host, port = data["listen"].rsplit(":", 1)
        return name, host, int(port)

    async def toxic(self, proxy: str, **body: Any) -> dict[str, Any]:
        status, data = await self.call("POST", f"/proxies/{proxy}/toxics", body)
        assert status == 200, data
        return data


@pytest.fixture
async def target() -> AsyncIterator[Target]:
    url = os.environ.get("TOXIPROXY_URL")
    async with aiohttp.ClientSession(headers={"User-Agent": "sapchaos-tests"}) as session:
        if url:
            t = Target(url.rstrip("/"), "real", session)
            try:
                yield t
            finally:
                for name in t.created:
                    await t.call("DELETE", f"/proxies/{name}")
        else:
            async with EmbeddedToxiproxy("127.0.0.1", 0, seed=1234) as server:
                yield Target(server.url, "embedded", session)


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    """A real TCP echo server."""
    server = await asyncio.start_server(_echo, "127.0.0.1", 0, backlog=4096)
    yield int(server.sockets[0].getsockname()[1])
    server.close()


@dataclass
class Recorder:
    """An upstream that records what it received and when each peer closed."""

    port: int = 0
    received: bytearray = field(default_factory=bytearray)
    closed_at: list[float] = field(default_factory=list)
    writers: list[asyncio.StreamWriter] = field(default_factory=list)


@pytest.fixture
async def recorder() -> AsyncIterator[Recorder]:
    rec = Recorder()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        rec.writers.append(writer)
        try:
            while data := await reader.read(65536):
                rec.received.extend(data)
        except ConnectionError:
            pass
        rec.closed_at.append(time.monotonic())
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
    rec.port = int(server.sockets[0].getsockname()[1])
    yield rec
    server.close()


async def round_trip(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes = b"ping"
) -> float:
    """Send ``data`` through an echo and return the seconds until it all came back."""
    started = time.monotonic()
    writer.write(data)
    got = await asyncio.wait_for(reader.readexactly(len(data)), 10)
    assert got == data
    return time.monotonic() - started


async def read_until_closed(reader: asyncio.StreamReader, timeout: float = 10) -> bytes:
    out = bytearray()
    async with asyncio.timeout(timeout):
        while chunk := await reader.read(65536):
            out.extend(chunk)
    return bytes(out)


Connect = Callable[[str, int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)
