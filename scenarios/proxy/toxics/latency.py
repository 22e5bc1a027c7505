"""``latency``: every chunk is delayed by ``latency`` ± ``jitter`` milliseconds."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import ClassVar

from scenarios.proxy.toxics.base import Stub, Toxic


@dataclass
class LatencyToxic(Toxic):
    """Toxiproxy's latency toxic: each chunk leaves ``latency`` ms (± uniform jitter)
    after it arrived, so a burst is not delayed cumulatively."""

    type_name: ClassVar[str] = "latency"
    latency: int = 0
    jitter: int = 0

    def delay_ms(self, stub: Stub) -> int:
        delay = self.latency
        if self.jitter > 0:
            delay += stub.rng.randrange(self.jitter * 2) - self.jitter
        return delay

    async def pipe(self, stub: Stub) -> None:
        loop = asyncio.get_running_loop()
        while (chunk := await stub.read()) is not None:
            due = chunk.at + self.delay_ms(stub) / 1000.0
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
                chunk.at = due
            stub.send()
        stub.close()
