"""The MQTT roles of ``BridgeRuntime`` against a real Mosquitto: the ``relay`` publishes the
worker's outbox events; the ``subscriber`` books fakeshop's Magento events in SAP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiomqtt

from bridge.runtime import BridgeRuntime

from .stack import bridge_config, settle, stack, wait_until


@contextlib.asynccontextmanager
async def listener(topic_filter: str) -> AsyncIterator[aiomqtt.Client]:
    async with aiomqtt.Client("127.0.0.1", 1883, identifier=f"h8-{uuid.uuid4().hex[:8]}") as mq:
        await mq.subscribe(topic_filter, qos=1)
        yield mq


async def first_of_type(mq: aiomqtt.Client, type_: str) -> dict[str, Any]:
    async for message in mq.messages:
        data = json.loads(bytes(message.payload))
        if data.get("type") == type_:
            return dict(data)
    raise AssertionError("no message")


async def test_relay_role_publishes_order_confirmed(sqlite_dsn: str) -> None:
    prefix = f"h8test/{uuid.uuid4().hex[:8]}/events"
    async with stack() as st, listener(f"{prefix}/#") as mq:
        cfg = bridge_config(
            sqlite_dsn,
            st.sap_url,
            st.shop_url,
            mqtt_events_prefix=prefix,
            mqtt_relay_client_id=f"h8-relay-{uuid.uuid4().hex[:8]}",
            roles=("ingress", "worker", "relay"),
        )
        async with BridgeRuntime(cfg) as rt:
            await st.subscribe(rt.url)
            [oid] = await st.generate(1)
            await settle(st, rt)
            event = await asyncio.wait_for(first_of_type(mq, "order.confirmed"), 15)
            assert event["correlation_id"] == f"wc:{oid}"
            assert event["data"]["idem_key"] == f"wc:{oid}:order"
            assert rt.relay is not None
            stats = rt.stats()["relay"]
        # stop() is graceful: the relay published and marked everything it had
        assert stats["published"] >= 1 and stats["publish_failures"] == 0
        assert rt.relay.metrics.published == stats["published"]


async def test_subscriber_role_books_a_magento_order_in_sap(sqlite_dsn: str) -> None:
    """fakeshop (Magento mode) → Mosquitto → subscriber role → store → worker → SAP order
    under ``mg:{entity_id}:order``; the relay's ``order.confirmed`` carries
    ``mg:{increment_id}``."""
    run = uuid.uuid4().hex[:8]
    shop_prefix = f"h8test/{run}/shop/events"
    events_prefix = f"h8test/{run}/bridge/events"
    session = f"h8-bridge-magento-{run}"
    shop = {
        "magento": True,
        "mqtt_url": "mqtt://127.0.0.1:1883",
        "mqtt_topic_prefix": shop_prefix,
        "mqtt_client_id": f"h8-shop-{run}",
    }
    try:
        async with stack(shop=shop) as st, listener(f"{events_prefix}/#") as mq:
            cfg = bridge_config(
                sqlite_dsn,
                st.sap_url,
                st.shop_url,
                mqtt_events_prefix=events_prefix,
                mqtt_relay_client_id=f"h8-relay-{run}",
                mqtt_magento_prefix=shop_prefix,
                mqtt_subscriber_client_id=session,
                roles=("worker", "subscriber", "relay"),
            )
            async with BridgeRuntime(cfg) as rt:
                assert rt.subscriber is not None
                await asyncio.wait_for(rt.subscriber.subscribed.wait(), 10)
                [oid] = await st.generate(1)

                async def booked() -> bool:
                    return (await st.sap_orders_by_key()).get(f"mg:{oid}:order", 0) >= 1

                assert await wait_until(booked, 15, 0.1)
                event = await asyncio.wait_for(first_of_type(mq, "order.confirmed"), 10)
                assert await rt.wait_idle(10)
                docs = await st.sap_documents("Orders")
                sub_stats = rt.stats()["subscriber"]
        keys = [str(d["document"].get("U_IdemKey")) for d in docs]
        assert keys == [f"mg:{oid}:order"]  # one SAP order, Magento-keyed
        [doc] = docs
        increment_id = str(doc["document"]["NumAtCard"])
        assert increment_id.lstrip("0") == str(oid) and len(increment_id) > len(str(oid))
        assert str(doc["document"]["Comments"]).startswith("Magento order")
        assert event["correlation_id"] == f"mg:{increment_id}"
        assert event["order_id"] == oid and event["data"]["idem_key"] == f"mg:{oid}:order"
        assert sub_stats["accepted"] >= 1 and sub_stats["quarantined"] == 0
    finally:
        with contextlib.suppress(aiomqtt.MqttError):  # drop the persistent session
            async with aiomqtt.Client("127.0.0.1", 1883, identifier=session, clean_session=True):
                pass


async def test_bridge_events_relay_command_reads_the_bridge_settings(
    sqlite_dsn: str,
) -> None:
    """``sapchaos bridge events relay`` (here ``python -m bridge events relay``) takes the
    store and broker from ``SAPCHAOS_BRIDGE_*`` and publishes what is in the outbox; SIGINT
    stops it gracefully with its counters on stdout."""
    import os
    import signal
    import sys

    from bridge.store import open_store
    from bridge.worker.steps import order_event

    from .procs import ROOT

    run = uuid.uuid4().hex[:8]
    prefix = f"h8test/{run}/events"
    store = await open_store(sqlite_dsn)
    try:
        await store.enqueue_events(
            [order_event(42, "order.invoiced", number="42", doc_entry=3, doc_num=3)]
        )
    finally:
        await store.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAPCHAOS_BRIDGE_")}
    env |= {
        "SAPCHAOS_BRIDGE_STORE_DSN": sqlite_dsn,
        "SAPCHAOS_BRIDGE_MQTT_URL": "mqtt://127.0.0.1:1883",
        "SAPCHAOS_BRIDGE_MQTT_EVENTS_PREFIX": prefix,
        "SAPCHAOS_BRIDGE_MQTT_RELAY_CLIENT_ID": f"h8-cli-relay-{run}",
    }
    async with listener(f"{prefix}/#") as mq:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bridge",
            "events",
            "relay",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            event = await asyncio.wait_for(first_of_type(mq, "order.invoiced"), 20)
        finally:
            proc.send_signal(signal.SIGINT)
            out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert event["correlation_id"] == "wc:42" and event["data"]["doc_num"] == 3
    assert proc.returncode == 0, err.decode()
    assert json.loads(out.decode().strip().splitlines()[-1])["published"] == 1
