"""Settings, topic layout, reconnect backoff and the consumer-side dedup helper."""

from __future__ import annotations

import json
import random
from types import SimpleNamespace

import pytest

from bridge.config import BridgeConfig
from bridge.events.consumer_dedup import SeenEvents
from bridge.events.mqtt import reconnect_delay
from bridge.events.settings import MqttSettings, parse_mqtt_url
from bridge.events.topics import event_topic, magento_subscription, type_from_topic


def test_parse_mqtt_url() -> None:
    b = parse_mqtt_url("mqtt://bridge:s%40cret@broker.example:1884")
    assert (b.host, b.port, b.tls, b.username, b.password) == (
        "broker.example",
        1884,
        False,
        "bridge",
        "s@cret",
    )
    assert parse_mqtt_url("mqtts://broker").port == 8883 and parse_mqtt_url("mqtts://b").tls
    assert parse_mqtt_url("mqtt://127.0.0.1").port == 1883
    for bad in ("http://x", "mqtt://", "mqtt://h:99999"):
        with pytest.raises(ValueError):
            parse_mqtt_url(bad)


@pytest.mark.parametrize(
    "change",
    [
        {"events_prefix": "a/#"},
        {"events_prefix": "a/"},
        {"magento_prefix": ""},
        {"qos": 3},
        {"batch_size": 0},
        {"subscriber_client_id": ""},
        {"shared_group": "a/b"},
        {"url": "amqp://x"},
    ],
)
def test_settings_reject_nonsense(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        MqttSettings(**change)  # type: ignore[arg-type]


def test_settings_from_config() -> None:
    cfg = SimpleNamespace(
        mqtt_url="mqtt://10.0.0.5:1883",
        mqtt_events_prefix="acme/events",
        mqtt_shared_group="bridges",
    )
    s = MqttSettings.from_config(cfg)
    assert (s.url, s.events_prefix, s.shared_group) == (
        "mqtt://10.0.0.5:1883",
        "acme/events",
        "bridges",
    )
    assert MqttSettings.from_config(BridgeConfig()) == MqttSettings()  # no mqtt_* yet: defaults


def test_topics() -> None:
    assert (
        event_topic("sapchaos/v1/bridge/events", "order.confirmed")
        == "sapchaos/v1/bridge/events/order.confirmed"
    )
    assert (
        type_from_topic("shop/v1/magento/events", "shop/v1/magento/events/order.created")
        == "order.created"
    )
    assert type_from_topic("shop/v1/magento/events", "other/order.created") is None
    assert type_from_topic("shop/v1/magento/events", "shop/v1/magento/events/a/b") is None
    assert magento_subscription("shop/v1/magento/events") == "shop/v1/magento/events/+"
    assert magento_subscription("p", "bridges") == "$share/bridges/p/+"


def test_reconnect_backoff_full_jitter_is_bounded() -> None:
    s = MqttSettings(backoff_base_s=0.2, backoff_cap_s=5.0)
    rng = random.Random(7)
    first = [reconnect_delay(s, 1, rng) for _ in range(200)]
    late = [reconnect_delay(s, 12, rng) for _ in range(200)]
    assert all(0.02 <= d <= 0.2 for d in first)
    assert all(0.02 <= d <= 5.0 for d in late) and max(late) > 2.5  # spread, not lockstep
    assert len({round(d, 6) for d in late}) > 150


def test_seen_events_dedups_and_is_bounded() -> None:
    seen = SeenEvents(capacity=3)
    assert [seen.first_time(x) for x in "abab"] == [True, True, False, False]
    assert seen.duplicates == 2
    for x in "cde":
        seen.first_time(x)
    assert len(seen) == 3 and "a" not in seen  # oldest forgotten first
    body = json.dumps({"event_id": "z", "type": "order.confirmed"}).encode()
    assert seen.accept(body) is not None and seen.accept(body) is None
    with pytest.raises(ValueError):
        SeenEvents(capacity=0)
