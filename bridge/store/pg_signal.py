"""Wake idle workers of *other* bridge processes too: PostgreSQL ``LISTEN``/``NOTIFY``.

``JobSignal`` wakes this process's workers after a commit made jobs runnable; several
bridge processes sharing one PostgreSQL store would still find each other's jobs only by
polling ``idle_poll_s``. PostgreSQL's own publish/subscribe carries the same news between
processes: after such a commit the store sends ``pg_notify(channel, "<origin> <n>")``
(notifications are delivered to listeners only when the sending transaction commits, and
a ``SELECT pg_notify`` outside a transaction commits at once), and one dedicated
connection per store ``LISTEN``s on the channel and wakes local waiters for every
notification from another origin. The channel is per schema, so stores on different
schemas of one database do not wake each other.

Best effort by design: a lost notification (listener connection down, a send that failed)
costs at most one ``idle_poll_s`` of waiting, which stays the upper bound; it never loses
a job (the job is in the table, the claim finds it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from typing import Any

import asyncpg

from bridge.store.signal import JobSignal
from sapchaos.logs import get_logger

log = get_logger("bridge.store")


def channel_for(schema: str | None) -> str:
    """The notification channel of one store schema (an identifier of at most 63 bytes)."""
    return f"sapchaos_jobs_{schema or 'public'}"[:63]


class PgJobSignal(JobSignal):
    """A ``JobSignal`` that also publishes its notifications to, and hears those of, the
    other processes on the same store. Sends are coalesced: at most one ``pg_notify`` in
    flight, carrying the sum of what was notified meanwhile."""

    def __init__(self, pool: asyncpg.Pool, channel: str, timeout_s: float = 2.0) -> None:
        super().__init__()
        self._pool = pool
        self.channel = channel
        self.origin = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._timeout_s = timeout_s
        self._unsent = 0
        self._sender: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None

    def notify(self, n: int = 1) -> None:
        super().notify(n)
        if n <= 0:
            return
        self._unsent += n
        if self._sender is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            self._sender = loop.create_task(self._send(), name="pg-notify")

    async def _send(self) -> None:
        try:
            while self._unsent:
                n, self._unsent = self._unsent, 0
                try:
                    await self._pool.execute(
                        "SELECT pg_notify($1, $2)",
                        self.channel,
                        f"{self.origin} {n}",
                        timeout=self._timeout_s,
                    )
                except Exception as exc:  # best effort: the others' poll still finds it
                    log.debug("pg_notify_failed", error=type(exc).__name__)
        finally:
            self._sender = None

    def _heard(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        origin, _, count = payload.partition(" ")
        if origin == self.origin:
            return  # our own commit: local waiters were woken already
        JobSignal.notify(self, int(count) if count.isdigit() else 1)

    async def listen(self, connect: Any) -> bool:
        """Open the listening connection (``connect()`` → an asyncpg connection). False
        (and a warning) when it cannot: the workers then poll, as before."""
        try:
            conn = await connect()
            await conn.add_listener(self.channel, self._heard)
        except Exception as exc:
            log.warning("pg_listen_unavailable", channel=self.channel, error=str(exc)[:200])
            return False
        self._listener = conn
        return True

    async def close(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(BaseException):
                await self._sender
        conn, self._listener = self._listener, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), self._timeout_s)
            if not conn.is_closed():
                conn.terminate()
