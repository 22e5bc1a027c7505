"""``slow_close``: when the source closes, the close is passed on ``delay`` ms late."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from scenarios.proxy.toxics.base import Stub, Toxic, sleep_ms


@dataclass
class SlowCloseToxic(Toxic):
    """Toxiproxy's slow_close toxic: data flows normally; the FIN is delayed."""

    type_name: ClassVar[str] = "slow_close"
    delay: int = 0

    async def pipe(self, stub: Stub) -> None:
        while await stub.read() is not None:
            stub.send()
        await sleep_ms(self.delay)
        stub.close()
