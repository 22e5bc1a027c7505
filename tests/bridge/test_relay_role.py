"""The ``relay`` role publishes the worker's outbox events to a real Mosquitto."""

from __future__ import annotations

import asyncio
import json
import uuid

import aiomqtt

from bridge.runtime import BridgeRuntime

from .stack import bridge_config, settle, stack


async def test_relay_role_publishes_order_confirmed(sqlite_dsn: str) -> None:
    prefix = f"h8test/{uuid.uuid4().hex[:8]}/events"
    async with (
        stack() as st,
        aiomqtt.Client("127.0.0.1", 1883, identifier=f"h8-{uuid.uuid4().hex[:8]}") as mq,
    ):
        await mq.subscribe(f"{prefix}/#", qos=1)
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

            async def first_confirmed() -> dict[str, object]:
                async for message in mq.messages:
                    data = json.loads(bytes(message.payload))
                    if data.get("type") == "order.confirmed":
                        return dict(data)
                raise AssertionError("no message")

            event = await asyncio.wait_for(first_confirmed(), 15)
            assert event["correlation_id"] == f"wc:{oid}"
            assert event["data"]["idem_key"] == f"wc:{oid}:order"  # type: ignore[index]
