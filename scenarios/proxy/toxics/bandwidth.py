"""``bandwidth``: the stream is limited to ``rate`` KB/s (1 KB = 1000 bytes)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import ClassVar

from scenarios.proxy.toxics.base import Stub, Toxic


@dataclass
class BandwidthToxic(Toxic):
    """Toxiproxy's bandwidth toxic: each chunk costs len/rate ms; chunks larger than
    100 ms worth of data are released in 100 ms slices. ``rate`` 0 means unlimited."""

    type_name: ClassVar[str] = "bandwidth"
    rate: int = 0

    async def pipe(self, stub: Stub) -> None:
        loop = asyncio.get_running_loop()
        debt = 0.0  # seconds of sending time owed, carried between chunks
        while (chunk := await stub.read()) is not None:
            if self.rate <= 0:
                debt = 0.0
                stub.send()
                continue
            debt += len(chunk.data) / (self.rate * 1000.0)
            slice_size = self.rate * 100
            while stub.held is not None and len(stub.held.data) > slice_size:
                await asyncio.sleep(0.1)
                stub.send(slice_size)
                debt -= 0.1
            started = loop.time()
            if debt > 0:
                await asyncio.sleep(debt)
            debt -= loop.time() - started
            stub.send()
        stub.close()
