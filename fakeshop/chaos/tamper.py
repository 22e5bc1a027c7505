"""Tamper: the signature header does not match the body (a forged or corrupted request),
which a receiver must refuse with 401 and not store."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from fakeshop.chaos.plan import DeliveryPlan
from fakeshop.chaos.settings import ChaosSettings


@dataclass(frozen=True)
class Tamper:
    name: str = "tampered"

    def apply(self, plan: DeliveryPlan, settings: ChaosSettings, rng: Random) -> None:
        if settings.tamper_p <= 0:
            return
        for c in plan.copies:
            if rng.random() < settings.tamper_p:
                c.tamper = True
                c.chaos.append(self.name)
