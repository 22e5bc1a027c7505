"""Circuit breakers per Service Layer endpoint (closed → open → half-open → closed).

During a partition every worker would otherwise keep hammering a dead SL and burn its
retry budget; an open breaker makes workers reschedule jobs without calling SAP and
without counting an attempt, so the backlog simply waits in the store.

The breaker judges a failure *rate* over a sliding time window (as resilience4j's
time-based window and Polly's advanced breaker do), not a run of consecutive errors: a
Service Layer that fails one call in five at random still books four in five, and opening
on five unlucky errors in a row — which at 200 calls/s happens every few seconds — would
stall all of them. The window is kept as per-second buckets, so memory and work per call
stay constant at any rate.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from bridge.config import BreakerPolicy


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class Window:
    """Calls and failures of the last ``span_s`` seconds, in one-second buckets."""

    span_s: float
    buckets: deque[list[int]] = field(default_factory=deque)  # [second, calls, failures]
    calls: int = 0
    failures: int = 0

    def _expire(self, now: float) -> None:
        oldest = int(now) - max(1, int(self.span_s)) + 1
        while self.buckets and self.buckets[0][0] < oldest:
            _, calls, failures = self.buckets.popleft()
            self.calls -= calls
            self.failures -= failures

    def add(self, now: float, ok: bool) -> None:
        self._expire(now)
        second = int(now)
        if not self.buckets or self.buckets[-1][0] != second:
            self.buckets.append([second, 0, 0])
        bucket = self.buckets[-1]
        bucket[1] += 1
        self.calls += 1
        if not ok:
            bucket[2] += 1
            self.failures += 1

    def clear(self) -> None:
        self.buckets.clear()
        self.calls = self.failures = 0


@dataclass
class Breaker:
    """One endpoint's breaker. ``allow()`` before a call, ``record(ok)`` after it."""

    policy: BreakerPolicy
    clock: Callable[[], float] = time.monotonic
    state: BreakerState = BreakerState.CLOSED
    opened_at: float = 0.0
    in_flight_probes: int = 0
    opens: int = 0
    #: failures in a row (any success resets it): a dead endpoint under heavy traffic
    #: opens the breaker in ``max(failure_threshold, min_calls)`` calls, not half a window
    consecutive: int = 0
    window: Window = field(init=False)

    def __post_init__(self) -> None:
        self.window = Window(self.policy.window_s)

    @property
    def failures(self) -> int:
        """Failed calls within the window."""
        return self.window.failures

    def _refresh(self) -> None:
        if self.state is BreakerState.OPEN and self.clock() - self.opened_at >= self.policy.open_s:
            self.state = BreakerState.HALF_OPEN
            self.in_flight_probes = 0

    def admits(self) -> bool:
        """Would ``allow()`` let a call through now? (Takes no half-open probe: a caller
        asks before it prepares a call, e.g. writes its ledger intent.)"""
        self._refresh()
        return self.state is BreakerState.CLOSED or (
            self.state is BreakerState.HALF_OPEN
            and self.in_flight_probes < self.policy.half_open_max_calls
        )

    def allow(self) -> bool:
        self._refresh()
        if self.state is BreakerState.CLOSED:
            return True
        if (
            self.state is BreakerState.HALF_OPEN
            and self.in_flight_probes < self.policy.half_open_max_calls
        ):
            self.in_flight_probes += 1
            return True
        return False

    def retry_in(self) -> float:
        """Seconds until the breaker lets a probe through (0 when closed)."""
        self._refresh()
        if self.state is BreakerState.OPEN:
            return max(0.0, self.policy.open_s - (self.clock() - self.opened_at))
        return 0.0 if self.state is BreakerState.CLOSED else self.policy.open_s / 4

    def record(self, ok: bool) -> None:
        if self.state is BreakerState.HALF_OPEN:
            if ok:  # the probe got through: a fresh start
                self.state = BreakerState.CLOSED
                self.consecutive = 0
                self.window.clear()
            else:
                self._open()
            self.in_flight_probes = 0
            return
        if self.state is BreakerState.OPEN:
            return  # a call admitted before the breaker opened: already judged
        self.window.add(self.clock(), ok)
        self.consecutive = 0 if ok else self.consecutive + 1
        w, p = self.window, self.policy
        if ok or w.failures < p.failure_threshold:
            return
        if (
            w.failures == w.calls
            or self.consecutive >= max(p.failure_threshold, p.min_calls)
            or (w.calls >= p.min_calls and w.failures >= p.failure_rate * w.calls)
        ):
            self._open()

    def _open(self) -> None:
        if self.state is not BreakerState.OPEN:
            self.opens += 1
        self.state = BreakerState.OPEN
        self.opened_at = self.clock()
        self.in_flight_probes = 0
        self.consecutive = 0
        self.window.clear()

    def release_probe(self) -> None:
        """A half-open probe ended without a verdict on the endpoint (e.g. a 400)."""
        if self.in_flight_probes:
            self.in_flight_probes -= 1


@dataclass
class BreakerBoard:
    """All breakers of one runtime, keyed by endpoint (``POST Orders``, ``GET Orders``…)."""

    policy: BreakerPolicy
    clock: Callable[[], float] = time.monotonic
    breakers: dict[str, Breaker] = field(default_factory=dict)

    def get(self, endpoint: str) -> Breaker:
        b = self.breakers.get(endpoint)
        if b is None:
            b = self.breakers[endpoint] = Breaker(self.policy, self.clock)
        return b

    def snapshot(self) -> dict[str, str]:
        for b in self.breakers.values():
            b._refresh()
        return {k: b.state.value for k, b in self.breakers.items()}
