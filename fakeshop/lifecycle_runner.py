"""Drives orders through their lifecycle over time (paid, on hold, cancelled, refunded):
each step is saved through :meth:`ShopState.commit_order`, the same path as a REST PUT,
so it fires ``order.updated`` exactly as a payment callback or an admin edit would."""

from __future__ import annotations

import asyncio
import copy
import importlib
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fakeshop.store import ShopState
from sapchaos.logs import get_logger

log = get_logger("fakeshop.lifecycle")

#: plan_lifecycle(rng, mix) -> steps with ``.action`` and ``.after_s``
Planner = Callable[[random.Random, Any], list[Any]]
#: apply_step(order, step, now, rng, refund_id, *, next_item_id) -> result with ``.order``
#: and ``.refund``; refund items take their ids from ``next_item_id`` (the shop's sequence)
Applier = Callable[..., Any]
#: builds the planner's mix object from the JSON the load API receives
MixFactory = Callable[[dict[str, Any]], Any]


def default_lifecycle() -> tuple[Planner, Applier, MixFactory]:
    """The generator engineer's ``fakeshop.lifecycle`` (imported when first needed)."""
    lifecycle = importlib.import_module("fakeshop.lifecycle")

    def mix_factory(data: dict[str, Any]) -> Any:
        return lifecycle.LifecycleMix(**data)

    return lifecycle.plan_lifecycle, lifecycle.apply_step, mix_factory


class LifecycleRunner:
    """One asyncio task per order, sleeping ``after_s`` between its steps."""

    def __init__(
        self,
        state: ShopState,
        seed: int,
        lifecycle: tuple[Planner, Applier, MixFactory] | None = None,
        time_scale: float = 1.0,
    ) -> None:
        self.state = state
        self.rng = random.Random(seed ^ 0x5EED)
        self._lifecycle = lifecycle
        self.time_scale = time_scale
        self.tasks: set[asyncio.Task[None]] = set()
        self.steps_applied = 0
        self.steps_skipped = 0

    @property
    def lifecycle(self) -> tuple[Planner, Applier, MixFactory]:
        if self._lifecycle is None:
            self._lifecycle = default_lifecycle()
        return self._lifecycle

    def mix(self, data: dict[str, Any] | None) -> Any:
        return self.lifecycle[2](dict(data or {}))

    def start(self, order_id: int, mix: Any) -> None:
        planner = self.lifecycle[0]
        steps = planner(self.rng, mix)
        task = asyncio.get_running_loop().create_task(self._run(order_id, steps))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, order_id: int, steps: list[Any]) -> None:
        for step in steps:
            await asyncio.sleep(max(0.0, float(step.after_s)) * self.time_scale)
            if not self.apply(order_id, step):
                return

    def apply(self, order_id: int, step: Any) -> bool:
        """Apply one step now; False (and the rest of the plan skipped) when the order has
        moved somewhere the step no longer fits, e.g. a bridge put it on hold meanwhile."""
        rec = self.state.orders.get(order_id)
        if rec is None or rec.deleted or rec.trashed:
            return False
        applier = self.lifecycle[1]
        now = datetime.fromtimestamp(self.state.now(), UTC)
        prev = str(rec.order.get("status"))
        refund_id = self.state.next_post_id() if str(step.action).startswith("refund") else 0
        try:
            result = applier(
                copy.deepcopy(rec.order),
                step,
                now,
                self.rng,
                refund_id,
                next_item_id=self.state.next_item_id,
            )
        except ValueError as exc:  # LifecycleError / RefundError
            log.info(
                "lifecycle_step_skipped", order_id=order_id, action=step.action, reason=str(exc)
            )
            self.steps_skipped += 1
            return False
        if result.refund:
            self.state.refunds.setdefault(order_id, []).append(dict(result.refund))
        self.steps_applied += 1
        self.state.commit_order(rec, result.order, "lifecycle", prev)
        return True

    async def drain(self) -> None:
        while self.tasks:
            await asyncio.wait(list(self.tasks))

    async def close(self) -> None:
        for t in list(self.tasks):
            t.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
