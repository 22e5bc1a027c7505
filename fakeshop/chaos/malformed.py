"""Malformed: a body cut short (a proxy or plugin mangling output) but signed as sent, so
it is authentic yet unparseable; a receiver should quarantine it, not drop it."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from fakeshop.chaos.plan import DeliveryPlan
from fakeshop.chaos.settings import ChaosSettings


@dataclass(frozen=True)
class Malformed:
    name: str = "malformed"

    def apply(self, plan: DeliveryPlan, settings: ChaosSettings, rng: Random) -> None:
        if settings.malformed_p <= 0:
            return
        for c in plan.copies:
            if rng.random() < settings.malformed_p:
                c.malformed = True
                c.cut = rng.random()
                c.chaos.append(self.name)


def mangle(body: bytes, fraction: float) -> bytes:
    """Cut the body somewhere in its second half (``fraction`` in [0, 1) says where):
    never valid JSON, never empty."""
    if len(body) < 4:
        return b"{"
    half = len(body) // 2
    return body[: half + int(fraction * (len(body) - 1 - half))]
