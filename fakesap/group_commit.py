"""Group commit for ``--persist``: the changes made during one event-loop tick are written
in one SQLite transaction at the start of the next tick, and every answer that reports
one of them waits for that transaction, as a database's group commit does.

So a 201 never goes out before its document is in the file (a crash loses only changes
nobody was told about), while concurrent requests share one transaction: each touched
document, item and counter row is written once per batch, with its state at flush time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from fakesap.persistence import TruthRow
from sapchaos.logs import get_logger

log = get_logger("fakesap.persistence")


@dataclass
class PendingWrites:
    """What one batch must write: row keys (insertion-ordered sets) and new truth rows."""

    documents: dict[tuple[str, int], None] = field(default_factory=dict)
    truth: list[TruthRow] = field(default_factory=list)
    counters: dict[str, None] = field(default_factory=dict)
    items: dict[str, None] = field(default_factory=dict)
    done: asyncio.Future[None] | None = None


class GroupCommit:
    """Collects changes and flushes them through ``write(batch)`` once per loop tick
    (immediately when no event loop is running, e.g. a script driving ``FakeSap``)."""

    def __init__(self, write: Callable[[PendingWrites], None]) -> None:
        self._write = write
        self._pending: PendingWrites | None = None

    def add(
        self,
        documents: Iterable[tuple[str, int]] = (),
        truth: TruthRow | None = None,
        counters: str | None = None,
        items: Iterable[str] = (),
    ) -> None:
        batch = self._pending
        if batch is None:
            batch = self._pending = PendingWrites()
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None:
                batch.done = loop.create_future()
                batch.done.add_done_callback(_retrieve)
                loop.call_soon(self._flush_batch, batch)
        for key in documents:
            batch.documents[key] = None
        if truth is not None:
            batch.truth.append(truth)
        if counters is not None:
            batch.counters[counters] = None
        for code in items:
            batch.items[code] = None
        if batch.done is None:  # no event loop: write through now
            self.flush()

    def committed(self) -> asyncio.Future[None] | None:
        """The future of the batch holding the changes made so far (None: nothing pending)."""
        return self._pending.done if self._pending is not None else None

    def discard(self) -> None:
        """Forget what is pending (a rolled-back ``$batch`` change set): nothing of it may
        reach the file. Requests waiting on it are released."""
        batch, self._pending = self._pending, None
        if batch is not None and batch.done is not None and not batch.done.done():
            batch.done.set_result(None)

    def flush(self) -> None:
        """Write whatever is pending now (before a wipe, a master-data write or close)."""
        if self._pending is not None:
            self._flush_batch(self._pending)

    def _flush_batch(self, batch: PendingWrites) -> None:
        if self._pending is not batch:
            return  # already flushed early
        self._pending = None
        try:
            self._write(batch)
        except Exception as exc:
            log.error("persist_failed", error=repr(exc)[:200], documents=len(batch.documents))
            if batch.done is None:
                raise
            if not batch.done.done():
                batch.done.set_exception(exc)
            return
        if batch.done is not None and not batch.done.done():
            batch.done.set_result(None)


def _retrieve(future: asyncio.Future[None]) -> None:
    """Mark a failed batch's exception as seen (each waiting request reports it itself)."""
    if not future.cancelled():
        future.exception()
