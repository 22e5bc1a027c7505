"""The breaker judges a failure rate over a sliding window, not a run of consecutive errors."""

from __future__ import annotations

import random

from bridge.breaker import Breaker, BreakerState
from bridge.config import BreakerPolicy


def test_random_errors_at_a_fifth_never_open_it_at_200_calls_per_second() -> None:
    now = [0.0]
    b = Breaker(BreakerPolicy(), clock=lambda: now[0])
    rng = random.Random(7)
    longest_run = run = 0
    for i in range(12_000):  # 60 s at 200 calls/s
        now[0] = i / 200
        assert b.allow()
        ok = rng.random() >= 0.2
        run = 0 if ok else run + 1
        longest_run = max(longest_run, run)
        b.record(ok)
    assert longest_run >= 5  # the old rule (5 consecutive failures) would have opened
    assert b.opens == 0 and b.state is BreakerState.CLOSED


def test_an_outage_opens_it_after_threshold_failures_even_at_one_call_per_second() -> None:
    now = [0.0]
    b = Breaker(BreakerPolicy(failure_threshold=5, window_s=10), clock=lambda: now[0])
    for i in range(30):  # every call fails: the window holds only failures
        now[0] = float(i)
        if not b.allow():
            break
        b.record(False)
    assert b.state is BreakerState.OPEN and b.opens == 1 and now[0] == 5


def test_an_outage_after_healthy_traffic_opens_it_after_min_calls_failures_in_a_row() -> None:
    now = [0.0]
    b = Breaker(BreakerPolicy(failure_threshold=5, min_calls=20), clock=lambda: now[0])
    for i in range(2000):  # 10 s of healthy traffic at 200 calls/s fill the window
        now[0] = i / 200
        b.record(True)
    calls = 0
    while b.allow():
        now[0] = 10 + calls / 200
        b.record(False)
        calls += 1
    # 20 failures in a row, a tenth of a second: not half a window of waiting
    assert b.state is BreakerState.OPEN and calls == 20


def test_a_failure_rate_of_half_the_window_opens_it_without_a_long_run() -> None:
    now = [0.0]
    b = Breaker(BreakerPolicy(failure_threshold=5, window_s=10), clock=lambda: now[0])
    for i in range(500):  # 10 s of healthy traffic at 50 calls/s
        now[0] = i / 50
        b.record(True)
    calls = 0
    while b.allow():  # from now on two calls in three fail, never 20 in a row
        now[0] = 10 + calls / 50
        b.record(calls % 3 == 0)
        calls += 1
    # failures must make half of the 10 s window: some seconds at a steady rate
    assert b.state is BreakerState.OPEN and 5 <= now[0] - 10 <= 9


def test_failures_older_than_the_window_do_not_count() -> None:
    now = [0.0]
    b = Breaker(BreakerPolicy(failure_threshold=3, window_s=5), clock=lambda: now[0])
    for t in (0, 6, 12, 18):  # one failure every 6 s: never 3 within 5 s
        now[0] = t
        b.record(False)
        b.record(False)
    assert b.state is BreakerState.CLOSED and b.failures == 2
    b.record(False)
    assert b.state is BreakerState.OPEN


def test_rate_below_the_threshold_keeps_it_closed_then_a_burst_of_failures_opens_it() -> None:
    now = [100.0]
    b = Breaker(BreakerPolicy(failure_threshold=5, failure_rate=0.5), clock=lambda: now[0])
    for _ in range(10):
        b.record(True)
    for _ in range(9):
        b.record(False)  # 9 of 19: below half
    assert b.state is BreakerState.CLOSED
    b.record(False)  # 10 of 20: half
    assert b.state is BreakerState.OPEN


def test_admits_does_not_take_the_half_open_probe_and_late_results_are_ignored() -> None:
    now = [0.0]
    b = Breaker(BreakerPolicy(failure_threshold=2, open_s=1), clock=lambda: now[0])
    b.record(False)
    b.record(False)
    assert not b.admits() and not b.allow()
    b.record(True)  # a call admitted before it opened answers late: still open
    assert b.state is BreakerState.OPEN
    now[0] = 1.5
    assert b.admits() and b.admits()
    assert b.allow() and not b.admits() and not b.allow()
    b.record(True)
    assert b.state is BreakerState.CLOSED and b.failures == 0
