"""An order event carries the resource as it was when the event fired: the encoded webhook
body (PHP's ``wp_json_encode``), which later changes to the order do not touch; ground-truth
timestamps keep their exact text."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

from fakeshop.store import OrderEvent
from fakeshop.timefmt import iso_ms
from fakeshop.webhooks.payload import php_json
from tests.fakeshop.conftest import Receiver, ShopHandle


def _strftime_iso_ms(ts: float) -> str:
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def test_iso_ms_text_is_unchanged() -> None:
    rng = random.Random(7)
    stamps = [0.0, 1.0, 59.9995, 86399.9999996, 1_764_000_000.123456, 4_102_444_799.999]
    stamps += [rng.uniform(0, 4_102_444_800) for _ in range(5000)]
    for ts in stamps:
        assert iso_ms(ts) == _strftime_iso_ms(ts), ts


async def test_event_body_is_a_snapshot_of_the_order(shop: ShopHandle) -> None:
    state = shop.shop.state
    seen: list[OrderEvent] = []
    state.listeners.append(seen.append)
    order = state.create_order()
    (event,) = seen
    before = php_json(order)
    assert event.body == before
    assert event.payload == json.loads(before)
    # the order changes afterwards: the event still holds what was true when it fired
    order["status"] = "processing"
    order["line_items"][0]["quantity"] += 1
    assert event.body == before
    assert event.payload["status"] == "pending"
    assert event.payload["line_items"][0]["quantity"] == order["line_items"][0]["quantity"] - 1
    # and a listener that changes its payload does not change the order
    event.payload["billing"]["first_name"] = "changed"
    assert order["billing"]["first_name"] != "changed"


async def test_deleted_event_body_is_only_the_id(shop: ShopHandle) -> None:
    state = shop.shop.state
    seen: list[OrderEvent] = []
    order = state.create_order()
    state.listeners.append(seen.append)
    state.trash_order(state.record(int(order["id"])), force=False, source="test")
    (event,) = seen
    assert event.topic == "order.deleted"
    assert event.body == php_json({"id": order["id"]})


async def test_delivered_body_is_the_order_at_event_time(
    shop: ShopHandle, receiver: Receiver
) -> None:
    status, _, _ = await shop.api(
        "POST", "webhooks", json={"topic": "order.created", "delivery_url": receiver.url}
    )
    assert status == 201
    state = shop.shop.state
    order = state.create_order()
    sent = php_json(order)
    order["status"] = "on-hold"  # changed before the delivery task runs
    (d,) = await receiver.wait_for(1)
    assert d.body == sent
    assert json.loads(d.body)["status"] == "pending"
