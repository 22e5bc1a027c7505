"""Each toxic's effect observed on real TCP servers, through the embedded proxy."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from scenarios.proxy.client import ToxiproxyClient
from scenarios.proxy.server import EmbeddedToxiproxy
from scenarios.proxy.toxics.slicer import SlicerToxic
from tests.proxy.conftest import Recorder, read_until_closed, round_trip, wait_for


@pytest.fixture
async def embedded() -> AsyncIterator[EmbeddedToxiproxy]:
    async with EmbeddedToxiproxy("127.0.0.1", 0, seed=7) as server:
        yield server


@pytest.fixture
async def client(embedded: EmbeddedToxiproxy) -> AsyncIterator[ToxiproxyClient]:
    async with ToxiproxyClient(embedded.url) as c:
        yield c


async def open_proxy(
    client: ToxiproxyClient, name: str, upstream_port: int
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    proxy = await client.create(name, f"127.0.0.1:{upstream_port}")
    host, port = proxy["listen"].rsplit(":", 1)
    return await asyncio.open_connection(host, int(port))


async def test_latency_is_per_chunk_not_cumulative(client: ToxiproxyClient, echo_port: int) -> None:
    reader, writer = await open_proxy(client, "lat", echo_port)
    await client.add_toxic("lat", "latency", latency=200)
    started = time.monotonic()
    for _ in range(5):  # five separate chunks sent back to back
        writer.write(b"0123456789")
        await writer.drain()
        await asyncio.sleep(0.01)
    await asyncio.wait_for(reader.readexactly(50), 5)
    elapsed = time.monotonic() - started
    assert 0.2 <= elapsed < 0.6  # each chunk ~200 ms after *its* arrival
    writer.close()


async def test_jitter_stays_within_bounds(client: ToxiproxyClient, echo_port: int) -> None:
    reader, writer = await open_proxy(client, "jit", echo_port)
    await client.add_toxic("jit", "latency", latency=60, jitter=40)
    delays = [await round_trip(reader, writer) for _ in range(12)]
    assert all(0.019 <= d < 0.2 for d in delays)
    assert max(delays) - min(delays) > 0.02
    writer.close()


async def test_bandwidth_rate_sets_duration(client: ToxiproxyClient, echo_port: int) -> None:
    reader, writer = await open_proxy(client, "bw", echo_port)
    await client.add_toxic("bw", "bandwidth", rate=200)  # 200 KB/s
    started = time.monotonic()
    writer.write(b"b" * 100_000)
    await asyncio.wait_for(reader.readexactly(100_000), 10)
    assert 0.4 <= time.monotonic() - started <= 2.0  # ≈ 0.5 s
    writer.close()


def test_slicer_sizes_cover_the_chunk_within_bounds() -> None:
    toxic = SlicerToxic(average_size=64, size_variation=16, delay=0)
    rng = random.Random(3)
    for length in (1, 63, 64, 81, 1000, 65536):
        sizes = toxic.sizes(length, rng)
        assert sum(sizes) == length
        assert all(0 < s <= 64 + 16 for s in sizes)
        if length > 200:
            assert len(sizes) >= length // (2 * 80)


async def test_limit_data_exact_count_per_direction(
    client: ToxiproxyClient, recorder: Recorder
) -> None:
    reader, writer = await open_proxy(client, "lim", recorder.port)
    await client.add_toxic("lim", "limit_data", stream="upstream", bytes=1500)
    writer.write(b"a" * 1000)
    await writer.drain()
    await wait_for(lambda: len(recorder.received) == 1000)
    writer.write(b"b" * 1000)
    assert await read_until_closed(reader) == b""  # the proxy closed us
    await wait_for(lambda: bool(recorder.closed_at))
    assert bytes(recorder.received) == b"a" * 1000 + b"b" * 500
    writer.close()


async def test_limit_data_count_survives_update(client: ToxiproxyClient, echo_port: int) -> None:
    reader, writer = await open_proxy(client, "limu", echo_port)
    await client.add_toxic("limu", "limit_data", bytes=1000)
    assert await round_trip(reader, writer, b"x" * 800) >= 0
    await client.update_toxic("limu", "limit_data_downstream", bytes=1100)
    writer.write(b"y" * 800)
    assert await read_until_closed(reader) == b"y" * 300  # 800 already counted
    writer.close()


async def test_reset_peer_after_timeout(client: ToxiproxyClient, echo_port: int) -> None:
    reader, writer = await open_proxy(client, "rst", echo_port)
    await client.add_toxic("rst", "reset_peer", timeout=300)
    started = time.monotonic()
    writer.write(b"hi")
    with pytest.raises(ConnectionResetError):
        await read_until_closed(reader)
    assert time.monotonic() - started >= 0.28
    writer.close()


async def test_timeout_zero_removal_closes_like_toxiproxy(
    client: ToxiproxyClient, echo_port: int
) -> None:
    reader, writer = await open_proxy(client, "to", echo_port)
    await client.add_toxic("to", "timeout", timeout=0)
    writer.write(b"lost")
    await asyncio.sleep(0.2)
    await client.remove_toxic("to", "timeout_downstream")
    assert await read_until_closed(reader) == b""  # data was dropped, then closed
    writer.close()


async def test_slow_close_on_upstream_stream_delays_fin_to_server(
    client: ToxiproxyClient, recorder: Recorder
) -> None:
    _reader, writer = await open_proxy(client, "sc", recorder.port)
    await client.add_toxic("sc", "slow_close", stream="upstream", delay=300)
    writer.write(b"last words")
    await writer.drain()
    await wait_for(lambda: len(recorder.received) == 10)
    closed = time.monotonic()
    writer.close()
    await wait_for(lambda: bool(recorder.closed_at))
    assert recorder.closed_at[0] - closed >= 0.28


async def test_toxicity_is_rerolled_when_a_toxic_is_updated(
    client: ToxiproxyClient, echo_port: int
) -> None:
    reader, writer = await open_proxy(client, "tox", echo_port)
    await client.add_toxic("tox", "latency", toxicity=0.0, latency=300)
    assert await round_trip(reader, writer) < 0.2
    await client.update_toxic("tox", "latency_downstream", toxicity=1.0)
    # the loop's timer may fire a clock tick before time.monotonic() says 300 ms (as above)
    assert await round_trip(reader, writer) >= 0.28
    writer.close()


async def test_live_toxic_changes_never_lose_or_reorder_bytes(
    client: ToxiproxyClient, echo_port: int
) -> None:
    reader, writer = await open_proxy(client, "live", echo_port)
    payload = random.Random(5).randbytes(3_000_000)
    received = bytearray()

    async def read_all() -> None:
        while len(received) < len(payload):
            received.extend(await reader.read(65536))

    async def write_all() -> None:
        for i in range(0, len(payload), 30_000):
            writer.write(payload[i : i + 30_000])
            await writer.drain()
            await asyncio.sleep(0.002)

    async def churn() -> None:
        for n in range(6):
            await client.add_toxic("live", "latency", stream="upstream", latency=5, jitter=3)
            await client.add_toxic("live", "slicer", average_size=4000, size_variation=1000)
            await client.add_toxic("live", "bandwidth", rate=50_000, name=f"bw{n}")
            await asyncio.sleep(0.03)
            await client.update_toxic("live", "latency_upstream", latency=1)
            await client.remove_toxic("live", "slicer_downstream")
            await asyncio.sleep(0.02)
            await client.remove_toxic("live", "latency_upstream")
            await client.remove_toxic("live", f"bw{n}")
            await asyncio.sleep(0.02)

    await asyncio.wait_for(asyncio.gather(read_all(), write_all(), churn()), 30)
    assert bytes(received) == payload
    writer.close()


async def test_backpressure_stops_reading_from_a_fast_sender(
    client: ToxiproxyClient, recorder: Recorder
) -> None:
    reader, writer = await open_proxy(client, "bp", recorder.port)
    writer.write(b"hello")
    await wait_for(lambda: bool(recorder.writers))
    server_side = recorder.writers[0]
    for toxic in (False, True):
        if toxic:
            await client.add_toxic("bp", "latency", latency=1)
        block = b"p" * (1 << 20)
        # the client never reads: the proxy must stop reading. Kernel buffers on the
        # way (two sockets' send and receive buffers, autotuned up to ~20 MB, and the
        # splice pipe) absorb part of it; the rest must stay with the sender.
        for _ in range(64):
            server_side.write(block)
            await asyncio.sleep(0)
        await asyncio.sleep(0.3)
        assert server_side.transport.get_write_buffer_size() > 24 * (1 << 20)
        got = 0
        while got < 64 * (1 << 20):
            got += len(await asyncio.wait_for(reader.read(1 << 20), 10))
    writer.close()


async def test_unreachable_upstream_closes_the_client(client: ToxiproxyClient) -> None:
    reader, writer = await open_proxy(client, "dead", 1)
    assert await read_until_closed(reader) == b""
    writer.close()


async def test_closed_connections_are_forgotten(
    client: ToxiproxyClient, embedded: EmbeddedToxiproxy, echo_port: int
) -> None:
    reader, writer = await open_proxy(client, "gc", echo_port)
    await client.add_toxic("gc", "latency", latency=1)
    await round_trip(reader, writer)
    proxy = embedded.collection.get("gc")
    assert len(proxy.connections) == 1
    conn = next(iter(proxy.connections))
    tasks = [s.task for link in conn.links.values() for s in link.stages]
    assert tasks and not any(t is None or t.done() for t in tasks)
    writer.close()
    await wait_for(lambda: not proxy.connections)
    await wait_for(lambda: all(t is not None and t.done() for t in tasks))


async def test_disable_in_pipeline_mode_drops_live_connection(
    client: ToxiproxyClient, echo_port: int
) -> None:
    reader, writer = await open_proxy(client, "pd", echo_port)
    await client.add_toxic("pd", "latency", latency=600)
    writer.write(b"in flight")
    await asyncio.sleep(0.1)
    async with client.down("pd"):
        assert await read_until_closed(reader) == b""  # in-flight data discarded
    proxy = await client.get("pd")
    host, port = proxy["listen"].rsplit(":", 1)
    r2, w2 = await asyncio.open_connection(host, int(port))
    assert await round_trip(r2, w2) >= 0.58  # 600 ms, less a clock tick (see above)
    w2.close()


async def test_metrics_lists_live_connections(
    client: ToxiproxyClient, embedded: EmbeddedToxiproxy, echo_port: int
) -> None:
    reader, writer = await open_proxy(client, "met", echo_port)
    await round_trip(reader, writer)
    async with aiohttp.ClientSession() as session, session.get(embedded.url + "/metrics") as resp:
        text = await resp.text()
    assert resp.status == 200 and 'toxiproxy_proxy_connections{proxy="met"} 1' in text
    writer.close()
