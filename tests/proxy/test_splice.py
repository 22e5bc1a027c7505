"""The zero-copy path (splice) for bulk transfers on links with no toxic (both loops).

A direction that has carried ``SPLICE_AFTER`` bytes with no toxic is moved in the kernel;
these tests check it engages, keeps every byte in order, ends connections like the
copying path does, and gives way at once when a toxic is added mid-stream.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator

import pytest

from scenarios.proxy import splice
from scenarios.proxy.connection import Connection
from scenarios.proxy.server import EmbeddedToxiproxy
from tests.proxy.conftest import Recorder, read_until_closed

pytestmark = pytest.mark.skipif(not splice.AVAILABLE, reason="os.splice is Linux-only")

BLOCK = bytes(range(256)) * 256  # 64 KB, every byte position distinguishable


@pytest.fixture
async def server() -> AsyncIterator[EmbeddedToxiproxy]:
    async with EmbeddedToxiproxy("127.0.0.1", 0, seed=3) as srv:
        yield srv


async def make_proxy(server: EmbeddedToxiproxy, upstream_port: int) -> tuple[str, int]:
    proxy = await server.collection.create(
        {"name": "bulk", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{upstream_port}"}
    )
    host, port = proxy.listen.rsplit(":", 1)
    return host, int(port)


def only_connection(server: EmbeddedToxiproxy) -> Connection:
    (conn,) = server.collection.get("bulk").connections
    return conn


async def test_bulk_download_is_spliced_and_arrives_whole(
    server: EmbeddedToxiproxy, recorder: Recorder
) -> None:
    host, port = await make_proxy(server, recorder.port)
    fds_before = len(os.listdir("/proc/self/fd"))
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"hi")
    async with asyncio.timeout(10):
        while not recorder.writers:
            await asyncio.sleep(0.01)
    upstream = recorder.writers[0]
    total = 8 * 1024 * 1024
    sent = hashlib.sha256()
    for _ in range(total // len(BLOCK)):
        upstream.write(BLOCK)
        sent.update(BLOCK)
    got = hashlib.sha256()
    received = 0
    spliced_seen = False
    async with asyncio.timeout(30):
        while received < total:
            data = await reader.read(1 << 20)
            assert data
            got.update(data)
            received += len(data)
            spliced_seen = (
                spliced_seen or only_connection(server).links["downstream"].pump is not None
            )
            await upstream.drain()
    assert spliced_seen
    assert got.digest() == sent.digest()
    upstream.close()  # the upstream closes: the client sees a clean EOF after all bytes
    assert await read_until_closed(reader) == b""
    writer.close()
    await writer.wait_closed()
    async with asyncio.timeout(10):  # the pump's pipe and duplicate descriptors are closed
        while server.collection.get("bulk").connections or (
            len(os.listdir("/proc/self/fd")) > fds_before
        ):
            await asyncio.sleep(0.01)


async def test_toxic_added_mid_stream_ends_splicing_at_once_without_losing_bytes(
    server: EmbeddedToxiproxy, recorder: Recorder
) -> None:
    """Client→server bulk upload; a latency toxic added while spliced delays the next
    bytes, and the byte stream the server sees is exactly what the client sent."""
    host, port = await make_proxy(server, recorder.port)
    _reader, writer = await asyncio.open_connection(host, port)
    sent = bytearray()
    for _ in range(48):  # 3 MB: past SPLICE_AFTER
        writer.write(BLOCK)
        sent += BLOCK
        await writer.drain()
    async with asyncio.timeout(20):
        while len(recorder.received) < len(sent):
            await asyncio.sleep(0.01)
    link = only_connection(server).links["upstream"]
    assert link.pump is not None
    server.collection.get("bulk").add_toxic(
        {"type": "latency", "stream": "upstream", "attributes": {"latency": 400}}
    )
    assert link.pump is None
    started = time.monotonic()
    writer.write(b"after the toxic")
    sent += b"after the toxic"
    async with asyncio.timeout(20):
        while len(recorder.received) < len(sent):
            await asyncio.sleep(0.01)
    assert time.monotonic() - started >= 0.4
    assert recorder.received == sent
    server.collection.get("bulk").remove_toxic("latency_upstream")
    for _ in range(32):  # more bulk: spliced again once the toxic is gone
        writer.write(BLOCK)
        sent += BLOCK
        await writer.drain()
    async with asyncio.timeout(20):
        while len(recorder.received) < len(sent):
            await asyncio.sleep(0.01)
    assert recorder.received == sent
    assert link.pump is not None
    writer.close()


async def test_reset_peer_and_disable_while_spliced(
    server: EmbeddedToxiproxy, recorder: Recorder
) -> None:
    host, port = await make_proxy(server, recorder.port)
    proxy = server.collection.get("bulk")

    async def spliced_upload() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(host, port)
        for _ in range(24):
            writer.write(BLOCK)
            await writer.drain()
        async with asyncio.timeout(20):
            while True:
                conns = list(proxy.connections)
                links = [c.link("upstream") for c in conns]
                if links and all(link is not None and link.pump is not None for link in links):
                    break
                await asyncio.sleep(0.01)
        return reader, writer

    reader, writer = await spliced_upload()
    proxy.add_toxic({"type": "reset_peer", "stream": "upstream", "attributes": {"timeout": 0}})
    writer.write(b"trigger")
    with pytest.raises(ConnectionResetError):
        await read_until_closed(reader)
    writer.close()
    proxy.remove_toxic("reset_peer_upstream")

    reader, writer = await spliced_upload()
    await server.collection.update("bulk", {"enabled": False})
    try:
        data = await read_until_closed(reader)  # closed, not left hanging
    except ConnectionResetError:
        data = b""
    assert data == b""
    writer.close()
    async with asyncio.timeout(10):
        while len(recorder.closed_at) < 2:  # the upstream side was closed too
            await asyncio.sleep(0.01)


async def test_splice_after_zero_always_copies(recorder: Recorder) -> None:
    async with EmbeddedToxiproxy("127.0.0.1", 0, splice_after=0) as srv:
        host, port = await make_proxy(srv, recorder.port)
        _reader, writer = await asyncio.open_connection(host, port)
        for _ in range(48):
            writer.write(BLOCK)
            await writer.drain()
        async with asyncio.timeout(20):
            while len(recorder.received) < 48 * len(BLOCK):
                await asyncio.sleep(0.01)
        assert recorder.received == BLOCK * 48
        assert only_connection(srv).links["upstream"].pump is None
        writer.close()


async def test_both_directions_spliced_then_client_closes(
    server: EmbeddedToxiproxy, echo_port: int
) -> None:
    """An echo exchange long enough to splice both directions; the client's close still
    ends the whole connection (no transport is reading any more, the pumps see it)."""
    host, port = await make_proxy(server, echo_port)
    reader, writer = await asyncio.open_connection(host, port)
    for _ in range(40):  # 2.5 MB each way
        writer.write(BLOCK)
        assert await asyncio.wait_for(reader.readexactly(len(BLOCK)), 10) == BLOCK
    conn = only_connection(server)
    assert conn.links["upstream"].pump is not None
    assert conn.links["downstream"].pump is not None
    writer.close()
    await writer.wait_closed()
    async with asyncio.timeout(10):
        while server.collection.get("bulk").connections:
            await asyncio.sleep(0.01)
    assert conn.closed and conn.upstream is not None and conn.upstream.lost
