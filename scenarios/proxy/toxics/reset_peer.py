"""``reset_peer``: on the next data, wait ``timeout`` ms then reset the connection (RST)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from scenarios.proxy.toxics.base import Stub, Toxic, sleep_ms


@dataclass
class ResetPeerToxic(Toxic):
    """Toxiproxy's reset_peer toxic: the first chunk (or close) triggers it; data is
    dropped and both sockets are closed with SO_LINGER 0, so peers see ECONNRESET."""

    type_name: ClassVar[str] = "reset_peer"
    timeout: int = 0

    async def pipe(self, stub: Stub) -> None:
        await stub.read()
        stub.drop()
        await sleep_ms(self.timeout)
        stub.reset()
