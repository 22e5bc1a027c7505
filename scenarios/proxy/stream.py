"""Chunks, end markers and the cancellation-safe channel that joins pipeline stages.

Toxiproxy moves data between toxics as timestamped chunks over Go channels; a closed
channel means the side closed. Here a chunk carries its arrival time (event-loop clock),
and an explicit end marker says whether the close is graceful (FIN) or a reset (RST).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(slots=True)
class Chunk:
    """A piece of the byte stream and the loop time it (virtually) arrived at."""

    data: bytes
    at: float


@dataclass(frozen=True, slots=True)
class End:
    """The stream ends here: gracefully (FIN) or with a reset (RST, SO_LINGER 0)."""

    reset: bool = False


EOF = End(reset=False)
RESET = End(reset=True)

Item = Chunk | End


class Outlet(Protocol):
    """Where a stage writes: the next stage's channel, or the sink to the socket."""

    def put(self, item: Item) -> None: ...


class Channel:
    """An unbounded FIFO between two stages that never loses an item on cancellation.

    An item leaves the deque only when the reading task actually resumes, so cancelling
    a reader (to interrupt a toxic) leaves every unread item in place. ``on_size`` is
    told the change in buffered bytes, which drives backpressure on the source socket.
    """

    __slots__ = ("_items", "_on_size", "_waiter")

    def __init__(self, on_size: Callable[[int], None]) -> None:
        self._items: deque[Item] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._on_size = on_size

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: Item) -> None:
        self._items.append(item)
        if isinstance(item, Chunk):
            self._on_size(len(item.data))
        self._wake()

    def push_front(self, items: Iterable[Item]) -> None:
        """Return items (oldest first) to the head of the queue, ahead of newer data."""
        for item in reversed(list(items)):
            self._items.appendleft(item)
            if isinstance(item, Chunk):
                self._on_size(len(item.data))
        self._wake()

    def drain(self) -> list[Item]:
        """Take every buffered item at once (used when a stage is removed)."""
        items = list(self._items)
        self._items.clear()
        self._on_size(-sum(len(i.data) for i in items if isinstance(i, Chunk)))
        return items

    async def get(self) -> Item:
        while not self._items:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                if self._waiter is waiter:
                    self._waiter = None
        item = self._items.popleft()
        if isinstance(item, Chunk):
            self._on_size(-len(item.data))
        return item

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
