"""Key figures of the whole bridge (all processes sharing the store), for ``/metrics``
and the dashboard's live panel.

Counters kept in one process cannot say how big the backlog is when five processes share
one PostgreSQL store, so these figures are read from the store at each refresh (a scrape,
a dashboard poll) and set on gauges. Completed orders seen since the last refresh are
observed into the time-to-acknowledge histograms once per process.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bridge.metrics import Metrics
from bridge.store.base import JOB_STATUSES, Store
from bridge.store.program import TTA_OPS

WINDOW_S = 60.0


@dataclass
class Figures:
    """Refreshes ``metrics`` from ``store``; ``last`` is the dashboard's key-figures dict."""

    store: Store
    metrics: Metrics
    clock: Callable[[], float] = time.time
    since: float = field(default=0.0)
    #: the shop's webhooks as ``WebhookWatch.status`` reports them (WooCommerce mode)
    webhooks: Callable[[], Awaitable[dict[str, Any]]] | None = None
    last: dict[str, Any] = field(default_factory=dict)
    _recent: deque[float] = field(default_factory=deque)
    _tta: dict[str, deque[float]] = field(
        default_factory=lambda: {"sap": deque(maxlen=2000), "shop": deque(maxlen=2000)}
    )

    def __post_init__(self) -> None:
        if not self.since:
            self.since = self.clock()  # history before this process started is not re-counted

    async def refresh(self) -> dict[str, Any]:
        now = self.clock()
        counts = await self.store.counts()
        extra = await self.store.ops_figures(self.since)
        m = self.metrics
        jobs = counts.get("jobs", {})
        for state in JOB_STATUSES:
            m.jobs.labels(state).set(jobs.get(state, 0))
        backlog = sum(jobs.get(s, 0) for s in ("pending", "retrying", "claimed"))
        m.backlog.set(backlog)
        m.dlq_size.set(counts.get("dlq_unreplayed", 0))
        done, dead = jobs.get("done", 0), jobs.get("dead", 0)
        ratio = done / (done + dead) if done + dead else 1.0
        m.success_ratio.set(ratio)
        oldest_pub = extra["oldest_unpublished_at"]
        oldest_due = extra["oldest_due_at"]
        publish_lag = max(0.0, now - oldest_pub) if oldest_pub is not None else 0.0
        consume_lag = max(0.0, now - oldest_due) if oldest_due is not None else 0.0
        m.publish_lag.set(publish_lag)
        m.consume_lag.set(consume_lag)
        for op, seconds, at in extra["tta"]:
            leg = TTA_OPS[op]
            m.tta.labels(leg).observe(seconds)
            self._tta[leg].append(seconds)
            if leg == "sap":
                m.processed.inc()
                self._recent.append(at)
            self.since = max(self.since, at)
        while self._recent and self._recent[0] < now - WINDOW_S:
            self._recent.popleft()
        m.processed_per_minute.set(len(self._recent))
        hooks = await self.webhooks() if self.webhooks is not None else None
        if hooks is not None and hooks.get("disabled") is not None:
            m.webhooks_disabled.set(hooks["disabled"])
        self.last = {
            "at": now,
            "jobs": jobs,
            "backlog": backlog,
            "retrying": jobs.get("retrying", 0),
            "dlq": counts.get("dlq_unreplayed", 0),
            "quarantine": counts.get("quarantine", 0),
            "processed_per_minute": len(self._recent),
            "success_ratio": round(ratio, 4),
            "publish_lag_s": round(publish_lag, 3),
            "consume_lag_s": round(consume_lag, 3),
            "tta_sap": _percentiles(self._tta["sap"]),
            "tta_shop": _percentiles(self._tta["shop"]),
            "webhooks": hooks,
        }
        return self.last


def _percentiles(values: deque[float]) -> dict[str, float | None]:
    """p50/p95 of the recent samples (nearest rank), seconds."""
    if not values:
        return {"p50": None, "p95": None, "n": 0}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.5) - 1))], 3)

    return {"p50": rank(0.5), "p95": rank(0.95), "n": len(ordered)}
