"""Reorder: async queue runners and concurrent requests let a later event overtake an
earlier one (``order.updated`` before ``order.created``)."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from fakeshop.chaos.plan import DeliveryPlan
from fakeshop.chaos.settings import ChaosSettings


@dataclass(frozen=True)
class Reorder:
    name: str = "reordered"

    def apply(self, plan: DeliveryPlan, settings: ChaosSettings, rng: Random) -> None:
        if settings.reorder_p <= 0 or settings.reorder_window_ms <= 0:
            return
        for c in plan.copies:
            if rng.random() < settings.reorder_p:
                c.delay_s += rng.uniform(0, settings.reorder_window_ms) / 1000
                c.chaos.append(self.name)
