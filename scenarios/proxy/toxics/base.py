"""The tiny interface every toxic implements, and the stub it pipes through.

As in Toxiproxy, a toxic is a small object whose ``pipe`` reads chunks from its stub's
input and writes to its output; a stub can also close (FIN) or reset (RST) the stream.
The chunk being worked on is *held* by the stub, so interrupting a toxic (update or
removal on a live connection) never drops or reorders bytes.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from scenarios.proxy.stream import EOF, RESET, Channel, Chunk, End, Outlet


class Stub:
    """One toxic's view of one direction of one connection."""

    __slots__ = ("closed", "held", "input", "output", "rng", "state")

    def __init__(self, input: Channel, output: Outlet, rng: random.Random, state: Any) -> None:
        self.input = input
        self.output = output
        self.rng = rng
        self.state = state
        self.held: Chunk | None = None
        self.closed = False

    async def read(self) -> Chunk | None:
        """The next chunk (now held), or ``None`` when the source side has closed."""
        while True:
            item = await self.input.get()
            if isinstance(item, End):
                if item.reset:
                    self.reset()
                return None
            if item.data:
                self.held = item
                return item

    def send(self, size: int | None = None) -> None:
        """Forward the first ``size`` bytes of the held chunk (all when ``None``)."""
        held = self.held
        if held is None:
            return
        if size is None or size >= len(held.data):
            self.held = None
            self.output.put(held)
            return
        self.output.put(Chunk(held.data[:size], held.at))
        held.data = held.data[size:]

    def drop(self) -> None:
        """Discard the held chunk."""
        self.held = None

    def close(self) -> None:
        """End the stream gracefully: the destination socket is closed (FIN)."""
        if not self.closed:
            self.closed = True
            self.held = None
            self.output.put(EOF)

    def reset(self) -> None:
        """End the stream abruptly: both sockets are reset (SO_LINGER 0, RST)."""
        if not self.closed:
            self.closed = True
            self.held = None
            self.output.put(RESET)


async def sleep_ms(ms: float) -> None:
    if ms > 0:
        await asyncio.sleep(ms / 1000.0)


@dataclass
class Toxic:
    """Base class: subclasses are dataclasses whose fields are the toxic's attributes."""

    type_name: ClassVar[str] = ""

    def attributes(self) -> dict[str, Any]:
        return asdict(self)

    def new_state(self) -> Any:
        """Per-connection state that survives updates of the toxic (e.g. bytes counted)."""
        return None

    async def pipe(self, stub: Stub) -> None:
        """Pass everything through unchanged until the source closes."""
        while await stub.read() is not None:
            stub.send()
        stub.close()

    def on_remove(self, stub: Stub) -> bool:
        """Called when the toxic is removed from a live connection.

        Return ``True`` if the toxic ended the stream itself; otherwise the held and
        queued data flows on to the next stage.
        """
        return False
