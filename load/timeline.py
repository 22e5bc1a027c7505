"""The load shapes' timelines as pure functions (no Locust import, so ``sapchaos load`` and
the tests can use them without gevent patching their process).

Each shape maps (peak users, spawn rate, run time, elapsed seconds) to the (users, spawn
rate) Locust should run now; ``load/shapes.py`` drives the chosen one and the drain after it.
"""

from __future__ import annotations

from collections.abc import Callable

#: partition shapes → the proxied link they cut (Toxiproxy proxy names of the stack)
PARTITION_LINKS = {"partition": "bridge_to_sap", "partition-ingress": "shop_to_bridge"}

#: name → (users, spawn rate, run time, elapsed) → (users, spawn rate)
ShapeFn = Callable[[int, float, float, float], tuple[int, float]]


def steady(users: int, rate: float, run_time: float, t: float) -> tuple[int, float]:
    return users, rate


def ramp(users: int, rate: float, run_time: float, t: float) -> tuple[int, float]:
    return max(1, min(users, round(users * t / (0.8 * run_time)) + 1)), rate


def spike(users: int, rate: float, run_time: float, t: float) -> tuple[int, float]:
    if 0.4 * run_time <= t < 0.6 * run_time:
        return users, max(rate, float(users))
    return max(1, users // 4), max(rate, float(users))


SHAPES: dict[str, ShapeFn] = {
    "steady": steady,
    "ramp": ramp,
    "spike": spike,
    "partition": steady,
    "partition-ingress": steady,
}
