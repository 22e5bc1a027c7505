"""Retry policy: exponential backoff with full jitter, bounded by attempts and age.

Real Service Layer outages last seconds to minutes; full jitter (AWS architecture blog's
"Exponential Backoff And Jitter") spreads a backlog's retries so a recovering SL is not
hit by a synchronized wave. A ``Retry-After`` from a 429/503 is a floor, not a hint.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from bridge.config import RetryPolicy


@dataclass(frozen=True)
class RetryDecision:
    retry: bool
    delay_s: float
    reason: str


def backoff_delay(policy: RetryPolicy, attempt: int, rng: random.Random) -> float:
    """Full jitter: uniform(0, min(cap, base * 2**(attempt-1))); ``attempt`` counts from 1."""
    ceiling = min(policy.cap_s, policy.base_s * (2 ** max(0, attempt - 1)))
    return rng.uniform(0.0, ceiling)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); None when absent/invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def decide(
    policy: RetryPolicy,
    attempt: int,
    age_s: float,
    rng: random.Random,
    retry_after_s: float | None = None,
) -> RetryDecision:
    """Whether a transient failure on attempt number ``attempt`` may retry, and after how long."""
    if attempt >= policy.max_attempts:
        return RetryDecision(False, 0.0, f"gave up after {attempt} attempts")
    delay = backoff_delay(policy, attempt, rng)
    if retry_after_s is not None:
        delay = max(delay, retry_after_s)
    if age_s + delay > policy.max_age_s:
        return RetryDecision(False, 0.0, f"gave up: job older than {policy.max_age_s:.0f}s")
    return RetryDecision(True, delay, "transient")
