"""``timeout``: no data passes; the connection is closed after ``timeout`` ms (never if 0)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import ClassVar

from scenarios.proxy.toxics.base import Stub, Toxic


@dataclass
class TimeoutToxic(Toxic):
    """Toxiproxy's timeout toxic: data is swallowed; with ``timeout`` > 0 the connection
    closes that long after the toxic started; removing the toxic closes the connection."""

    type_name: ClassVar[str] = "timeout"
    timeout: int = 0

    async def pipe(self, stub: Stub) -> None:
        if self.timeout > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._swallow(stub), self.timeout / 1000.0)
        else:
            await self._swallow(stub)
        stub.close()

    @staticmethod
    async def _swallow(stub: Stub) -> None:
        while await stub.read() is not None:
            stub.drop()

    def on_remove(self, stub: Stub) -> bool:
        stub.close()
        return True
