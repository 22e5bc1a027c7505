"""Conformance suite: one test per item of the spec's checklist (specs/toxiproxy-api.md).

Runs against the embedded server, or against a real Toxiproxy when ``TOXIPROXY_URL`` is
set; the tests use only documented behaviour so both must pass.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time

import pytest

from sapchaos.net import free_port
from tests.proxy.conftest import UPSTREAM_HOST, Recorder, Target, read_until_closed, round_trip


async def test_01_version_answers_200(target: Target) -> None:
    status, body = await target.call("GET", "/version")
    assert status == 200
    assert body  # plain text or {"version": ...}, clients only display it


async def test_02_create_with_port_zero_reports_real_port_and_carries_bytes(
    target: Target, echo_port: int
) -> None:
    name, host, port = await target.proxy(echo_port)
    assert port != 0
    status, body = await target.call("GET", f"/proxies/{name}")
    assert status == 200 and body["listen"] == f"{host}:{port}" and body["enabled"] is True
    reader, writer = await asyncio.open_connection(host, port)
    await round_trip(reader, writer, b"hello toxiproxy" * 100)
    writer.close()


async def test_03_duplicate_name_409_and_missing_upstream_400(
    target: Target, echo_port: int
) -> None:
    name, _, _ = await target.proxy(echo_port)
    body = {"name": name, "upstream": f"{UPSTREAM_HOST}:{echo_port}", "listen": "127.0.0.1:0"}
    status, data = await target.call("POST", "/proxies", body)
    assert status == 409
    assert data == {"error": "proxy already exists", "status": 409}
    status, data = await target.call("POST", "/proxies", {"name": "no_upstream_here"})
    assert status == 400
    assert data["status"] == 400 and data["error"] == "missing required field: upstream"


async def test_04_index_keyed_by_name_with_toxics_and_unknown_404(
    target: Target, echo_port: int
) -> None:
    name, _, _ = await target.proxy(echo_port)
    await target.toxic(name, type="latency", attributes={"latency": 10})
    status, data = await target.call("GET", "/proxies")
    assert status == 200
    assert data[name]["name"] == name
    assert [t["name"] for t in data[name]["toxics"]] == ["latency_downstream"]
    status, data = await target.call("GET", "/proxies/no_such_proxy_xyz")
    assert status == 404
    assert data == {"error": "proxy not found", "status": 404}


async def test_05_latency_delays_round_trip_and_removal_restores(
    target: Target, echo_port: int
) -> None:
    name, host, port = await target.proxy(echo_port)
    reader, writer = await asyncio.open_connection(host, port)
    await target.toxic(name, type="latency", attributes={"latency": 300})
    assert await round_trip(reader, writer) >= 0.3
    status, _ = await target.call("DELETE", f"/proxies/{name}/toxics/latency_downstream")
    assert status == 204
    assert await round_trip(reader, writer) < 0.3  # below the 300 ms toxic: it is gone
    writer.close()


async def test_06_jitter_spreads_delays_and_toxicity_is_per_connection(
    target: Target, echo_port: int
) -> None:
    name, host, port = await target.proxy(echo_port)
    await target.toxic(name, type="latency", attributes={"latency": 100, "jitter": 80})
    reader, writer = await asyncio.open_connection(host, port)
    delays = [await round_trip(reader, writer) for _ in range(15)]
    writer.close()
    assert max(delays) - min(delays) > 0.04
    assert min(delays) >= 0.015 and statistics.mean(delays) > 0.05

    async def delayed_fraction(toxicity: float, connections: int) -> int:
        await target.call("DELETE", f"/proxies/{name}/toxics/latency_downstream")
        await target.toxic(name, type="latency", toxicity=toxicity, attributes={"latency": 600})

        async def one() -> bool:
            r, w = await asyncio.open_connection(host, port)
            try:
                return await round_trip(r, w) >= 0.6
            finally:
                w.close()

        return sum(await asyncio.gather(*(one() for _ in range(connections))))

    assert await delayed_fraction(0.0, 10) == 0
    assert await delayed_fraction(1.0, 10) == 10
    # Binomial(200, 0.5): mean 100, sd 7.1 — these bounds are 5.6 sd away
    assert 60 <= await delayed_fraction(0.5, 200) <= 140


async def test_07_bandwidth_limits_one_direction(target: Target, recorder: Recorder) -> None:
    name, host, port = await target.proxy(recorder.port)
    await target.toxic(name, type="bandwidth", attributes={"rate": 100})  # downstream
    reader, writer = await asyncio.open_connection(host, port)
    payload = b"u" * 50_000
    started = time.monotonic()
    writer.write(payload)
    async with asyncio.timeout(5):
        while len(recorder.received) < len(payload):
            await asyncio.sleep(0.005)
    assert time.monotonic() - started < 0.3  # upstream is not limited
    started = time.monotonic()
    recorder.writers[0].write(b"d" * 50_000)
    assert await asyncio.wait_for(reader.readexactly(50_000), 10) == b"d" * 50_000
    elapsed = time.monotonic() - started
    assert 0.4 <= elapsed <= 2.0  # 50 KB at 100 KB/s ≈ 0.5 s
    writer.close()


async def test_08_timeout_zero_holds_data_and_timeout_t_closes(
    target: Target, echo_port: int
) -> None:
    name, host, port = await target.proxy(echo_port)
    await target.toxic(name, type="timeout", attributes={"timeout": 0})
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"anyone there?")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.read(100), 0.5)  # neither data nor close
    writer.close()

    await target.call("DELETE", f"/proxies/{name}/toxics/timeout_downstream")
    await target.toxic(name, type="timeout", attributes={"timeout": 300})
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"hello")
    assert await read_until_closed(reader, timeout=5) == b""
    assert time.monotonic() - started >= 0.25
    writer.close()


async def test_09_reset_peer_gives_connection_reset(target: Target, echo_port: int) -> None:
    name, host, port = await target.proxy(echo_port)
    await target.toxic(name, type="reset_peer", attributes={"timeout": 0})
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"reset me")
    with pytest.raises(ConnectionResetError):
        await read_until_closed(reader, timeout=5)
    writer.close()


async def test_10_limit_data_passes_at_most_bytes_then_closes(
    target: Target, echo_port: int
) -> None:
    name, host, port = await target.proxy(echo_port)
    await target.toxic(name, type="limit_data", attributes={"bytes": 1000})
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"z" * 3000)
    got = await read_until_closed(reader)
    assert 0 < len(got) <= 1000
    writer.close()


async def test_11_slicer_many_small_reads_same_bytes(target: Target, echo_port: int) -> None:
    name, host, port = await target.proxy(echo_port)
    await target.toxic(
        name,
        type="slicer",
        attributes={"average_size": 10, "size_variation": 5, "delay": 2000},
    )
    reader, writer = await asyncio.open_connection(host, port)
    payload = bytes(range(256)) * 8  # 2048 bytes
    writer.write(payload)
    reads: list[bytes] = []
    async with asyncio.timeout(10):
        while sum(map(len, reads)) < len(payload):
            reads.append(await reader.read(65536))
    assert b"".join(reads) == payload
    assert len(reads) >= 20
    writer.close()


async def test_12_slow_close_delays_the_close(target: Target) -> None:
    async def say_bye(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.write(b"bye")
        await w.drain()
        w.close()

    server = await asyncio.start_server(say_bye, "127.0.0.1", 0)
    name, host, port = await target.proxy(server.sockets[0].getsockname()[1])
    await target.toxic(name, type="slow_close", attributes={"delay": 400})
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(host, port)
    assert await read_until_closed(reader) == b"bye"
    assert time.monotonic() - started >= 0.35
    writer.close()
    server.close()


async def test_13_upstream_and_downstream_toxics_are_independent(
    target: Target, recorder: Recorder
) -> None:
    name, host, port = await target.proxy(recorder.port)
    await target.toxic(name, type="latency", stream="upstream", attributes={"latency": 300})
    reader, writer = await asyncio.open_connection(host, port)
    started = time.monotonic()
    writer.write(b"up")
    async with asyncio.timeout(5):
        while not recorder.received:
            await asyncio.sleep(0.005)
    assert time.monotonic() - started >= 0.3  # client→server delayed
    started = time.monotonic()
    recorder.writers[0].write(b"down")
    assert await asyncio.wait_for(reader.readexactly(4), 5) == b"down"
    assert time.monotonic() - started < 0.2  # server→client not delayed
    writer.close()


async def test_14_disable_refuses_and_drops_enable_restores(target: Target, echo_port: int) -> None:
    name, host, port = await target.proxy(echo_port)
    reader, writer = await asyncio.open_connection(host, port)
    await round_trip(reader, writer)
    status, data = await target.call("POST", f"/proxies/{name}", {"enabled": False})
    assert status == 200 and data["enabled"] is False
    with pytest.raises(ConnectionError):  # live connection closed: EOF or reset
        if await read_until_closed(reader, timeout=5) == b"":
            raise ConnectionResetError("closed")
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(host, port)
    status, data = await target.call("POST", f"/proxies/{name}", {"enabled": True})
    assert status == 200 and data["enabled"] is True
    reader, writer = await asyncio.open_connection(host, port)
    await round_trip(reader, writer)
    writer.close()


async def test_15_reset_removes_toxics_and_enables_proxies(target: Target, echo_port: int) -> None:
    name, host, port = await target.proxy(echo_port)
    await target.toxic(name, type="latency", attributes={"latency": 500})
    await target.call("POST", f"/proxies/{name}", {"enabled": False})
    status, _ = await target.call("POST", "/reset")
    assert status == 204
    status, data = await target.call("GET", f"/proxies/{name}")
    assert data["enabled"] is True and data["toxics"] == []
    reader, writer = await asyncio.open_connection(host, port)
    assert await round_trip(reader, writer) < 0.3
    writer.close()


async def test_16_populate_is_idempotent_and_replaces_changed_upstream(
    target: Target, echo_port: int, recorder: Recorder
) -> None:
    name = f"pop_{os.getpid()}_{free_port()}"
    listen = f"127.0.0.1:{free_port()}"
    config = [{"name": name, "listen": listen, "upstream": f"{UPSTREAM_HOST}:{echo_port}"}]
    status, data = await target.call("POST", "/populate", config)
    target.created.append(name)
    assert status == 201
    assert [p["name"] for p in data["proxies"]] == [name]
    host, port = listen.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    await round_trip(reader, writer)

    status, data = await target.call("POST", "/populate", config)
    assert status == 201 and data["proxies"][0]["listen"] == listen
    await round_trip(reader, writer)  # the live connection was not touched

    config[0]["upstream"] = f"{UPSTREAM_HOST}:{recorder.port}"
    status, data = await target.call("POST", "/populate", config)
    assert status == 201 and data["proxies"][0]["upstream"] == config[0]["upstream"]
    assert await read_until_closed(reader) == b""  # old proxy replaced, connection dropped
    writer.close()
    _, shown = await target.call("GET", f"/proxies/{name}")
    assert shown["upstream"] == config[0]["upstream"]


async def test_17_toxic_update_reaches_live_connections(target: Target, echo_port: int) -> None:
    name, host, port = await target.proxy(echo_port)
    await target.toxic(name, type="latency", attributes={"latency": 100})
    reader, writer = await asyncio.open_connection(host, port)
    assert await round_trip(reader, writer) >= 0.1
    status, data = await target.call(
        "POST", f"/proxies/{name}/toxics/latency_downstream", {"attributes": {"latency": 500}}
    )
    assert status == 200 and data["attributes"]["latency"] == 500
    assert await round_trip(reader, writer) >= 0.5
    writer.close()


async def test_18_toxic_errors(target: Target, echo_port: int) -> None:
    name, _, _ = await target.proxy(echo_port)
    status, data = await target.call("POST", f"/proxies/{name}/toxics", {"type": "plague"})
    assert (status, data) == (400, {"error": "invalid toxic type", "status": 400})
    await target.toxic(name, type="latency", name="lat")
    status, data = await target.call(
        "POST", f"/proxies/{name}/toxics", {"type": "latency", "name": "lat"}
    )
    assert (status, data) == (409, {"error": "toxic already exists", "status": 409})
    status, data = await target.call("GET", f"/proxies/{name}/toxics/nope")
    assert (status, data) == (404, {"error": "toxic not found", "status": 404})


async def test_19_delete_proxy_closes_listener(target: Target, echo_port: int) -> None:
    name, host, port = await target.proxy(echo_port)
    status, _ = await target.call("DELETE", f"/proxies/{name}")
    assert status == 204
    target.created.remove(name)
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(host, port)
    status, _ = await target.call("GET", f"/proxies/{name}")
    assert status == 404


async def test_20_suite_runs_against_the_configured_target(target: Target) -> None:
    """Set TOXIPROXY_URL to run this same suite against a real Toxiproxy."""
    expected = "real" if os.environ.get("TOXIPROXY_URL") else "embedded"
    assert target.kind == expected
    print(f"conformance target: {target.kind} Toxiproxy at {target.url}")
