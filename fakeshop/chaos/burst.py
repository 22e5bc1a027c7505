"""Burst: one checkout fires several ``order.updated`` (payment callback, status change,
stock reduction are separate requests), so one save arrives 2..N times."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from fakeshop.chaos.plan import DeliveryPlan
from fakeshop.chaos.settings import ChaosSettings


@dataclass(frozen=True)
class Burst:
    name: str = "burst"

    def apply(self, plan: DeliveryPlan, settings: ChaosSettings, rng: Random) -> None:
        if plan.topic != "order.updated" or settings.burst_p <= 0:
            return
        if rng.random() < settings.burst_p:
            for _ in range(rng.randint(2, settings.burst_max) - 1):
                plan.add_copy(self.name)
