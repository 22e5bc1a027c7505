"""``latency``: the reply comes late, then normally.

Imitates an SL under load: document adds take 200 ms to several seconds, with the long
right tail real response times have (log-normal fitted to a p50 and a p95).
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Mapping
from typing import Any, ClassVar

from aiohttp import web

from fakesap.faults.base import (
    CallbackEffect,
    FaultBase,
    FaultContext,
    FaultParamError,
    Handler,
    Params,
    Phase,
)

#: z-score of the 95th percentile of the standard normal distribution
Z95 = 1.6448536269514722


class Latency(FaultBase):
    """Delay the call by a sample of ``fixed`` / ``uniform`` / ``lognormal`` (ms), then run it."""

    kind: ClassVar[str] = "latency"
    phase: ClassVar[Phase] = "delay"
    callback_effect: ClassVar[CallbackEffect] = "delay"

    def __init__(self, raw: Mapping[str, Any]) -> None:
        p = Params(
            self.kind, raw, {"distribution", "ms", "min_ms", "max_ms", "p50_ms", "p95_ms", "cap_ms"}
        )
        self.distribution = p.choice("distribution", "fixed", ("fixed", "uniform", "lognormal"))
        self.cap_ms = p.number("cap_ms", None)
        if self.distribution == "fixed":
            self.ms = p.required_number("ms", 100.0)
        elif self.distribution == "uniform":
            self.min_ms = p.required_number("min_ms", 0.0)
            self.max_ms = p.required_number("max_ms", 100.0)
            if self.max_ms < self.min_ms:
                raise FaultParamError("latency: max_ms must be >= min_ms")
        else:
            p50 = p.required_number("p50_ms", 200.0)
            p95 = p.required_number("p95_ms", 1000.0)
            if p50 <= 0 or p95 < p50:
                raise FaultParamError("latency: lognormal needs 0 < p50_ms <= p95_ms")
            self.mu = math.log(p50)
            self.sigma = (math.log(p95) - math.log(p50)) / Z95

    def sample_ms(self, rng: random.Random) -> float:
        if self.distribution == "fixed":
            value = self.ms
        elif self.distribution == "uniform":
            value = rng.uniform(self.min_ms, self.max_ms)
        else:
            value = rng.lognormvariate(self.mu, self.sigma) if self.sigma > 0 else math.exp(self.mu)
        return value if self.cap_ms is None else min(value, self.cap_ms)

    def callback_delay_s(self, rng: random.Random) -> float:
        return self.sample_ms(rng) / 1000.0

    async def apply(self, ctx: FaultContext, call_next: Handler) -> web.StreamResponse:
        delay_ms = self.sample_ms(ctx.rng)
        ctx.info["delay_ms"] = round(delay_ms, 3)
        await asyncio.sleep(delay_ms / 1000.0)
        return await call_next(ctx.request)
