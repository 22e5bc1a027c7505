"""``slicer``: chunks are cut into ``average_size`` ± ``size_variation`` byte writes,
``delay`` microseconds apart."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import ClassVar

from scenarios.proxy.toxics.base import Stub, Toxic


@dataclass
class SlicerToxic(Toxic):
    """Toxiproxy's slicer toxic: a chunk is halved recursively (midpoint moved by up to
    ± size_variation) until pieces are at most average_size + size_variation bytes."""

    type_name: ClassVar[str] = "slicer"
    average_size: int = 0
    size_variation: int = 0
    delay: int = 0

    def sizes(self, length: int, rng: random.Random) -> list[int]:
        cuts: list[int] = []
        self._cut(0, length, rng, cuts)
        return cuts

    def _cut(self, start: int, end: int, rng: random.Random, out: list[int]) -> None:
        if (end - start) - self.average_size <= self.size_variation or end - start <= 1:
            out.append(end - start)
            return
        mid = start + (end - start) // 2
        if self.size_variation > 0:
            mid += rng.randrange(self.size_variation * 2) - self.size_variation
        mid = min(max(mid, start + 1), end - 1)
        self._cut(start, mid, rng, out)
        self._cut(mid, end, rng, out)

    async def pipe(self, stub: Stub) -> None:
        while (chunk := await stub.read()) is not None:
            for size in self.sizes(len(chunk.data), stub.rng):
                stub.send(size)
                if self.delay > 0:
                    await asyncio.sleep(self.delay / 1_000_000)
        stub.close()
