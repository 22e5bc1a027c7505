"""Group commit: several concurrent webhook requests share one store transaction.

WooCommerce waits for our 200 (up to 60 s) and each answer promises durability, so a
request is answered only after *its* transaction committed. Collecting the requests that
arrive within a few milliseconds into one transaction turns N fsyncs into one under load
without weakening that promise.

The window is only waited while requests come concurrently (the previous batch held more
than one): a lone delivery, as at a steady few hundred orders/s, commits at once instead
of paying the window in its time-to-acknowledge. Requests that arrive while a commit is
under way form the next batch in any case.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class GroupCommitter(Generic[T, R]):
    """Batches ``submit`` calls; ``commit(items)`` must return one result per item, in order."""

    commit: Callable[[Sequence[T]], Awaitable[Sequence[R]]]
    window_s: float = 0.003
    max_items: int = 64
    #: called with the size of every committed batch (the group-size histogram)
    on_batch: Callable[[int], None] | None = None
    _pending: list[tuple[T, asyncio.Future[R]]] = field(default_factory=list, init=False)
    _flusher: asyncio.Task[None] | None = field(default=None, init=False)
    #: the collection window in progress: resolved when it ends or the batch is full
    _window: asyncio.Future[None] | None = field(default=None, init=False)
    batches: int = field(default=0, init=False)
    items: int = field(default=0, init=False)
    #: size of the previous batch (> 1: requests are concurrent, the window pays off)
    _last_size: int = field(default=0, init=False)

    async def submit(self, item: T) -> R:
        fut: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, fut))
        window = self._window
        if len(self._pending) >= self.max_items and window is not None and not window.done():
            window.set_result(None)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())
        return await fut

    async def _flush_soon(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            if self.window_s > 0 and self._last_size > 1 and len(self._pending) < self.max_items:
                # one future and one timer per batch (``wait_for`` would add a task)
                window = self._window = loop.create_future()
                timer = loop.call_later(self.window_s, _close, window)
                try:
                    await window
                finally:
                    timer.cancel()
                    self._window = None
            batch, self._pending = self._pending[: self.max_items], self._pending[self.max_items :]
            self._last_size = len(batch)
            try:
                results = await self.commit([item for item, _ in batch])
            except BaseException as exc:  # the transaction failed: every request in it fails
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            self.batches += 1
            self.items += len(batch)
            if self.on_batch is not None:
                self.on_batch(len(batch))
            for (_, fut), res in zip(batch, results, strict=True):
                if not fut.done():
                    fut.set_result(res)

    async def close(self) -> None:
        if self._flusher is not None and not self._flusher.done():
            await self._flusher


def _close(window: asyncio.Future[None]) -> None:
    if not window.done():
        window.set_result(None)
