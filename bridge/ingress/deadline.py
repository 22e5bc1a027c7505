"""One deadline for every in-flight webhook request, kept by a single timer.

WooCommerce waits up to 60 s for a delivery's answer; the ingress answers within its own
bound instead (503 + ``Retry-After``). Every request gets the same bound, so their due
times arrive in the order the requests started: a queue in start order and one timer set
for the oldest request still running replace a timer (and ``asyncio.timeout``'s
bookkeeping) per request. A request over its bound is cancelled exactly as
``asyncio.timeout`` cancels it, and its caller sees ``TimeoutError``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class _Running:
    __slots__ = ("done", "due", "expired", "task")

    def __init__(self, due: float, task: asyncio.Task[object]) -> None:
        self.due = due
        self.task = task
        self.done = False
        self.expired = False


class Deadlines:
    """``await deadlines.run(aw)``: ``aw``'s result, or ``TimeoutError`` after ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._running: deque[_Running] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def tracked(self) -> int:
        """Requests in the queue: running, or finished behind an older one still running."""
        return len(self._running)

    async def run(self, aw: Awaitable[T]) -> T:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("Deadlines.run needs a task")
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop: nothing of the old one is pending
            self._loop, self._timer = loop, None
            self._running.clear()
        entry = _Running(loop.time() + self.seconds, task)
        self._running.append(entry)
        if self._timer is None:
            self._timer = loop.call_at(entry.due, self._sweep)
        try:
            return await aw
        except asyncio.CancelledError:
            # ours: answer TimeoutError, unless someone else cancelled the task as well
            if entry.expired and task.uncancel() == 0:
                raise TimeoutError from None
            raise
        finally:
            entry.done = True
            running = self._running
            while running and running[0].done:  # requests mostly end in the order they
                running.popleft()  # started: the queue stays about as long as in flight

    def _sweep(self) -> None:
        """Drop finished requests from the front, cancel the overdue, wait for the next."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        running = self._running
        while running and (running[0].done or running[0].due <= now):
            entry = running.popleft()
            if not entry.done:
                entry.expired = True
                entry.task.cancel()
        self._timer = loop.call_at(running[0].due, self._sweep) if running else None
