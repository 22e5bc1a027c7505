"""The bridge store: one interface for inbox, snapshots, jobs, ledger, audit, outbox and DLQ.

It imitates the transactional inbox/outbox pattern integration teams run in front of SAP
Business One: every fact the bridge relies on lives in one database, and every step that
must be atomic is one transaction. Two implementations sit beside this file:
``sqlite.SqliteStore`` (aiosqlite, WAL, embedded default) and ``postgres.PostgresStore``
(asyncpg, ``FOR UPDATE SKIP LOCKED``, several bridge processes).

All times are epoch seconds (``float``, wall clock). Payloads are JSON objects (``dict``).
"""

from __future__ import annotations

import abc
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bridge.store.errors import InvalidDelivery

__all__ = [
    "GENESIS_HASH",
    "JOB_STATUSES",
    "LEDGER_STATUSES",
    "AcceptOutcome",
    "Attempt",
    "AuditEntry",
    "Claimed",
    "DeadLetter",
    "DeadLetterRow",
    "InboundDelivery",
    "Job",
    "Lease",
    "LedgerRow",
    "OutboxEvent",
    "QuarantineEntry",
    "ReconcileCursor",
    "Snapshot",
    "Store",
    "audit_hash",
    "canonical_json",
    "content_hash",
    "modified_epoch",
]

#: pending → claimed → done | retrying | dead; ``retrying`` is pending with a back-off.
JOB_STATUSES = ("pending", "retrying", "claimed", "done", "dead")
#: intent (recorded before the SAP call) → done | failed | ambiguous.
LEDGER_STATUSES = ("intent", "done", "failed", "ambiguous")


def content_hash(payload: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of ``payload`` (sorted keys, no spaces)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def canonical_json(value: Any) -> str:
    """The one JSON text of ``value`` that hashes are taken over (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


#: ``prev_hash`` of the first audit entry
GENESIS_HASH = "0" * 64


def audit_hash(
    seq: int,
    at: float,
    actor: str,
    role: str,
    action: str,
    target: str,
    order_id: int | None,
    detail_json: str,
    prev_hash: str,
) -> str:
    """SHA-256 hex over an audit entry's fields and the previous entry's hash: editing,
    inserting or deleting an entry breaks every link after it (``bridge.ops.audit``)."""
    fields = [seq, repr(float(at)), actor, role, action, target, order_id, detail_json, prev_hash]
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()


def modified_epoch(date_modified_gmt: str) -> float:
    """Epoch seconds of a WooCommerce ``*_gmt`` date (``2026-11-23T20:11:19``, UTC, no offset).

    Also accepts a trailing ``Z``, an explicit offset and fractional seconds. Raises
    ``InvalidDelivery`` for anything else.
    """
    text = date_modified_gmt.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidDelivery(
            f"date_modified_gmt is not an ISO 8601 date: {date_modified_gmt!r}"
        ) from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


@dataclass(frozen=True)
class InboundDelivery:
    """One webhook delivery as received (WooCommerce ``order.*`` topics).

    ``payload_sha256``: hex SHA-256 of the raw body; if empty the store hashes ``raw`` (or,
    without ``raw``, the canonical JSON of ``payload``). ``raw``: the body bytes exactly as
    received; if given it is stored verbatim (must be the JSON encoding of ``payload``) and
    saves a re-encode. ``delivery_id``/``webhook_id`` are the ``X-WC-Webhook-*`` headers,
    stored as data only: they are never the dedup key (Woo's delivery id repeats).
    """

    source: str
    topic: str
    order_id: int
    date_modified_gmt: str
    payload: Mapping[str, Any]
    received_at: float
    payload_sha256: str = ""
    raw: bytes | None = None
    delivery_id: str | None = None
    webhook_id: str | None = None

    def validate(self) -> None:
        """Raise ``InvalidDelivery`` if the store cannot accept this delivery."""
        if not self.source:
            raise InvalidDelivery("source is empty")
        if (
            not isinstance(self.order_id, int)
            or isinstance(self.order_id, bool)
            or not 0 < self.order_id < 2**63  # a BIGINT: larger ids cannot be stored
        ):
            raise InvalidDelivery(f"order_id must be a positive integer, got {self.order_id!r}")
        if not isinstance(self.payload, Mapping):
            raise InvalidDelivery("payload must be a JSON object")
        modified_epoch(self.date_modified_gmt)
        if self.raw is not None:  # checked on the bytes: no decoded copy of the body
            if not self.raw.isascii():
                try:
                    self.raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise InvalidDelivery(f"body is not UTF-8: {exc.reason}") from exc
            nul = b"\\u0000" in self.raw
        else:
            nul = "\\u0000" in self.payload_text()
        if nul:
            raise InvalidDelivery("payload contains \\u0000 (NUL), which cannot be stored")

    def sha256(self) -> str:
        """The content hash used in the dedup key."""
        if self.payload_sha256:
            return self.payload_sha256
        if self.raw is not None:
            return hashlib.sha256(self.raw).hexdigest()
        return content_hash(self.payload)

    def payload_text(self) -> str:
        """The JSON text stored for this payload (``raw`` if given)."""
        if self.raw is not None:
            return self.raw.decode("utf-8")
        return json.dumps(self.payload, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class AcceptOutcome:
    """What one accepted delivery/event did.

    ``duplicate``: the same content was seen before (copy counted, nothing else changed).
    ``snapshot_changed``: the order snapshot was created or replaced (newer).
    ``needs_fetch``: same ``date_modified_gmt`` as the snapshot but different content; the
    snapshot was kept; fetch the order from the shop REST API and call ``replace_snapshot``.
    ``stale``: older than the current snapshot; kept in the inbox only (caller may fetch).
    ``job_id``: the order's sync job if it was created or bumped by this call, else None.
    ``error``: only from ``accept_many``: the item was invalid and nothing was stored
    (the caller should quarantine it with this reason).
    """

    duplicate: bool = False
    snapshot_changed: bool = False
    needs_fetch: bool = False
    stale: bool = False
    job_id: int | None = None
    error: str | None = None


@dataclass(frozen=True, order=True)
class ReconcileCursor:
    """Where a shop reader's keyset pass stopped: the last order read, as the key the shop
    sorts by (``date_modified_gmt`` normalised to ``YYYY-MM-DDTHH:MM:SS`` UTC, then the
    order id). Ordered like the shop's list, so ``a < b`` means ``a`` was read first."""

    date_modified_gmt: str
    order_id: int


@dataclass(frozen=True)
class QuarantineEntry:
    """An authentic but unusable request, kept with the reason (never dropped).

    ``kind``: ``"invalid"`` (bad JSON / missing fields), ``"ignored_topic"`` (a topic the
    bridge does not handle), or any other short label. ``headers`` must not hold secrets.
    ``id`` is set on rows read back.
    """

    source: str
    topic: str
    headers: Mapping[str, str]
    body: bytes
    reason: str
    received_at: float
    kind: str = "invalid"
    id: int | None = None


@dataclass(frozen=True)
class Snapshot:
    """The newest known state of one order (last writer wins by ``date_modified_gmt``).

    ``version`` increases by one every time the snapshot changes; ``source`` is where the
    current payload came from: the delivery's source (``woocommerce``), ``rest`` after an
    authoritative fetch, or the bus event's source (``magento``).
    """

    order_id: int
    payload: dict[str, Any]
    date_modified_gmt: str
    payload_sha256: str
    source: str
    version: int
    updated_at: float


@dataclass
class Lease:
    """A worker's fenced claim on one order's sync job.

    ``token`` is the job's fencing token at claim time; any later claim gets a higher one.
    ``renew_lease`` updates ``expires_at`` in place. ``attempts`` counts claims of this job
    since it last completed (this claim included); ``first_attempt_at`` is the first of them.
    ``desired_version`` is the snapshot version the job was last bumped for.
    """

    job_id: int
    order_id: int
    token: int
    worker_id: str
    expires_at: float
    attempts: int
    first_attempt_at: float
    desired_version: int


@dataclass(frozen=True)
class Claimed:
    """A claimed job with what its worker reads first: the order's newest snapshot and its
    ledger, as they were in the claiming transaction."""

    lease: Lease
    snapshot: Snapshot | None
    ledger: list[LedgerRow]


@dataclass(frozen=True)
class Job:
    """The single sync job of one order (read-only view for ops and tests)."""

    job_id: int
    order_id: int
    status: str
    run_at: float
    attempts: int
    first_attempt_at: float | None
    fencing_token: int
    worker_id: str | None
    lease_expires_at: float | None
    dirty: bool
    desired_version: int
    last_error: str | None
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class DeadLetter:
    """Why a job was given up: the SAP op, its idempotency key, the SL error code/message
    and whatever payload helps a human fix the data (the request body sent, for instance)."""

    op: str
    idem_key: str
    code: str
    message: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeadLetterRow:
    """A DLQ row. ``replayed_at`` is set when it was replayed (``replay_count`` times)."""

    id: int
    job_id: int
    order_id: int
    op: str
    idem_key: str
    code: str
    message: str
    payload: dict[str, Any]
    created_at: float
    replayed_at: float | None
    replay_count: int


@dataclass(frozen=True)
class LedgerRow:
    """One SAP effect by idempotency key (``wc:{order_id}:order`` …).

    From ``record_intent``: ``status`` is the status found *before* the call (``intent`` and
    ``fresh=True`` for a new row) so the caller knows whether to look the key up in SAP
    first; ``attempts`` already includes this call.
    """

    idem_key: str
    order_id: int
    op: str
    status: str
    target_entity: str
    target_docentry: int | None
    target_docnum: int | None
    attempts: int
    last_error: str | None
    created_at: float
    updated_at: float
    fresh: bool = False


@dataclass(frozen=True)
class OutboxEvent:
    """A bridge outcome event to publish (MQTT, QoS 1). ``event_id`` is a uuid string,
    ``correlation_id`` is ``wc:{order_id}``. ``created_at=None`` → the store's clock."""

    event_id: str
    type: str
    correlation_id: str
    payload: Mapping[str, Any]
    created_at: float | None = None
    published_at: float | None = None


@dataclass(frozen=True)
class Attempt:
    """An append-only audit row: one try of one SAP/shop operation."""

    id: int
    order_id: int
    op: str
    idem_key: str | None
    outcome: str
    detail: dict[str, Any]
    duration_ms: float
    worker_id: str | None
    token: int | None
    at: float


@dataclass(frozen=True)
class AuditEntry:
    """One operations audit entry: who (``actor``, ``role``) did what (``action`` on
    ``target``, with ``detail``) and when (``at``), chained to the entry before it."""

    seq: int
    at: float
    actor: str
    role: str
    action: str
    target: str
    order_id: int | None
    detail_json: str
    prev_hash: str
    hash: str

    @property
    def detail(self) -> dict[str, Any]:
        value = json.loads(self.detail_json)
        return value if isinstance(value, dict) else {"value": value}

    def expected_hash(self) -> str:
        """The hash these fields should carry (differs from ``hash`` after an edit)."""
        return audit_hash(
            self.seq,
            self.at,
            self.actor,
            self.role,
            self.action,
            self.target,
            self.order_id,
            self.detail_json,
            self.prev_hash,
        )


class Store(abc.ABC):
    """The bridge's single source of truth. All methods are coroutines and safe to call
    concurrently from one event loop. Writes made "under a lease" check the lease's fencing
    token and expiry in the same transaction and raise ``LeaseLost`` if either fails."""

    # -- lifecycle -----------------------------------------------------------------------
    @abc.abstractmethod
    async def migrate(self) -> list[str]:
        """Apply pending versioned migrations; returns the versions applied (idempotent)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close connections. Everything already acknowledged is committed."""

    # -- ingress -------------------------------------------------------------------------
    @abc.abstractmethod
    async def accept_delivery(self, d: InboundDelivery) -> AcceptOutcome:
        """One transaction: inbox (dedup by source, order_id, date_modified_gmt, sha256) +
        snapshot (LWW by date_modified_gmt) + the order's one sync job (created/bumped only
        when the snapshot changed; a claimed job is marked dirty; a dead job stays dead).
        Raises ``InvalidDelivery`` for an invalid item (nothing stored)."""

    @abc.abstractmethod
    async def accept_many(self, ds: Sequence[InboundDelivery]) -> list[AcceptOutcome]:
        """Group commit: like ``accept_delivery`` for each item, in order, in ONE
        transaction. Invalid items get ``AcceptOutcome(error=reason)`` and are not stored;
        the others are committed."""

    @abc.abstractmethod
    async def accept_event(
        self,
        source: str,
        event_id: str,
        order_id: int,
        payload: Mapping[str, Any],
        occurred_at: float,
    ) -> AcceptOutcome:
        """Consumer inbox for bus events (Magento mode): dedup by (source, event_id), then
        the same snapshot (LWW by ``occurred_at``) + job transaction as a webhook."""

    @abc.abstractmethod
    async def quarantine(self, q: QuarantineEntry) -> int:
        """Store an authentic-but-unusable request (also unknown topics, kind
        ``ignored_topic``); returns its id."""

    @abc.abstractmethod
    async def list_quarantine(
        self, limit: int = 100, offset: int = 0, kind: str | None = None
    ) -> list[QuarantineEntry]:
        """Quarantine rows, newest first."""

    @abc.abstractmethod
    async def get_quarantine(self, id: int) -> QuarantineEntry | None:
        """One quarantine row by id."""

    # -- snapshots -----------------------------------------------------------------------
    @abc.abstractmethod
    async def replace_snapshot(
        self,
        order_id: int,
        payload: Mapping[str, Any],
        date_modified_gmt: str,
        source: str = "rest",
    ) -> AcceptOutcome:
        """After an authoritative fetch: replace the snapshot unless the current one is
        strictly newer (a tie goes to this call); bumps the job like a delivery when the
        content changed. ``stale=True`` if the current snapshot is newer."""

    @abc.abstractmethod
    async def get_snapshot(self, order_id: int) -> Snapshot | None:
        """The newest snapshot of an order."""

    # -- jobs and leases -----------------------------------------------------------------
    @abc.abstractmethod
    async def claim_jobs(
        self, worker_id: str, limit: int, lease_s: float, now: float | None = None
    ) -> list[Lease]:
        """Claim up to ``limit`` due jobs (pending/retrying with run_at ≤ now, or claimed
        with an expired lease), oldest run_at first. Each claim increments the job's
        fencing token and ``attempts``; two concurrent claimers never get the same job."""

    async def claim_work(
        self, worker_id: str, limit: int, lease_s: float, now: float | None = None
    ) -> list[Claimed]:
        """``claim_jobs`` plus each job's snapshot and ledger. This default reads them after
        the claim; a backend may do it all in the claiming transaction (one round trip)."""
        out: list[Claimed] = []
        for lease in await self.claim_jobs(worker_id, limit, lease_s, now):
            snap = await self.get_snapshot(lease.order_id)
            out.append(Claimed(lease, snap, await self.ledger_for_order(lease.order_id)))
        return out

    @abc.abstractmethod
    async def renew_lease(self, lease: Lease, lease_s: float) -> bool:
        """Extend the lease to now + lease_s (updates ``lease.expires_at``); False if lost."""

    @abc.abstractmethod
    async def complete_job(self, lease: Lease) -> None:
        """Under the lease: done, or back to pending (run_at=now) if new data arrived while
        it was claimed (dirty). Attempts reset either way."""

    @abc.abstractmethod
    async def retry_job(self, lease: Lease, run_at: float, error: str) -> None:
        """Under the lease: status retrying at ``run_at``; attempts are kept."""

    @abc.abstractmethod
    async def release_job(self, lease: Lease, run_at: float | None = None) -> None:
        """Under the lease: give the job back without counting this claim as an attempt
        (breaker open, shutdown). Status pending at ``run_at`` (default now)."""

    @abc.abstractmethod
    async def dead_letter(self, lease: Lease, dl: DeadLetter) -> int:
        """Under the lease, one transaction: job → dead and a DLQ row; returns the DLQ id."""

    @abc.abstractmethod
    async def request_sync(self, order_id: int) -> None:
        """One transaction: ask for another pass over an order. Its job becomes pending and
        due now if it is pending, retrying or done (done: fresh attempt budget); a claimed
        job is marked dirty so it runs again after the current claim; a dead job stays dead
        (only a replay revives it). An order with a snapshot but no job gets a pending job;
        an unknown order is a no-op."""

    @abc.abstractmethod
    async def get_job(self, order_id: int) -> Job | None:
        """The sync job of an order."""

    @abc.abstractmethod
    async def list_jobs(
        self, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[Job]:
        """Jobs (optionally of one status), soonest ``run_at`` first (ops, dashboard)."""

    @abc.abstractmethod
    async def next_run_at(self) -> float | None:
        """Earliest run_at of pending/retrying jobs or lease expiry of claimed ones
        (lets an idle worker sleep exactly long enough); None if there is no such job."""

    # -- dead-letter queue ---------------------------------------------------------------
    @abc.abstractmethod
    async def list_dead_letters(
        self, limit: int = 100, offset: int = 0, include_replayed: bool = False
    ) -> list[DeadLetterRow]:
        """DLQ rows, oldest first."""

    @abc.abstractmethod
    async def get_dead_letter(self, id: int) -> DeadLetterRow | None:
        """One DLQ row."""

    @abc.abstractmethod
    async def replay_dead_letter(self, id: int) -> bool:
        """Re-queue the order's job as pending (attempts reset) and mark the row replayed.
        False if the row does not exist or was already replayed (replaying twice is harmless)."""

    @abc.abstractmethod
    async def replay_all_dead_letters(self) -> int:
        """Replay every not-yet-replayed DLQ row; returns how many."""

    # -- ledger --------------------------------------------------------------------------
    @abc.abstractmethod
    async def record_intent(
        self, lease: Lease | None, idem_key: str, order_id: int, op: str, target_entity: str
    ) -> LedgerRow:
        """Before a SAP call: insert the key as ``intent`` or bump ``attempts``. Stored status
        stays ``done``/``ambiguous`` if it was; ``failed`` goes back to ``intent``. Returns the
        row with the status found before the call (see ``LedgerRow``). ``lease=None`` skips
        fencing (reconciler, ops)."""

    @abc.abstractmethod
    async def mark_done(
        self,
        lease: Lease | None,
        idem_key: str,
        docentry: int | None,
        docnum: int | None,
        events: Sequence[OutboxEvent] = (),
    ) -> list[LedgerRow]:
        """One transaction: ledger → done with the SAP document, plus the outbox events.
        Returns the order's whole ledger as that transaction left it (what a worker plans
        its next step from, without reading it again)."""

    @abc.abstractmethod
    async def mark_ambiguous(self, lease: Lease | None, idem_key: str, error: str) -> None:
        """The call's outcome is unknown (timeout, reset, 5xx): look the key up next time."""

    @abc.abstractmethod
    async def mark_failed(self, lease: Lease | None, idem_key: str, error: str) -> None:
        """SAP rejected the call for sure (validation error); nothing was created."""

    @abc.abstractmethod
    async def get_ledger(self, idem_key: str) -> LedgerRow | None:
        """One ledger row by idempotency key."""

    @abc.abstractmethod
    async def ledger_for_order(self, order_id: int) -> list[LedgerRow]:
        """All ledger rows of an order, oldest first."""

    # -- audit ---------------------------------------------------------------------------
    @abc.abstractmethod
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
        """Append an audit row (fenced if a lease is given); returns its id."""

    @abc.abstractmethod
    async def list_attempts(self, order_id: int) -> list[Attempt]:
        """Audit rows of an order, oldest first."""

    # -- operations audit (hash chain) ---------------------------------------------------
    @abc.abstractmethod
    async def append_audit(
        self,
        actor: str,
        role: str,
        action: str,
        target: str,
        detail: Mapping[str, Any],
        order_id: int | None = None,
    ) -> AuditEntry:
        """Append one entry to the operations audit chain (seq = last + 1, prev_hash = the
        last entry's hash), serialised against concurrent appenders."""

    @abc.abstractmethod
    async def list_audit(
        self, order_id: int | None = None, after_seq: int = 0, limit: int = 1000
    ) -> list[AuditEntry]:
        """Audit entries by ascending seq (of one order if given), seq > ``after_seq``."""

    @abc.abstractmethod
    async def replay_audited(self, id: int | None, actor: str, role: str, via: str) -> list[int]:
        """ONE transaction: replay dead letter ``id`` (or all not yet replayed, ``None``)
        and append who replayed what to the audit chain; returns the ids replayed."""

    @abc.abstractmethod
    async def ops_figures(self, since: float) -> dict[str, Any]:
        """Key figures ops dashboards and ``/metrics`` need beyond ``counts``:
        ``oldest_unpublished_at``, ``oldest_due_at`` (earliest run_at of a due job),
        ``tta``: ``[(op, seconds, updated_at)]`` of ledger rows done after ``since``
        (``create_order``: to SAP; ``shop_note``/``shop_complete``: back to the shop),
        measured from the order's job creation (its first delivery or event)."""

    @abc.abstractmethod
    async def dead_letters_for(self, order_id: int) -> list[DeadLetterRow]:
        """DLQ rows of one order (replayed ones too), oldest first (ops views)."""

    @abc.abstractmethod
    async def events_for(self, correlation_id: str, limit: int = 200) -> list[OutboxEvent]:
        """Outbox events of one order (by correlation id), oldest first (ops views)."""

    # -- events outbox -------------------------------------------------------------------
    @abc.abstractmethod
    async def enqueue_events(self, events: Sequence[OutboxEvent]) -> None:
        """Insert outbox events (an existing ``event_id`` is ignored)."""

    @abc.abstractmethod
    async def fetch_unpublished(self, limit: int = 100) -> list[OutboxEvent]:
        """Unpublished events, oldest first. One relay per store (PostgreSQL: rows locked
        by another relay's open transaction are skipped)."""

    @abc.abstractmethod
    async def mark_published(self, event_ids: Sequence[str]) -> int:
        """Set published_at=now on these events; returns how many changed."""

    # -- ops -----------------------------------------------------------------------------
    @abc.abstractmethod
    async def get_reconcile_cursor(self, name: str) -> ReconcileCursor | None:
        """The saved keyset cursor of shop reader ``name`` (None before its first pass)."""

    @abc.abstractmethod
    async def save_reconcile_cursor(self, name: str, cursor: ReconcileCursor) -> ReconcileCursor:
        """Move reader ``name``'s cursor forward to ``cursor`` (never back: an older cursor
        from a slower concurrent pass is ignored); returns the cursor now stored."""

    @abc.abstractmethod
    async def counts(self) -> dict[str, Any]:
        """``{"inbox", "duplicates", "events_inbox", "quarantine", "snapshots",
        "jobs": {status: n}, "dlq", "dlq_unreplayed", "ledger": {status: n},
        "outbox_unpublished"}``."""

    @abc.abstractmethod
    async def prune(self, before: float) -> dict[str, int]:
        """Retention: delete inbox and event-inbox rows last seen before ``before`` and
        outbox events published before it; returns rows deleted per table. Snapshots, jobs,
        ledger, DLQ and audit are kept (a late duplicate of a pruned delivery then compares
        equal to, or older than, the snapshot and changes nothing)."""

    @abc.abstractmethod
    async def pending_work(self) -> int:
        """Jobs not done/dead + unpublished outbox events (0 = quiescent)."""
