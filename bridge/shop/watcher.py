"""The bridge watches its own webhook subscriptions in the shop.

WooCommerce disables a webhook after a run of failed deliveries (more than five in a row,
``woocommerce_max_webhook_delivery_failures``) and never tells anyone: the shop keeps
taking orders, the bridge simply stops hearing about them. An admin may also delete or
pause one. So every ``interval_s`` the watcher lists the shop's webhooks
(``GET webhooks``) and, for each topic the bridge needs, checks that one points at the
bridge's delivery URL with status ``active``. A disabled, paused or missing one is logged
as a warning, counted (``bridge_webhooks_inactive``, ``bridge_webhook_reactivations_total``
on ``/metrics``; ``webhooks_watch`` on ``/ops/stats``) and — unless configured off —
re-activated (or re-created) with the bridge's secret, the same way
``sapchaos bridge subscribe`` does. What the shop did not deliver meanwhile is the
reconciler's job (it reads by keyset from its durable cursor).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from bridge.shop.client import ShopError, WooClient
from bridge.shop.webhooks import DEFAULT_TOPICS, ensure_webhooks, list_webhooks
from sapchaos.logs import get_logger

__all__ = ["WatcherMetrics", "WebhookWatcher"]

log = get_logger("bridge.webhook_watch")


@dataclass
class WatcherMetrics:
    registry: CollectorRegistry

    def __post_init__(self) -> None:
        r = self.registry
        self.inactive = Gauge(
            "bridge_webhooks_inactive",
            "Webhook topics found disabled, paused or missing at the last check (before any"
            " re-activation)",
            registry=r,
        )
        self.reactivations = Counter(
            "bridge_webhook_reactivations_total",
            "Webhooks re-activated or re-created by the bridge, by topic and what was found",
            ["topic", "found"],
            registry=r,
        )
        self.checks = Counter(
            "bridge_webhook_checks_total", "Webhook checks by outcome", ["outcome"], registry=r
        )


@dataclass
class WebhookWatcher:
    shop: WooClient
    delivery_url: str
    secret: str
    topics: Sequence[str] = DEFAULT_TOPICS
    interval_s: float = 60.0
    #: re-activate / re-create what is not active (False: only report)
    reactivate: bool = True
    metrics: WatcherMetrics | None = None
    clock: Callable[[], float] = time.time
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    #: topic → status found at the last check ("active", "disabled", "paused", "missing")
    last_seen: dict[str, str] = field(default_factory=dict)
    #: problems seen (one per topic and check) and fixes made since start
    incidents: int = 0
    reactivated: int = 0
    checks: int = 0
    failures: int = 0
    last_check_at: float | None = None
    last_error: str | None = None

    def _status(self, hooks: list[dict[str, Any]], topic: str) -> str:
        mine = [
            h
            for h in hooks
            if str(h.get("topic", "")).lower() == topic
            and str(h.get("delivery_url", "")) == self.delivery_url
        ]
        if not mine:
            return "missing"
        if any(str(h.get("status")) == "active" for h in mine):
            return "active"
        return str(mine[0].get("status") or "unknown")

    async def check_once(self) -> dict[str, str]:
        """One check; returns topic → status found (before any re-activation)."""
        hooks = await list_webhooks(self.shop)
        found = {t: self._status(hooks, t) for t in self.topics}
        bad = {t: s for t, s in found.items() if s != "active"}
        for topic, status in bad.items():
            self.incidents += 1
            log.warning(
                "webhook_inactive",
                topic=topic,
                status=status,
                delivery_url=self.delivery_url,
                action="reactivate" if self.reactivate else "report",
            )
        if bad and self.reactivate:
            actions = await ensure_webhooks(self.shop, self.delivery_url, self.secret, list(bad))
            for a in actions:
                if a.action in ("created", "updated"):
                    self.reactivated += 1
                    if self.metrics is not None:
                        self.metrics.reactivations.labels(a.topic, bad[a.topic]).inc()
                    log.warning("webhook_reactivated", topic=a.topic, id=a.id, was=bad[a.topic])
        self.last_seen = found
        self.checks += 1
        self.last_check_at = self.clock()
        if self.metrics is not None:
            self.metrics.inactive.set(len(bad))
            self.metrics.checks.labels("inactive" if bad else "ok").inc()
        return found

    async def run(self) -> None:
        """Check every ``interval_s``; the first check one interval after start, so the
        ``sapchaos bridge subscribe`` of a deployment comes before it."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), self.interval_s)
        while not self.stop.is_set():
            try:
                await self.check_once()
                self.last_error = None
            except (ShopError, OSError, TimeoutError) as exc:
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                if self.metrics is not None:
                    self.metrics.checks.labels("failed").inc()
                log.warning("webhook_check_failed", error=self.last_error)
            except Exception:
                self.failures += 1
                log.exception("webhook_watch_bug")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), self.interval_s)

    def stats(self) -> dict[str, Any]:
        return {
            "topics": dict(self.last_seen),
            "reactivate": self.reactivate,
            "incidents": self.incidents,
            "reactivated": self.reactivated,
            "checks": self.checks,
            "failures": self.failures,
            "last_check_at": self.last_check_at,
            "last_error": self.last_error,
        }
