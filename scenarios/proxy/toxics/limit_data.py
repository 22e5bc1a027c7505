"""``limit_data``: the connection closes once ``bytes`` have passed in this direction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from scenarios.proxy.toxics.base import Stub, Toxic


@dataclass
class LimitDataState:
    transmitted: int = 0


@dataclass
class LimitDataToxic(Toxic):
    """Toxiproxy's limit_data toxic: forwards at most ``bytes`` bytes (counted per
    connection and direction, kept across updates of the toxic), then closes."""

    type_name: ClassVar[str] = "limit_data"
    bytes: int = 0

    def new_state(self) -> Any:
        return LimitDataState()

    async def pipe(self, stub: Stub) -> None:
        state: LimitDataState = stub.state
        while (chunk := await stub.read()) is not None:
            remaining = max(self.bytes - state.transmitted, 0)
            passed = min(remaining, len(chunk.data))
            if passed > 0:
                stub.send(passed)
                state.transmitted += passed
            stub.drop()
            if self.bytes - state.transmitted <= 0:
                break
        stub.close()
