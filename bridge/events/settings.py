"""MQTT settings of the bridge's event roles: broker URL, client ids, topic roots, QoS,
batching, timeouts and reconnect backoff. One frozen object, passed explicitly.

``mqtt://[user[:password]@]host[:port]`` (``mqtts://`` for TLS, default port 8883) is the
URL form Mosquitto's own tools and most MQTT clients accept.
"""

from __future__ import annotations

import dataclasses
import os
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["BrokerAddress", "MqttSettings", "parse_mqtt_url"]


class InvalidMqttUrl(ValueError):
    """The broker URL is not ``mqtt://host[:port]`` / ``mqtts://host[:port]``."""


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None


def parse_mqtt_url(url: str) -> BrokerAddress:
    """``mqtt://user:pw@host:1883`` → ``BrokerAddress``; raises ``InvalidMqttUrl``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise InvalidMqttUrl(f"MQTT URL must start with mqtt:// or mqtts://, got {url!r}")
    tls = parts.scheme in ("mqtts", "ssl")
    try:
        port = parts.port or (8883 if tls else 1883)
    except ValueError as exc:
        raise InvalidMqttUrl(f"bad port in MQTT URL {url!r}") from exc
    if not parts.hostname:
        raise InvalidMqttUrl(f"no host in MQTT URL {url!r}")
    return BrokerAddress(
        host=parts.hostname,
        port=port,
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _default_client_id(role: str) -> str:
    return f"sapchaos-bridge-{role}-{socket.gethostname()}-{os.getpid()}"


@dataclass(frozen=True)
class MqttSettings:
    """Every knob of the relay and the subscriber (see docs/bridge-events.md).

    ``relay_client_id``: empty → ``sapchaos-bridge-relay-{host}-{pid}`` (the relay needs
    no session). ``subscriber_client_id`` must be stable across restarts: it names the
    persistent session in which the broker queues shop events while the bridge is down.
    ``shared_group``: non-empty → subscribe ``$share/{group}/{topic}`` so several bridge
    processes split the shop's events.
    """

    url: str = "mqtt://127.0.0.1:1883"
    #: root of the bridge's outcome events: ``{events_prefix}/{type}``
    events_prefix: str = "sapchaos/v1/bridge/events"
    relay_client_id: str = ""
    qos: int = 1
    batch_size: int = 100
    idle_poll_s: float = 0.1
    publish_timeout_s: float = 5.0
    connect_timeout_s: float = 5.0
    keepalive_s: int = 30
    max_inflight: int = 100
    backoff_base_s: float = 0.2
    backoff_cap_s: float = 5.0
    # Magento mode (subscriber)
    magento_prefix: str = "shop/v1/magento/events"
    subscriber_client_id: str = "sapchaos-bridge-magento"
    shared_group: str = ""
    clean_session: bool = False
    manual_ack: bool = True

    def __post_init__(self) -> None:
        parse_mqtt_url(self.url)
        if self.qos not in (0, 1, 2):
            raise ValueError(f"qos must be 0, 1 or 2, got {self.qos}")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        for name in ("events_prefix", "magento_prefix"):
            value = getattr(self, name)
            if not value or any(c in value for c in "#+") or value.endswith("/"):
                raise ValueError(f"{name} must be a plain topic root without wildcards: {value!r}")
        if not self.subscriber_client_id:
            raise ValueError("subscriber_client_id must be set (it names the persistent session)")
        if "/" in self.shared_group or any(c in self.shared_group for c in "#+"):
            raise ValueError(
                f"shared_group must not contain '/', '#' or '+': {self.shared_group!r}"
            )

    @property
    def broker(self) -> BrokerAddress:
        return parse_mqtt_url(self.url)

    def relay_identifier(self) -> str:
        return self.relay_client_id or _default_client_id("relay")

    def replace(self, **changes: Any) -> MqttSettings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_config(cls, config: Any) -> MqttSettings:
        """Pick ``mqtt_<field>`` attributes off a ``BridgeConfig`` (``mqtt_url``,
        ``mqtt_events_prefix``, ``mqtt_subscriber_client_id``, ``mqtt_shared_group`` …);
        fields the config does not have keep their defaults."""
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            attr = f"mqtt_{f.name}"
            if hasattr(config, attr):
                changes[f.name] = getattr(config, attr)
        return cls(**changes)
