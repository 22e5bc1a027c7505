"""``ProgramStore``: the ``Store`` interface on top of transaction programs.

A backend only says how to run one program inside one transaction (``_write``) or a
read-only one (``_read``); everything the interface promises is implemented once here
and in ``program.py``.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bridge.store import cursors
from bridge.store import program as p
from bridge.store.base import (
    AcceptOutcome,
    Attempt,
    AuditEntry,
    Claimed,
    DeadLetter,
    DeadLetterRow,
    InboundDelivery,
    Job,
    Lease,
    LedgerRow,
    OutboxEvent,
    QuarantineEntry,
    ReconcileCursor,
    Snapshot,
    Store,
    content_hash,
)
from bridge.store.errors import InvalidDelivery
from bridge.store.signal import JobSignal

__all__ = ["ProgramStore"]


class ProgramStore(Store, abc.ABC):
    """Implements every ``Store`` method as a transaction program; see ``program.py``."""

    #: whether the backend runs the set-based array statements (PostgreSQL: a group
    #: commit costs a fixed number of round trips instead of a few per delivery)
    bulk_statements: bool = False

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        #: wakes this process's idle workers after a commit made jobs runnable
        self.job_signal = JobSignal()

    @abc.abstractmethod
    async def _write(self, prog: p.Program) -> Any:
        """Run ``prog`` in one read-write transaction; commit, or roll back and re-raise."""

    @abc.abstractmethod
    async def _read(self, prog: p.Program) -> Any:
        """Run ``prog`` in one read-only transaction (a consistent view)."""

    # -- ingress -------------------------------------------------------------------------
    async def accept_delivery(self, d: InboundDelivery) -> AcceptOutcome:
        d.validate()
        outcomes: list[AcceptOutcome] = await self._write(
            p.accept_deliveries([d], self.clock(), bulk=self.bulk_statements)
        )
        self.job_signal.notify(1)
        return outcomes[0]

    async def accept_many(self, ds: Sequence[InboundDelivery]) -> list[AcceptOutcome]:
        valid: list[InboundDelivery] = []
        errors: dict[int, str] = {}
        for i, d in enumerate(ds):
            try:
                d.validate()
            except InvalidDelivery as exc:
                errors[i] = str(exc)
            else:
                valid.append(d)
        done: list[AcceptOutcome] = (
            await self._write(p.accept_deliveries(valid, self.clock(), bulk=self.bulk_statements))
            if valid
            else []
        )
        self.job_signal.notify(len(valid))
        it = iter(done)
        return [AcceptOutcome(error=errors[i]) if i in errors else next(it) for i in range(len(ds))]

    async def accept_event(
        self,
        source: str,
        event_id: str,
        order_id: int,
        payload: Mapping[str, Any],
        occurred_at: float,
    ) -> AcceptOutcome:
        if not event_id:
            raise InvalidDelivery("event_id is empty")
        if isinstance(order_id, bool) or not isinstance(order_id, int) or order_id <= 0:
            raise InvalidDelivery(f"order_id must be a positive integer, got {order_id!r}")
        result: AcceptOutcome = await self._write(
            p.accept_event(
                source,
                event_id,
                order_id,
                payload,
                float(occurred_at),
                self.clock(),
                content_hash(payload),
            )
        )
        self.job_signal.notify(1)
        return result

    async def quarantine(self, q: QuarantineEntry) -> int:
        result: int = await self._write(p.quarantine(q))
        return result

    async def list_quarantine(
        self, limit: int = 100, offset: int = 0, kind: str | None = None
    ) -> list[QuarantineEntry]:
        result: list[QuarantineEntry] = await self._read(p.list_quarantine(limit, offset, kind))
        return result

    async def get_quarantine(self, id: int) -> QuarantineEntry | None:
        result: QuarantineEntry | None = await self._read(p.get_quarantine(id))
        return result

    # -- snapshots -----------------------------------------------------------------------
    async def replace_snapshot(
        self,
        order_id: int,
        payload: Mapping[str, Any],
        date_modified_gmt: str,
        source: str = "rest",
    ) -> AcceptOutcome:
        result: AcceptOutcome = await self._write(
            p.replace_snapshot(
                order_id, payload, date_modified_gmt, source, self.clock(), content_hash(payload)
            )
        )
        self.job_signal.notify(1)
        return result

    async def get_snapshot(self, order_id: int) -> Snapshot | None:
        result: Snapshot | None = await self._read(p.get_snapshot(order_id))
        return result

    # -- jobs ----------------------------------------------------------------------------
    async def claim_jobs(
        self, worker_id: str, limit: int, lease_s: float, now: float | None = None
    ) -> list[Lease]:
        at = self.clock() if now is None else now
        result: list[Lease] = await self._write(p.claim_jobs(worker_id, limit, lease_s, at))
        return result

    async def claim_work(
        self, worker_id: str, limit: int, lease_s: float, now: float | None = None
    ) -> list[Claimed]:
        at = self.clock() if now is None else now
        result: list[Claimed] = await self._write(p.claim_work(worker_id, limit, lease_s, at))
        return result

    async def renew_lease(self, lease: Lease, lease_s: float) -> bool:
        result: bool = await self._write(p.renew_lease(lease, lease_s, self.clock()))
        return result

    async def complete_job(self, lease: Lease) -> None:
        await self._write(p.complete_job(lease, self.clock()))

    async def retry_job(self, lease: Lease, run_at: float, error: str) -> None:
        await self._write(p.retry_job(lease, run_at, error, self.clock()))

    async def release_job(self, lease: Lease, run_at: float | None = None) -> None:
        now = self.clock()
        await self._write(p.release_job(lease, now if run_at is None else run_at, now))
        if run_at is None or run_at <= now:
            self.job_signal.notify(1)

    async def dead_letter(self, lease: Lease, dl: DeadLetter) -> int:
        result: int = await self._write(p.dead_letter(lease, dl, self.clock()))
        return result

    async def request_sync(self, order_id: int) -> None:
        await self._write(p.request_sync(order_id, self.clock()))
        self.job_signal.notify(1)

    async def get_job(self, order_id: int) -> Job | None:
        result: Job | None = await self._read(p.get_job(order_id))
        return result

    async def list_jobs(
        self, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[Job]:
        result: list[Job] = await self._read(p.list_jobs(status, limit, offset))
        return result

    async def prune(self, before: float) -> dict[str, int]:
        result: dict[str, int] = await self._write(p.prune(before))
        return result

    async def next_run_at(self) -> float | None:
        result: float | None = await self._read(p.next_run_at())
        return result

    # -- DLQ -----------------------------------------------------------------------------
    async def list_dead_letters(
        self, limit: int = 100, offset: int = 0, include_replayed: bool = False
    ) -> list[DeadLetterRow]:
        result: list[DeadLetterRow] = await self._read(
            p.list_dead_letters(limit, offset, include_replayed)
        )
        return result

    async def get_dead_letter(self, id: int) -> DeadLetterRow | None:
        result: DeadLetterRow | None = await self._read(p.get_dead_letter(id))
        return result

    async def replay_dead_letter(self, id: int) -> bool:
        result: bool = await self._write(p.replay_dead_letter(id, self.clock()))
        if result:
            self.job_signal.notify(1)
        return result

    async def replay_all_dead_letters(self) -> int:
        result: int = await self._write(p.replay_all_dead_letters(self.clock()))
        self.job_signal.notify(result)
        return result

    # -- ledger --------------------------------------------------------------------------
    async def record_intent(
        self, lease: Lease | None, idem_key: str, order_id: int, op: str, target_entity: str
    ) -> LedgerRow:
        result: LedgerRow = await self._write(
            p.record_intent(lease, idem_key, order_id, op, target_entity, self.clock())
        )
        return result

    async def mark_done(
        self,
        lease: Lease | None,
        idem_key: str,
        docentry: int | None,
        docnum: int | None,
        events: Sequence[OutboxEvent] = (),
    ) -> list[LedgerRow]:
        result: list[LedgerRow] = await self._write(
            p.mark_done(lease, idem_key, docentry, docnum, events, self.clock())
        )
        return result

    async def mark_ambiguous(self, lease: Lease | None, idem_key: str, error: str) -> None:
        await self._write(p.mark_status(lease, idem_key, "ambiguous", error, self.clock()))

    async def mark_failed(self, lease: Lease | None, idem_key: str, error: str) -> None:
        await self._write(p.mark_status(lease, idem_key, "failed", error, self.clock()))

    async def get_ledger(self, idem_key: str) -> LedgerRow | None:
        result: LedgerRow | None = await self._read(p.get_ledger(idem_key))
        return result

    async def ledger_for_order(self, order_id: int) -> list[LedgerRow]:
        result: list[LedgerRow] = await self._read(p.ledger_for_order(order_id))
        return result

    # -- audit ---------------------------------------------------------------------------
    async def append_attempt(
        self,
        lease: Lease | None,
        order_id: int,
        op: str,
        idem_key: str | None,
        outcome: str,
        detail: Mapping[str, Any],
        duration_ms: float,
    ) -> int:
        result: int = await self._write(
            p.append_attempt(
                lease, order_id, op, idem_key, outcome, detail, duration_ms, self.clock()
            )
        )
        return result

    async def list_attempts(self, order_id: int) -> list[Attempt]:
        result: list[Attempt] = await self._read(p.list_attempts(order_id))
        return result

    # -- outbox --------------------------------------------------------------------------
    async def enqueue_events(self, events: Sequence[OutboxEvent]) -> None:
        if events:
            await self._write(p.enqueue_events(events, self.clock()))

    async def fetch_unpublished(self, limit: int = 100) -> list[OutboxEvent]:
        result: list[OutboxEvent] = await self._read(p.fetch_unpublished(limit))
        return result

    async def mark_published(self, event_ids: Sequence[str]) -> int:
        if not event_ids:
            return 0
        result: int = await self._write(p.mark_published(event_ids, self.clock()))
        return result

    # -- ops -----------------------------------------------------------------------------
    async def get_reconcile_cursor(self, name: str) -> ReconcileCursor | None:
        result: ReconcileCursor | None = await self._read(cursors.get_cursor(name))
        return result

    async def save_reconcile_cursor(self, name: str, cursor: ReconcileCursor) -> ReconcileCursor:
        result: ReconcileCursor = await self._write(
            cursors.save_cursor(name, cursor, self.clock())
        )
        return result

    async def counts(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._read(p.counts())
        return result

    async def pending_work(self) -> int:
        result: int = await self._read(p.pending_work())
        return result

    # -- operations audit ----------------------------------------------------------------
    async def append_audit(
        self,
        actor: str,
        role: str,
        action: str,
        target: str,
        detail: Mapping[str, Any],
        order_id: int | None = None,
    ) -> AuditEntry:
        result: AuditEntry = await self._write(
            p.append_audit(actor, role, action, target, detail, order_id, self.clock())
        )
        return result

    async def list_audit(
        self, order_id: int | None = None, after_seq: int = 0, limit: int = 1000
    ) -> list[AuditEntry]:
        result: list[AuditEntry] = await self._read(p.list_audit(order_id, after_seq, limit))
        return result

    async def replay_audited(self, id: int | None, actor: str, role: str, via: str) -> list[int]:
        result: list[int] = await self._write(p.replay_audited(id, actor, role, via, self.clock()))
        if result:
            self.job_signal.notify(len(result))
        return result

    async def ops_figures(self, since: float) -> dict[str, Any]:
        result: dict[str, Any] = await self._read(p.ops_figures(since, self.clock()))
        return result

    async def events_for(self, correlation_id: str, limit: int = 200) -> list[OutboxEvent]:
        result: list[OutboxEvent] = await self._read(p.events_for(correlation_id, limit))
        return result

    async def dead_letters_for(self, order_id: int) -> list[DeadLetterRow]:
        result: list[DeadLetterRow] = await self._read(p.dead_letters_for(order_id))
        return result
