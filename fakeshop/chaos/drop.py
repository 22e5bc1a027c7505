"""Drop: the delivery never leaves the shop (a lost queue action, a disabled cron)."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from fakeshop.chaos.plan import DeliveryPlan
from fakeshop.chaos.settings import ChaosSettings


@dataclass(frozen=True)
class Drop:
    name: str = "dropped"

    def apply(self, plan: DeliveryPlan, settings: ChaosSettings, rng: Random) -> None:
        if settings.drop_p <= 0:
            return
        for c in plan.copies:
            if rng.random() < settings.drop_p:
                c.drop = True
                c.chaos.append(self.name)
