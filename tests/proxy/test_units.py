"""Unit tests: the toxic registry, address parsing, and the cancellation-safe channel."""

from __future__ import annotations

import asyncio

import pytest

from scenarios.proxy.addresses import join_hostport, normalize_listen, split_hostport
from scenarios.proxy.errors import ERRORS, ApiError
from scenarios.proxy.stream import EOF, Channel, Chunk
from scenarios.proxy.toxics.latency import LatencyToxic
from scenarios.proxy.toxics.registry import TOXICS, build_toxic


def test_registry_has_every_toxiproxy_type() -> None:
    assert set(TOXICS) == {
        "latency",
        "bandwidth",
        "slow_close",
        "timeout",
        "reset_peer",
        "slicer",
        "limit_data",
        "noop",
    }
    for name, cls in TOXICS.items():
        assert cls.type_name == name
        assert all(v == 0 for v in cls().attributes().values())  # defaults are 0


def test_build_toxic_validates_and_merges() -> None:
    base = build_toxic("latency", {"latency": 100, "jitter": 5, "unknown": "ignored"})
    assert base == LatencyToxic(latency=100, jitter=5)
    assert build_toxic("latency", {"jitter": 9}, base=base) == LatencyToxic(100, 9)
    assert build_toxic("latency", {"latency": 7.0}).attributes()["latency"] == 7
    with pytest.raises(ApiError) as err:
        build_toxic("latency", {"latency": "fast"})
    assert err.value.status == 400 and err.value.message.startswith("bad request body")
    with pytest.raises(ApiError) as err:
        build_toxic("latency", {"latency": True})
    assert err.value.status == 400
    with pytest.raises(ApiError) as err:
        build_toxic("plague", {})
    assert err.value.body() == {"error": "invalid toxic type", "status": 400}


def test_error_table_matches_toxiproxy_statuses() -> None:
    assert {k: v.status for k, v in ERRORS.items() if k != "browser_refused"} == {
        "bad_request_body": 400,
        "missing_field": 400,
        "proxy_not_found": 404,
        "proxy_exists": 409,
        "invalid_stream": 400,
        "invalid_toxic_type": 400,
        "toxic_exists": 409,
        "toxic_not_found": 404,
        "internal": 500,
    }
    assert ApiError.of("missing_field", "upstream").message == "missing required field: upstream"


def test_addresses_parse_like_go() -> None:
    assert split_hostport("127.0.0.1:8474") == ("127.0.0.1", 8474)
    assert split_hostport("[::1]:0") == ("::1", 0)
    assert split_hostport(":9000") == ("", 9000)
    assert join_hostport("::", 5) == "[::]:5"
    assert normalize_listen("localhost:80") == "127.0.0.1:80"
    for bad, text in (("127.0.0.1", "missing port"), ("::1:80", "too many colons")):
        with pytest.raises(ApiError) as err:
            split_hostport(bad)
        assert err.value.status == 500 and text in err.value.message


async def test_channel_keeps_items_when_reader_is_cancelled() -> None:
    sizes: list[int] = []
    channel = Channel(sizes.append)
    reader = asyncio.create_task(channel.get())
    await asyncio.sleep(0)
    channel.put(Chunk(b"abc", 0.0))  # wakes the reader ...
    reader.cancel()  # ... which is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await reader
    assert len(channel) == 1  # nothing lost
    channel.push_front([Chunk(b"0", 0.0)])
    channel.put(EOF)
    first = await channel.get()
    assert isinstance(first, Chunk) and first.data == b"0"
    assert list(channel.drain()) == [Chunk(b"abc", 0.0), EOF]
    assert sum(sizes) == 0  # the byte count went back to zero
