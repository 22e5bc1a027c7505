"""Async tests use the same fixtures; a stack may get an MQTT broker of its own."""

from __future__ import annotations

import aiohttp
import aiomqtt
import pytest

from sapchaos.testing import FakeSapClient, Stack


async def test_an_async_test_drives_fakesap_with_its_own_client(fakesap: FakeSapClient) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as sl:
        async with sl.post(f"{fakesap.url}/Login", json=fakesap.login_body) as resp:
            assert resp.status == 200
        body = {
            "CardCode": fakesap.card_code,
            "DocDueDate": "2026-12-31",
            "U_IdemKey": "async-1",
            "DocumentLines": [{"ItemCode": fakesap.item_codes[0], "Quantity": 1}],
        }
        async with sl.post(f"{fakesap.url}/Orders", json=body) as resp:
            assert resp.status == 201
    assert len(fakesap.orders("async-1")) == 1  # the servers run on their own thread


async def _round_trip(url: str, topic: str) -> bytes:
    host, port = url.removeprefix("mqtt://").split(":")
    async with aiomqtt.Client(host, int(port), timeout=5) as client:
        await client.subscribe(topic, qos=1)
        await client.publish(topic, b"ping", qos=1)
        async for message in client.messages:
            return bytes(message.payload)  # type: ignore[arg-type]
    raise AssertionError("no message")


@pytest.mark.sapchaos_broker("own")
async def test_own_broker_through_the_proxy(sapchaos_stack: Stack) -> None:
    stack = sapchaos_stack
    assert stack.broker is not None
    assert stack.env.mqtt_url == f"mqtt://{stack.proxy.links['bridge_to_broker']}"
    assert await _round_trip(stack.env.mqtt_url, "sapchaos-test/own") == b"ping"

    stack.kill_broker()
    with pytest.raises(aiomqtt.MqttError):
        await _round_trip(stack.env.mqtt_url, "sapchaos-test/own")
    stack.start_broker()
    assert await _round_trip(stack.env.mqtt_url, "sapchaos-test/own") == b"ping"

    with stack.proxy.cut("bridge_to_broker"), pytest.raises(aiomqtt.MqttError):
        await _round_trip(stack.env.mqtt_url, "sapchaos-test/own")


def test_without_a_broker_of_its_own_kill_is_refused(sapchaos_stack: Stack) -> None:
    with pytest.raises(RuntimeError, match="sapchaos_broker"):
        sapchaos_stack.kill_broker()


@pytest.mark.sapchaos_broker("shared")
async def test_shared_broker_through_the_proxy(sapchaos_stack: Stack) -> None:
    import uuid

    stack = sapchaos_stack
    assert stack.broker is None
    topic = f"sapchaos-test/{uuid.uuid4().hex}"
    assert await _round_trip(stack.env.mqtt_url, topic) == b"ping"
    with stack.proxy.cut("bridge_to_broker"), pytest.raises(aiomqtt.MqttError):
        await _round_trip(stack.env.mqtt_url, topic)
