"""Counters of the event roles (their own Prometheus registry unless one is passed):
what an operator watches on an outbox relay — published, failed publishes, broker
disconnects, and the lag from commit to broker acknowledgement."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["RelayMetrics", "SubscriberMetrics"]

LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


@dataclass
class RelayMetrics:
    """Plain numbers for tests and ``stats()``, mirrored into Prometheus collectors."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    published: int = 0
    publish_failures: int = 0
    disconnects: int = 0
    off_schema: int = 0
    last_lag_s: float = 0.0
    max_lag_s: float = 0.0

    def __post_init__(self) -> None:
        r = self.registry
        self._published = Counter(
            "bridge_events_published_total",
            "Events acknowledged by the broker",
            ["type"],
            registry=r,
        )
        self._failures = Counter(
            "bridge_events_publish_failures_total", "Publishes not acknowledged", registry=r
        )
        self._disconnects = Counter(
            "bridge_events_broker_disconnects_total",
            "Lost or refused broker connections",
            registry=r,
        )
        self._lag = Histogram(
            "bridge_events_publish_lag_seconds",
            "Outbox commit to broker PUBACK",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self._connected = Gauge(
            "bridge_events_relay_connected", "1 while the relay is connected", registry=r
        )

    def on_published(self, type_: str, lag_s: float) -> None:
        self.published += 1
        self.last_lag_s = lag_s
        self.max_lag_s = max(self.max_lag_s, lag_s)
        self._published.labels(type_).inc()
        self._lag.observe(max(0.0, lag_s))

    def on_failure(self, n: int = 1) -> None:
        self.publish_failures += n
        self._failures.inc(n)

    def on_disconnect(self) -> None:
        self.disconnects += 1
        self._disconnects.inc()
        self._connected.set(0)

    def on_connect(self) -> None:
        self._connected.set(1)


@dataclass
class SubscriberMetrics:
    """What the Magento-mode consumer did with each shop event."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    store_failures: int = 0
    disconnects: int = 0
    #: CONNACKs without the persistent session (the broker lost it, or it never existed)
    lost_sessions: int = 0
    #: orders whose snapshot the catch-up after a lost session changed
    caught_up_orders: int = 0
    catch_up_failures: int = 0

    def __post_init__(self) -> None:
        self._events = Counter(
            "bridge_shop_events_total",
            "Magento shop events by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self._lost = Counter(
            "bridge_mqtt_sessions_lost_total",
            "Broker connections whose persistent session was gone (CONNACK session present = 0)",
            registry=self.registry,
        )
        self._caught_up = Counter(
            "bridge_catch_up_orders_total",
            "Orders healed by the catch-up reconciliation after a lost session",
            registry=self.registry,
        )

    def on_session_lost(self) -> None:
        self.lost_sessions += 1
        self._lost.inc()

    def on_caught_up(self, orders: int) -> None:
        self.caught_up_orders += orders
        self._caught_up.inc(orders)

    def count(self, outcome: str) -> None:
        if outcome in ("accepted", "duplicates", "quarantined", "store_failures"):
            setattr(self, outcome, getattr(self, outcome) + 1)
        self._events.labels(outcome).inc()
