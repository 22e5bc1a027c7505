"""``/__admin/load``: a paced order stream (orders per second for a duration, each with a
lifecycle from the mix) so Locust and scenarios can drive realistic shop traffic."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from fakeshop.lifecycle_runner import LifecycleRunner
from fakeshop.store import ShopState
from sapchaos.logs import get_logger

log = get_logger("fakeshop.load")


@dataclass
class LoadRun:
    rate: float
    duration_s: float
    mix: dict[str, Any] | None
    lifecycle: bool
    started_at: float
    created: int = 0
    order_ids: list[int] = field(default_factory=list)
    state: str = "running"  # running | finished | stopped | failed
    error: str | None = None

    @property
    def target(self) -> int:
        return round(self.rate * self.duration_s)

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "rate": self.rate,
            "duration_s": self.duration_s,
            "mix": self.mix,
            "lifecycle": self.lifecycle,
            "created": self.created,
            "target": self.target,
            "first_order_id": self.order_ids[0] if self.order_ids else None,
            "last_order_id": self.order_ids[-1] if self.order_ids else None,
            "error": self.error,
        }


class LoadController:
    """At most one load run at a time; a new POST replaces a finished one."""

    def __init__(self, state: ShopState, runner: LifecycleRunner) -> None:
        self.state = state
        self.runner = runner
        self.run: LoadRun | None = None
        self.task: asyncio.Task[None] | None = None

    def start(
        self, rate: float, duration_s: float, mix: dict[str, Any] | None, lifecycle: bool
    ) -> LoadRun:
        if self.task is not None and not self.task.done():
            raise RuntimeError("a load run is already running; DELETE /__admin/load first")
        mix_obj = self.runner.mix(mix) if lifecycle else None
        self.run = LoadRun(rate, duration_s, mix, lifecycle, time.monotonic())
        self.task = asyncio.get_running_loop().create_task(self._drive(self.run, mix_obj))
        return self.run

    async def _drive(self, run: LoadRun, mix: Any) -> None:
        interval = 1.0 / run.rate
        start = time.monotonic()
        try:
            for i in range(run.target):
                # pace against the start time, so a slow iteration does not lower the rate
                delay = start + i * interval - time.monotonic()
                # behind schedule: still yield, so a rate the machine cannot keep up with
                # does not starve the server (or the DELETE that stops the run)
                await asyncio.sleep(max(delay, 0.0))
                order = self.state.create_order(source="load")
                run.created += 1
                run.order_ids.append(int(order["id"]))
                if run.lifecycle:
                    self.runner.start(int(order["id"]), mix)
            run.state = "finished"
        except asyncio.CancelledError:
            run.state = "stopped"
            raise
        except Exception as exc:  # a generator bug must show in GET, not vanish
            run.state = "failed"
            run.error = f"{type(exc).__name__}: {exc}"
            log.exception("load_failed")

    async def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
