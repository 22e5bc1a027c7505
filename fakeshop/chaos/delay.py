"""Delay: a backed-up WP-Cron / Action Scheduler queue delivers late."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import Any

from fakeshop.chaos.plan import DeliveryPlan
from fakeshop.chaos.settings import ChaosSettings


def draw_delay_s(spec: dict[str, Any], rng: Random) -> float:
    dist = spec.get("dist", "none")
    if dist == "fixed":
        return float(spec.get("ms", 0)) / 1000
    if dist == "uniform":
        return rng.uniform(float(spec.get("min_ms", 0)), float(spec.get("max_ms", 0))) / 1000
    if dist == "exponential":
        mean = float(spec.get("mean_ms", 0))
        return rng.expovariate(1 / mean) / 1000 if mean > 0 else 0.0
    return 0.0


@dataclass(frozen=True)
class Delay:
    name: str = "delayed"

    def apply(self, plan: DeliveryPlan, settings: ChaosSettings, rng: Random) -> None:
        if settings.delay.get("dist", "none") == "none":
            return
        for c in plan.copies:
            d = draw_delay_s(settings.delay, rng)
            if d > 0:
                c.delay_s += d
                c.chaos.append(self.name)
