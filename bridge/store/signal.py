"""Wake idle workers when a commit makes a job runnable, instead of letting them poll.

A worker that found nothing to claim used to sleep ``idle_poll_s`` (0.2 s) before asking
again, so at low and medium rates an order waited on average half that before any worker
looked at it — most of the time-to-acknowledge at 200 orders/s. Now the store notifies
after the transactions that create or wake jobs (a delivery accepted, a snapshot
replaced, a sync requested, a dead letter replayed) have committed, and wakes as many
waiting workers as it made jobs runnable, not all of them (no thundering herd of claims).

It is an in-process signal: other bridge processes sharing a PostgreSQL store still find
the work by polling ``idle_poll_s``, which stays the upper bound of the wait.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque


class JobSignal:
    """Counts notifications; ``wait`` returns at once if one came since ``mark``."""

    def __init__(self) -> None:
        self._generation = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    def mark(self) -> int:
        """Remember the current generation before claiming (closes the claim/wait race)."""
        return self._generation

    def notify(self, n: int = 1) -> None:
        """``n`` jobs became runnable: wake up to ``n`` waiting workers."""
        if n <= 0:
            return
        self._generation += 1
        while n > 0 and self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                n -= 1

    def wake_all(self) -> None:
        """Wake every waiter (shutdown)."""
        self._generation += 1
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)

    async def wait(self, mark: int, timeout: float) -> None:
        """Sleep until notified or ``timeout`` passed; at once if notified since ``mark``."""
        if self._generation != mark:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fut, timeout)
        finally:
            if not fut.done():
                fut.cancel()
            with contextlib.suppress(ValueError):
                self._waiters.remove(fut)
