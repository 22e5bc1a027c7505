"""What the engine decided for one event: its copies and what happens to each."""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random
from typing import Protocol

from fakeshop.chaos.settings import ChaosSettings


@dataclass
class CopyPlan:
    copy: int
    delay_s: float = 0.0
    chaos: list[str] = field(default_factory=list)
    drop: bool = False
    tamper: bool = False
    malformed: bool = False
    cut: float = 0.0  # where a malformed body is cut (drawn with the plan)


@dataclass
class DeliveryPlan:
    topic: str
    copies: list[CopyPlan] = field(default_factory=lambda: [CopyPlan(copy=1)])

    def add_copy(self, tag: str) -> CopyPlan:
        c = CopyPlan(copy=len(self.copies) + 1, chaos=[tag])
        self.copies.append(c)
        return c


class Knob(Protocol):
    """One chaos behaviour: look at the plan, draw from the shared RNG, change the plan."""

    @property
    def name(self) -> str: ...

    def apply(self, plan: DeliveryPlan, settings: ChaosSettings, rng: Random) -> None: ...
