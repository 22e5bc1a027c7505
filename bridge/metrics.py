"""Prometheus metrics of one bridge runtime (its own registry, never the global one).

What operators of a shop→SAP bridge watch: webhooks accepted/rejected by reason, time to
commit, SAP calls by outcome and latency, retries, dead letters, breaker openings; and the
store-wide figures ``bridge.ops.figures`` refreshes at each scrape: jobs by state (the
backlog), processed per minute, success ratio, publish and consume lag, DLQ size and the
time-to-acknowledge histograms (to SAP, back to the shop).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

#: time-to-acknowledge buckets (seconds): a healthy bridge acknowledges in well under a
#: second; an outage pushes orders into minutes and hours
TTA_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    #: ``webhooks`` children by outcome: ``labels()`` takes a lock and hashes the labels,
    #: too dear for every request of the hot path
    _webhook_children: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def count_webhook(self, outcome: str) -> None:
        """``webhooks.labels(outcome).inc()`` through a cached child."""
        child = self._webhook_children.get(outcome)
        if child is None:
            child = self._webhook_children[outcome] = self.webhooks.labels(outcome)
        child.inc()

    def __post_init__(self) -> None:
        r = self.registry
        self.webhooks = Counter(
            "bridge_webhooks_total", "Webhook requests by outcome", ["outcome"], registry=r
        )
        self.ingress_commit = Histogram(
            "bridge_ingress_commit_seconds", "Time from request to committed", registry=r
        )
        self.group_size = Histogram(
            "bridge_group_commit_size",
            "Requests per group commit",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
            registry=r,
        )
        self.sap_calls = Counter(
            "bridge_sap_calls_total",
            "Service Layer calls",
            ["method", "entity", "outcome"],
            registry=r,
        )
        self.sap_latency = Histogram(
            "bridge_sap_call_seconds",
            "Service Layer call latency",
            ["method", "entity"],
            registry=r,
        )
        self.steps = Counter(
            "bridge_steps_total",
            "Reconcile steps by name and outcome",
            ["step", "outcome"],
            registry=r,
        )
        self.retries = Counter(
            "bridge_job_retries_total", "Jobs rescheduled", ["reason"], registry=r
        )
        self.dead_letters = Counter("bridge_dead_letters_total", "Jobs dead-lettered", registry=r)
        self.breaker_open = Gauge(
            "bridge_breaker_open",
            "1 while the endpoint's breaker is open",
            ["endpoint"],
            registry=r,
        )
        self.jobs = Gauge(
            "bridge_jobs", "Sync jobs by state (store-wide; the backlog)", ["state"], registry=r
        )
        self.backlog = Gauge(
            "bridge_backlog_jobs",
            "Jobs not yet done or dead (pending+retrying+claimed)",
            registry=r,
        )
        self.dlq_size = Gauge("bridge_dlq_size", "Dead letters not yet replayed", registry=r)
        self.processed = Counter(
            "bridge_orders_processed_total",
            "Orders SAP acknowledged (create_order done), seen by this process",
            registry=r,
        )
        self.processed_per_minute = Gauge(
            "bridge_processed_per_minute",
            "Orders acknowledged by SAP over the last minute",
            registry=r,
        )
        self.success_ratio = Gauge(
            "bridge_success_ratio",
            "Finished jobs that succeeded: done / (done + dead), store-wide",
            registry=r,
        )
        self.publish_lag = Gauge(
            "bridge_publish_lag_seconds",
            "Age of the oldest unpublished outbox event (0 when none)",
            registry=r,
        )
        self.consume_lag = Gauge(
            "bridge_consume_lag_seconds",
            "How long the oldest due job has waited for a worker (0 when none)",
            registry=r,
        )
        self.tta = Histogram(
            "bridge_tta_seconds",
            "Time to acknowledge: first delivery to SAP document (leg=sap), "
            "and to the shop being told (leg=shop)",
            ["leg"],
            buckets=TTA_BUCKETS,
            registry=r,
        )
        self.webhooks_disabled = Gauge(
            "bridge_shop_webhooks_disabled",
            "The bridge's shop webhooks that are not active (WooCommerce disables them "
            "after repeated delivery failures)",
            registry=r,
        )
