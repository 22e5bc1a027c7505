"""Circuit breakers per Service Layer endpoint (closed → open → half-open → closed).

During a partition every worker would otherwise keep hammering a dead SL and burn its
retry budget; an open breaker makes workers reschedule jobs without calling SAP and
without counting an attempt, so the backlog simply waits in the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from bridge.config import BreakerPolicy


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class Breaker:
    """One endpoint's breaker. ``allow()`` before a call, ``record(ok)`` after it."""

    policy: BreakerPolicy
    clock: Callable[[], float] = time.monotonic
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opened_at: float = 0.0
    in_flight_probes: int = 0
    opens: int = 0

    def _refresh(self) -> None:
        if self.state is BreakerState.OPEN and self.clock() - self.opened_at >= self.policy.open_s:
            self.state = BreakerState.HALF_OPEN
            self.in_flight_probes = 0

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
        if ok:
            self.state = BreakerState.CLOSED
            self.failures = 0
            self.in_flight_probes = 0
            return
        self.failures += 1
        if self.state is BreakerState.HALF_OPEN or self.failures >= self.policy.failure_threshold:
            if self.state is not BreakerState.OPEN:
                self.opens += 1
            self.state = BreakerState.OPEN
            self.opened_at = self.clock()
            self.in_flight_probes = 0

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
