"""Seeded chaos on top of faithful webhook delivery: one module per knob, one table."""

from __future__ import annotations

from random import Random

from fakeshop.chaos.burst import Burst
from fakeshop.chaos.copies import Copies
from fakeshop.chaos.delay import Delay
from fakeshop.chaos.drop import Drop
from fakeshop.chaos.malformed import Malformed
from fakeshop.chaos.plan import DeliveryPlan, Knob
from fakeshop.chaos.reorder import Reorder
from fakeshop.chaos.settings import ChaosSettings
from fakeshop.chaos.tamper import Tamper

#: every knob by name, in the order they shape a plan (copies first, then per-copy faults)
_ORDERED: tuple[Knob, ...] = (Burst(), Copies(), Delay(), Reorder(), Drop(), Tamper(), Malformed())
KNOBS: dict[str, Knob] = {k.name: k for k in _ORDERED}
#: knobs that apply to Magento events from the outbox (which never loses or forges)
EVENT_KNOBS = ("burst", "duplicate", "delayed", "reordered")


def make_plan(
    topic: str, settings: ChaosSettings, rng: Random, only: tuple[str, ...] | None = None
) -> DeliveryPlan:
    plan = DeliveryPlan(topic)
    for name, knob in KNOBS.items():
        if only is None or name in only:
            knob.apply(plan, settings, rng)
    return plan


__all__ = ["EVENT_KNOBS", "KNOBS", "ChaosSettings", "DeliveryPlan", "make_plan"]
