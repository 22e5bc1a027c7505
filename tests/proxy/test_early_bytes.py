"""No byte is lost while the upstream connection is still being dialled (both loops).

The upstream here is slow to accept: its accept queue is full, so the kernel drops the
proxy's SYN and the proxy's connect only completes on a SYN retransmission, about a
second later. A client that speaks first (HTTP, MQTT CONNECT) sends during that second;
on uvloop the proxy used to throw those bytes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from tests.proxy.conftest import Target, read_until_closed


@dataclass
class SlowUpstream:
    """A listener that accepts nothing for ``delay`` seconds, then echoes or records."""

    port: int
    received: bytearray = field(default_factory=bytearray)
    eof_seen: asyncio.Event = field(default_factory=asyncio.Event)
    accepted_at: list[float] = field(default_factory=list)
    echo: bool = True


@contextlib.asynccontextmanager
async def slow_upstream(delay: float, echo: bool) -> AsyncIterator[SlowUpstream]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)  # accept queue of one: filled below, so further SYNs are dropped
    listener.setblocking(False)
    port = int(listener.getsockname()[1])
    fillers = []
    for _ in range(2):
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    await asyncio.sleep(0.05)
    filler_ports = {f.getsockname()[1] for f in fillers}
    upstream = SlowUpstream(port, echo=echo)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if writer.get_extra_info("peername")[1] in filler_ports:
            writer.close()
            return
        upstream.accepted_at.append(time.monotonic())
        try:
            while data := await reader.read(65536):
                upstream.received.extend(data)
                if upstream.echo:
                    writer.write(data)
                    await writer.drain()
        except ConnectionError:
            pass
        upstream.eof_seen.set()
        writer.close()

    async def open_later() -> asyncio.Server:
        await asyncio.sleep(delay)
        return await asyncio.start_server(handle, sock=listener)

    opener = asyncio.create_task(open_later())
    try:
        yield upstream
    finally:
        server = await opener
        server.close()
        for filler in fillers:
            filler.close()


def payload(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


@pytest.mark.parametrize("size", [1_000, 1_500_000])
async def test_bytes_sent_before_upstream_accepts_all_arrive_and_echo_back(
    target: Target, size: int
) -> None:
    """Small (buffered in the proxy) and large (reading paused past its early limit)."""
    data = payload(size)
    async with slow_upstream(delay=0.3, echo=True) as upstream:
        _, host, port = await target.proxy(upstream.port)
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(data)
        sent_at = time.monotonic()
        got = await asyncio.wait_for(reader.readexactly(size), 20)
        assert got == data
        assert upstream.received == data
        assert upstream.accepted_at and upstream.accepted_at[0] > sent_at  # truly early
        writer.close()


async def test_client_that_speaks_then_closes_before_upstream_is_up_is_delivered(
    target: Target,
) -> None:
    """A request followed by a FIN, both before the upstream answers the connect: the
    upstream still receives every byte, then the close."""
    data = b"GET / HTTP/1.0\r\nHost: example\r\n\r\n" * 50
    async with slow_upstream(delay=0.3, echo=False) as upstream:
        _, host, port = await target.proxy(upstream.port)
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(data)
        writer.write_eof()
        sent_at = time.monotonic()
        await asyncio.wait_for(upstream.eof_seen.wait(), 20)
        assert upstream.received == data
        assert upstream.accepted_at[0] > sent_at
        assert await read_until_closed(reader) == b""
        writer.close()


async def test_upstream_link_keeps_order_when_toxic_exists_from_the_start(
    target: Target,
) -> None:
    """Early bytes go through the link's toxics like any other data."""
    data = payload(50_000)
    async with slow_upstream(delay=0.3, echo=True) as upstream:
        name, host, port = await target.proxy(upstream.port)
        await target.toxic(
            name,
            type="slicer",
            stream="upstream",
            attributes={"average_size": 1000, "size_variation": 100, "delay": 10},
        )
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(data)
        assert await asyncio.wait_for(reader.readexactly(len(data)), 20) == data
        writer.close()
