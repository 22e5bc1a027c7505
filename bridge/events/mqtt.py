"""Opening aiomqtt clients from ``MqttSettings``, and the backoff between reconnects.

Reconnects use exponential backoff with full jitter (as in ``bridge.retry``) so a fleet of
bridge processes does not reconnect in lockstep when the broker comes back.
"""

from __future__ import annotations

import random
import socket
import ssl

import aiomqtt

from bridge.config import RetryPolicy
from bridge.events.settings import MqttSettings
from bridge.retry import backoff_delay

__all__ = ["make_client", "reconnect_delay"]


def make_client(settings: MqttSettings, identifier: str, *, clean_session: bool) -> aiomqtt.Client:
    """An MQTT 3.1.1 client (QoS 1 needs nothing newer)."""
    broker = settings.broker
    client = aiomqtt.Client(
        broker.host,
        broker.port,
        username=broker.username,
        password=broker.password,
        identifier=identifier,
        clean_session=clean_session,
        timeout=settings.connect_timeout_s,
        keepalive=settings.keepalive_s,
        max_inflight_messages=settings.max_inflight,
        tls_context=ssl.create_default_context() if broker.tls else None,
        # paho leaves Nagle on: pipelined small PUBLISH packets would wait for the
        # broker's delayed ACK (~40 ms per batch on Linux)
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
    )
    # pipelined QoS 1 publishes are the point: only warn beyond the configured window
    client.pending_calls_threshold = settings.max_inflight + settings.batch_size
    return client


def reconnect_delay(settings: MqttSettings, attempt: int, rng: random.Random) -> float:
    """Full jitter: uniform(0, min(cap, base·2^(attempt-1))), floored at 20 ms."""
    policy = RetryPolicy(base_s=settings.backoff_base_s, cap_s=settings.backoff_cap_s)
    return max(0.02, backoff_delay(policy, attempt, rng))
