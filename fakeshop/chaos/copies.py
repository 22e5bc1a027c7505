"""Copies: Action Scheduler re-runs an action, so a delivery repeats (1–5 copies)."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from fakeshop.chaos.plan import DeliveryPlan
from fakeshop.chaos.settings import ChaosSettings


@dataclass(frozen=True)
class Copies:
    name: str = "duplicate"

    def apply(self, plan: DeliveryPlan, settings: ChaosSettings, rng: Random) -> None:
        if set(settings.copies) == {1}:
            return
        counts = sorted(settings.copies)
        n = rng.choices(counts, weights=[settings.copies[c] for c in counts])[0]
        for _ in range(n - 1):
            plan.add_copy(self.name)
