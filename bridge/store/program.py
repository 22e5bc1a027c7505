"""Transaction programs: the store's logic once, for both backends.

Each program is a generator that yields ``Query`` objects and receives their results; a
backend driver runs the whole generator inside ONE transaction (SQLite: on its database
thread, in one hop; PostgreSQL: on one pooled connection). This keeps the two
implementations from drifting apart: the invariants live here, the drivers only execute.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from bridge.store import sql
from bridge.store.base import (
    GENESIS_HASH,
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
    Snapshot,
    audit_hash,
    canonical_json,
    modified_epoch,
)
from bridge.store.errors import InvalidDelivery, LeaseLost, StoreError
from bridge.store.rules import SnapshotDecision, decide_snapshot

Row = Sequence[Any]
T = TypeVar("T")
Mode = Literal["one", "all", "exec", "value"]


@dataclass(frozen=True)
class Query:
    """One statement. ``mode``: ``one`` → first row or None, ``all`` → rows, ``value`` →
    first column of the first row (or None), ``exec`` → affected row count.
    ``pg_only``: skipped on SQLite (row/advisory locks; SQLite's writer lock covers it)."""

    sql: str
    args: tuple[Any, ...] = ()
    mode: Mode = "exec"
    pg_only: bool = False


Program = Generator[Query, Any, Any]

#: advisory-lock class ids (PostgreSQL ``pg_advisory_xact_lock(class, key)``)
ORDER_LOCK_CLASS = 7401
#: serialises appenders of the operations audit chain (one chain per schema)
AUDIT_LOCK_CLASS = 7402
MIGRATION_LOCK_KEY = 740_100_001


def _dumps(value: Mapping[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _storable(text: str) -> str:
    """PostgreSQL JSONB cannot hold NUL; refuse it the same way on both backends."""
    if "\\u0000" in text:
        raise InvalidDelivery("payload contains \\u0000 (NUL), which cannot be stored")
    return text


def _loads(value: Any) -> Any:
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


def iso_epoch(ts: float) -> str:
    """Epoch seconds → ``2026-11-23T20:11:19.123Z``."""
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


# -- row converters ------------------------------------------------------------------------
def to_snapshot(r: Row) -> Snapshot:
    return Snapshot(
        order_id=int(r[0]),
        payload=_loads(r[1]),
        date_modified_gmt=r[2],
        payload_sha256=r[3],
        source=r[4],
        version=int(r[5]),
        updated_at=float(r[6]),
    )


def to_job(r: Row) -> Job:
    return Job(
        job_id=int(r[0]),
        order_id=int(r[1]),
        status=r[2],
        run_at=float(r[3]),
        attempts=int(r[4]),
        first_attempt_at=None if r[5] is None else float(r[5]),
        fencing_token=int(r[6]),
        worker_id=r[7],
        lease_expires_at=None if r[8] is None else float(r[8]),
        dirty=bool(r[9]),
        desired_version=int(r[10]),
        last_error=r[11],
        created_at=float(r[12]),
        updated_at=float(r[13]),
    )


def to_dead_letter(r: Row) -> DeadLetterRow:
    return DeadLetterRow(
        id=int(r[0]),
        job_id=int(r[1]),
        order_id=int(r[2]),
        op=r[3],
        idem_key=r[4],
        code=r[5],
        message=r[6],
        payload=_loads(r[7]),
        created_at=float(r[8]),
        replayed_at=None if r[9] is None else float(r[9]),
        replay_count=int(r[10]),
    )


def to_ledger(r: Row, *, status: str | None = None, fresh: bool = False) -> LedgerRow:
    return LedgerRow(
        idem_key=r[0],
        order_id=int(r[1]),
        op=r[2],
        status=status if status is not None else r[3],
        target_entity=r[4],
        target_docentry=None if r[5] is None else int(r[5]),
        target_docnum=None if r[6] is None else int(r[6]),
        attempts=int(r[7]),
        last_error=r[8],
        created_at=float(r[9]),
        updated_at=float(r[10]),
        fresh=fresh,
    )


def to_attempt(r: Row) -> Attempt:
    return Attempt(
        id=int(r[0]),
        order_id=int(r[1]),
        op=r[2],
        idem_key=r[3],
        outcome=r[4],
        detail=_loads(r[5]),
        duration_ms=float(r[6]),
        worker_id=r[7],
        token=None if r[8] is None else int(r[8]),
        at=float(r[9]),
    )


def to_event(r: Row) -> OutboxEvent:
    return OutboxEvent(
        event_id=r[0],
        type=r[1],
        correlation_id=r[2],
        payload=_loads(r[3]),
        created_at=float(r[4]),
        published_at=None if r[5] is None else float(r[5]),
    )


def to_quarantine(r: Row) -> QuarantineEntry:
    return QuarantineEntry(
        id=int(r[0]),
        source=r[1],
        topic=r[2],
        kind=r[3],
        headers=_loads(r[4]),
        body=bytes(r[5]),
        reason=r[6],
        received_at=float(r[7]),
    )


# -- building blocks -----------------------------------------------------------------------
def check_lease(lease: Lease, now: float) -> Program:
    """Fencing: the job must still carry this lease's token, be claimed, and not expired."""
    row = yield Query(sql.LEASE_ROW + " FOR UPDATE", (lease.job_id,), "one")
    if row is None:
        raise LeaseLost(lease.job_id, lease.token, "job no longer exists")
    token, status, expires_at = int(row[0]), row[1], row[2]
    if token != lease.token:
        raise LeaseLost(lease.job_id, lease.token, f"reclaimed with token {token}")
    if status != "claimed":
        raise LeaseLost(lease.job_id, lease.token, f"job is {status}")
    if expires_at is None or float(expires_at) < now:
        raise LeaseLost(lease.job_id, lease.token, "lease expired")


def lock_order(order_id: int) -> Program:
    """PostgreSQL: serialise writers of one order's snapshot (two processes, new order)."""
    yield Query(
        "SELECT pg_advisory_xact_lock($1, $2)",
        (ORDER_LOCK_CLASS, order_id % 2_147_483_647),
        "exec",
        pg_only=True,
    )


def apply_snapshot(
    order_id: int,
    payload_text: str,
    date_modified_gmt: str,
    modified_ts: float,
    sha: str,
    source: str,
    now: float,
    *,
    authoritative: bool = False,
) -> Program:
    """LWW snapshot upsert + job coalescing for one payload (events, fetches)."""
    cur = yield Query(
        "SELECT modified_ts, payload_sha256, version FROM snapshots WHERE order_id = $1",
        (order_id,),
        "one",
    )
    decision = decide_snapshot(
        None if cur is None else (float(cur[0]), cur[1]),
        modified_ts,
        sha,
        authoritative=authoritative,
    )
    if not decision.changes:
        return AcceptOutcome(
            needs_fetch=decision is SnapshotDecision.CONFLICT,
            stale=decision is SnapshotDecision.STALE,
        )
    version = 1 if cur is None else int(cur[2]) + 1
    yield Query(
        sql.UPSERT_SNAPSHOT,
        (order_id, payload_text, date_modified_gmt, modified_ts, sha, source, version, now),
    )
    job = yield Query(sql.UPSERT_JOB, (order_id, now, version), "one")
    return AcceptOutcome(snapshot_changed=True, job_id=None if job[1] == "dead" else int(job[0]))


@dataclass
class _Pending:
    """One distinct delivery content of a batch (its first occurrence + in-batch copies)."""

    index: int
    delivery: InboundDelivery
    sha: str
    modified_ts: float
    text: str
    copies: int = 1
    last_seen_at: float = 0.0
    #: its inbox row, once inserted (a snapshot taken from it points there)
    inbox_id: int = 0


def _inbox_row(pd: _Pending) -> tuple[Any, ...]:
    d = pd.delivery
    return (
        d.source,
        d.topic,
        d.order_id,
        d.date_modified_gmt,
        pd.modified_ts,
        pd.sha,
        d.delivery_id,
        d.webhook_id,
        pd.text,
        d.received_at,
        pd.last_seen_at,
        pd.copies,
    )


def _snapshot_row(order_id: int, pd: _Pending, version: int, now: float) -> tuple[Any, ...]:
    """UPSERT_SNAPSHOT_REF parameters: $1 order, $2 inbox row … $7 version, $8 now."""
    d = pd.delivery
    return (
        order_id,
        pd.inbox_id,
        d.date_modified_gmt,
        pd.modified_ts,
        pd.sha,
        d.source,
        version,
        now,
    )


def _columns(rows: Sequence[tuple[Any, ...]]) -> tuple[list[Any], ...]:
    """Rows → one list per column (PostgreSQL ``unnest`` array parameters)."""
    return tuple(list(col) for col in zip(*rows, strict=True))


#: rows per multi-row statement at most (SQLite group commit: 12 × 64 parameters)
MAX_ROWS_PER_STATEMENT = 64


def _row_chunks(items: Sequence[T]) -> list[Sequence[T]]:
    """``items`` cut into power-of-two pieces, largest first (37 → 32 + 4 + 1): a batch costs
    a few statements while only a handful of statement shapes are ever prepared."""
    chunks: list[Sequence[T]] = []
    i = 0
    while i < len(items):
        size = min(MAX_ROWS_PER_STATEMENT, 1 << ((len(items) - i).bit_length() - 1))
        chunks.append(items[i : i + size])
        i += size
    return chunks


def _flat(rows: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
    """Rows → the arguments of a ``sql.multi_row`` statement (row after row)."""
    return tuple(value for row in rows for value in row)


_INBOX_KEY = "source, order_id, date_modified_gmt, payload_sha256, copies, id"


def accept_deliveries(
    items: Sequence[InboundDelivery], now: float, *, bulk: bool = False
) -> Program:
    """Inbox + snapshot + job for (already validated) deliveries; results in input order.

    The outcome equals accepting the items one by one in input order, but the work is
    set-based: in-batch copies are folded first, then one inbox write per distinct
    content, one snapshot read per order, LWW decided in Python, and one snapshot write
    plus one job upsert per changed order (its final state). ``bulk`` (PostgreSQL): each
    of those steps is ONE array statement, after locking every order of the batch in
    ascending order (concurrent batches cannot deadlock): five round trips per batch.
    Otherwise (SQLite) each step is a few multi-row statements (``sql.multi_row``): the
    database thread takes the GIL back a handful of times per batch, not a few per item.
    """
    results: list[AcceptOutcome | None] = [None] * len(items)
    distinct: dict[tuple[str, int, str, str], _Pending] = {}
    for i, d in enumerate(items):
        sha = d.sha256()
        key = (d.source, d.order_id, d.date_modified_gmt, sha)
        seen = distinct.get(key)
        if seen is not None:
            seen.copies += 1
            seen.last_seen_at = max(seen.last_seen_at, d.received_at)
            results[i] = AcceptOutcome(duplicate=True)
            continue
        distinct[key] = _Pending(
            i, d, sha, modified_epoch(d.date_modified_gmt), d.payload_text(), 1, d.received_at
        )
    if not distinct:
        return [r or AcceptOutcome() for r in results]

    # 1. inbox: which contents are new
    new: list[_Pending] = []
    if bulk:
        order_keys = sorted({d.order_id % 2_147_483_647 for d in items})
        yield Query(sql.LOCK_ORDERS, (ORDER_LOCK_CLASS, order_keys), "exec", pg_only=True)
        rows = yield Query(
            sql.INSERT_INBOX_BULK, _columns([_inbox_row(pd) for pd in distinct.values()]), "all"
        )
    else:
        rows = []
        for chunk in _row_chunks(list(distinct.values())):
            text = sql.multi_row(sql.INSERT_INBOX, len(chunk), _INBOX_KEY)
            rows.extend((yield Query(text, _flat([_inbox_row(pd) for pd in chunk]), "all")))
    stored = {(r[0], int(r[1]), r[2], r[3]): (int(r[4]), int(r[5])) for r in rows}
    for key, pd in distinct.items():
        copies, pd.inbox_id = stored[key]
        if copies == pd.copies:
            new.append(pd)
    new_ids = {pd.index for pd in new}
    for pd in distinct.values():
        if pd.index not in new_ids:
            results[pd.index] = AcceptOutcome(duplicate=True)
    if not new:
        return [r or AcceptOutcome() for r in results]

    # 2. current snapshots of the orders concerned
    orders = sorted({pd.delivery.order_id for pd in new})
    if bulk:
        rows = yield Query(sql.READ_SNAPSHOTS, (orders,), "all")
    else:
        rows = []
        for ids in _row_chunks(orders):
            rows.extend((yield Query(sql.read_snapshots_in(len(ids)), tuple(ids), "all")))
    state = {int(r[0]): (float(r[1]), r[2], int(r[3])) for r in rows}

    # 3. last writer wins, in input order
    final: dict[int, _Pending] = {}
    changed: dict[int, list[int]] = {}
    for pd in sorted(new, key=lambda x: x.index):
        order_id = pd.delivery.order_id
        cur = state.get(order_id)
        decision = decide_snapshot(None if cur is None else cur[:2], pd.modified_ts, pd.sha)
        if not decision.changes:
            results[pd.index] = AcceptOutcome(
                needs_fetch=decision is SnapshotDecision.CONFLICT,
                stale=decision is SnapshotDecision.STALE,
            )
            continue
        state[order_id] = (pd.modified_ts, pd.sha, 1 if cur is None else cur[2] + 1)
        final[order_id] = pd
        changed.setdefault(order_id, []).append(pd.index)
    if not final:
        return [r or AcceptOutcome() for r in results]

    # 4. each changed order: its final snapshot and one job upsert
    changed_orders = sorted(final)
    snap_rows = [_snapshot_row(o, final[o], state[o][2], now) for o in changed_orders]
    if bulk:
        yield Query(sql.UPSERT_SNAPSHOTS_BULK, (*_columns([r[:7] for r in snap_rows]), now))
        versions = [state[o][2] for o in changed_orders]
        rows = yield Query(sql.UPSERT_JOBS_BULK, (changed_orders, now, versions), "all")
    else:
        for snaps in _row_chunks(snap_rows):
            yield Query(sql.multi_row(sql.UPSERT_SNAPSHOT_REF, len(snaps)), _flat(snaps))
        rows = []
        for ids in _row_chunks(changed_orders):
            text = sql.multi_row(sql.UPSERT_JOB, len(ids), "order_id, id, status")
            args = _flat([(o, now, state[o][2]) for o in ids])
            rows.extend((yield Query(text, args, "all")))
    jobs = {int(r[0]): (int(r[1]), r[2]) for r in rows}
    for order_id, indexes in changed.items():
        job_id, status = jobs[order_id]
        for i in indexes:
            results[i] = AcceptOutcome(
                snapshot_changed=True, job_id=None if status == "dead" else job_id
            )
    return [r or AcceptOutcome() for r in results]


def accept_event(
    source: str,
    event_id: str,
    order_id: int,
    payload: Mapping[str, Any],
    occurred_at: float,
    now: float,
    sha: str,
) -> Program:
    text = _storable(_dumps(payload))
    yield from lock_order(order_id)
    copies = yield Query(
        sql.INSERT_EVENT_INBOX, (source, event_id, order_id, occurred_at, text, now), "value"
    )
    if int(copies) > 1:
        return AcceptOutcome(duplicate=True)
    return (
        yield from apply_snapshot(
            order_id, text, iso_epoch(occurred_at), occurred_at, sha, source, now
        )
    )


def replace_snapshot(
    order_id: int,
    payload: Mapping[str, Any],
    date_modified_gmt: str,
    source: str,
    now: float,
    sha: str,
) -> Program:
    yield from lock_order(order_id)
    ts = modified_epoch(date_modified_gmt)
    return (
        yield from apply_snapshot(
            order_id,
            _storable(_dumps(payload)),
            date_modified_gmt,
            ts,
            sha,
            source,
            now,
            authoritative=True,
        )
    )


def quarantine(q: QuarantineEntry) -> Program:
    new_id = yield Query(
        sql.INSERT_QUARANTINE,
        (q.source, q.topic, q.kind, _dumps(dict(q.headers)), q.body, q.reason, q.received_at),
        "value",
    )
    return int(new_id)


# -- jobs ----------------------------------------------------------------------------------
def claim_jobs(worker_id: str, limit: int, lease_s: float, now: float) -> Program:
    ids = yield Query(
        "SELECT id FROM jobs WHERE (status IN ('pending', 'retrying') AND run_at <= $1) "
        "OR (status = 'claimed' AND lease_expires_at < $1) "
        "ORDER BY run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
        (now, limit),
        "all",
    )
    leases: list[Lease] = []
    expires = now + lease_s
    for (job_id,) in ids:
        r = yield Query(sql.CLAIM_UPDATE, (job_id, worker_id, expires, now), "one")
        leases.append(
            Lease(
                job_id=int(r[0]),
                order_id=int(r[1]),
                token=int(r[2]),
                worker_id=worker_id,
                expires_at=expires,
                attempts=int(r[3]),
                first_attempt_at=float(r[4]),
                desired_version=int(r[5]),
            )
        )
    return leases


def claim_work(worker_id: str, limit: int, lease_s: float, now: float) -> Program:
    """``claim_jobs``, then each claimed order's snapshot and ledger in the same transaction."""
    leases: list[Lease] = yield from claim_jobs(worker_id, limit, lease_s, now)
    out: list[Claimed] = []
    for lease in leases:
        snap = yield from get_snapshot(lease.order_id)
        ledger = yield from ledger_for_order(lease.order_id)
        out.append(Claimed(lease, snap, ledger))
    return out


def renew_lease(lease: Lease, lease_s: float, now: float) -> Program:
    expires = now + lease_s
    n = yield Query(sql.RENEW_LEASE, (lease.job_id, lease.token, expires, now))
    if n:
        lease.expires_at = expires
    return bool(n)


def complete_job(lease: Lease, now: float) -> Program:
    yield from check_lease(lease, now)
    yield Query(sql.COMPLETE_JOB, (lease.job_id, now))


def retry_job(lease: Lease, run_at: float, error: str, now: float) -> Program:
    yield from check_lease(lease, now)
    yield Query(sql.RETRY_JOB, (lease.job_id, run_at, error, now))


def release_job(lease: Lease, run_at: float, now: float) -> Program:
    yield from check_lease(lease, now)
    yield Query(sql.RELEASE_JOB, (lease.job_id, run_at, now))


def dead_letter(lease: Lease, dl: DeadLetter, now: float) -> Program:
    yield from check_lease(lease, now)
    yield Query(sql.DEAD_JOB, (lease.job_id, f"{dl.code}: {dl.message}", now))
    new_id = yield Query(
        sql.INSERT_DEAD_LETTER,
        (
            lease.job_id,
            lease.order_id,
            dl.op,
            dl.idem_key,
            dl.code,
            dl.message,
            _dumps(dict(dl.payload)),
            now,
        ),
        "value",
    )
    return int(new_id)


def request_sync(order_id: int, now: float) -> Program:
    """Re-queue an order's job (see ``sql.REQUEST_SYNC``); an order with a snapshot but no
    job gets a pending one; an unknown order is a no-op. Returns the job's status after."""
    yield from lock_order(order_id)
    job = yield Query("SELECT status FROM jobs WHERE order_id = $1 FOR UPDATE", (order_id,), "one")
    if job is not None:
        yield Query(sql.REQUEST_SYNC, (order_id, now))
        status = yield Query("SELECT status FROM jobs WHERE order_id = $1", (order_id,), "value")
        return str(status)
    version = yield Query("SELECT version FROM snapshots WHERE order_id = $1", (order_id,), "value")
    if version is None:
        return None
    yield Query(sql.UPSERT_JOB, (order_id, now, int(version)), "one")
    return "pending"


def get_job(order_id: int) -> Program:
    r = yield Query(f"SELECT {sql.JOB_COLUMNS} FROM jobs WHERE order_id = $1", (order_id,), "one")
    return None if r is None else to_job(r)


def list_jobs(status: str | None, limit: int, offset: int) -> Program:
    where, args = (
        ("WHERE status = $3 ", (limit, offset, status)) if status else ("", (limit, offset))
    )
    rows = yield Query(
        f"SELECT {sql.JOB_COLUMNS} FROM jobs {where}ORDER BY run_at, id LIMIT $1 OFFSET $2",
        args,
        "all",
    )
    return [to_job(r) for r in rows]


def prune(before: float) -> Program:
    yield Query(sql.DETACH_PRUNED_SNAPSHOTS, (before,))
    inbox = yield Query("DELETE FROM inbox WHERE last_seen_at < $1", (before,))
    events = yield Query("DELETE FROM event_inbox WHERE last_seen_at < $1", (before,))
    outbox = yield Query(
        "DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < $1", (before,)
    )
    return {"inbox": int(inbox), "event_inbox": int(events), "outbox": int(outbox)}


def next_run_at() -> Program:
    v = yield Query(sql.NEXT_RUN_AT, (), "value")
    return None if v is None else float(v)


# -- DLQ -----------------------------------------------------------------------------------
def list_dead_letters(limit: int, offset: int, include_replayed: bool) -> Program:
    where = "" if include_replayed else "WHERE replayed_at IS NULL "
    rows = yield Query(
        f"SELECT {sql.DEAD_LETTER_COLUMNS} FROM dead_letters {where}ORDER BY id LIMIT $1 OFFSET $2",
        (limit, offset),
        "all",
    )
    return [to_dead_letter(r) for r in rows]


def get_dead_letter(id: int) -> Program:
    r = yield Query(
        f"SELECT {sql.DEAD_LETTER_COLUMNS} FROM dead_letters WHERE id = $1", (id,), "one"
    )
    return None if r is None else to_dead_letter(r)


def replay_dead_letter(id: int, now: float) -> Program:
    job_id = yield Query(sql.MARK_REPLAYED, (id, now), "value")
    if job_id is None:
        return False
    yield Query(sql.BUMP_JOB, (int(job_id), now))
    return True


def replay_all_dead_letters(now: float) -> Program:
    ids = yield Query(
        "SELECT id FROM dead_letters WHERE replayed_at IS NULL ORDER BY id", (), "all"
    )
    n = 0
    for (dl_id,) in ids:
        ok = yield from replay_dead_letter(int(dl_id), now)
        n += int(ok)
    return n


# -- ledger --------------------------------------------------------------------------------
def _ledger_row(idem_key: str) -> Program:
    r = yield Query(
        f"SELECT {sql.LEDGER_COLUMNS} FROM sync_ledger WHERE idem_key = $1", (idem_key,), "one"
    )
    return r


def record_intent(
    lease: Lease | None, idem_key: str, order_id: int, op: str, target_entity: str, now: float
) -> Program:
    if lease is not None:
        yield from check_lease(lease, now)
    before = yield from _ledger_row(idem_key)
    if before is None:
        yield Query(sql.INSERT_INTENT, (idem_key, order_id, op, target_entity, now))
        after = yield from _ledger_row(idem_key)
        return to_ledger(after, fresh=True)
    yield Query(sql.BUMP_INTENT, (idem_key, now))
    after = yield from _ledger_row(idem_key)
    return to_ledger(after, status=before[3])


def _require_ledger(n: int, idem_key: str) -> None:
    if not n:
        raise StoreError(f"no ledger row for {idem_key!r}: call record_intent first")


def mark_done(
    lease: Lease | None,
    idem_key: str,
    docentry: int | None,
    docnum: int | None,
    events: Sequence[OutboxEvent],
    now: float,
) -> Program:
    if lease is not None:
        yield from check_lease(lease, now)
    n = yield Query(sql.MARK_DONE, (idem_key, docentry, docnum, now))
    _require_ledger(n, idem_key)
    yield from enqueue_events(events, now)
    # the order's whole ledger as this transaction leaves it (the key names the order)
    return (
        yield from _order_ledger("(SELECT order_id FROM sync_ledger WHERE idem_key = $1)", idem_key)
    )


def mark_status(lease: Lease | None, idem_key: str, status: str, error: str, now: float) -> Program:
    if lease is not None:
        yield from check_lease(lease, now)
    n = yield Query(sql.MARK_STATUS, (idem_key, status, error, now))
    _require_ledger(n, idem_key)


def get_ledger(idem_key: str) -> Program:
    r = yield from _ledger_row(idem_key)
    return None if r is None else to_ledger(r)


def _order_ledger(order: str, arg: Any) -> Program:
    """One order's ledger rows, oldest first; ``order`` is the SQL naming its id."""
    rows = yield Query(
        f"SELECT {sql.LEDGER_COLUMNS} FROM sync_ledger WHERE order_id = {order} "
        "ORDER BY created_at, idem_key",
        (arg,),
        "all",
    )
    return [to_ledger(r) for r in rows]


def ledger_for_order(order_id: int) -> Program:
    return (yield from _order_ledger("$1", order_id))


# -- audit and outbox ----------------------------------------------------------------------
def append_attempt(
    lease: Lease | None,
    order_id: int,
    op: str,
    idem_key: str | None,
    outcome: str,
    detail: Mapping[str, Any],
    duration_ms: float,
    now: float,
) -> Program:
    if lease is not None:
        yield from check_lease(lease, now)
    new_id = yield Query(
        sql.INSERT_ATTEMPT,
        (
            order_id,
            op,
            idem_key,
            outcome,
            _dumps(dict(detail)),
            float(duration_ms),
            None if lease is None else lease.worker_id,
            None if lease is None else lease.token,
            now,
        ),
        "value",
    )
    return int(new_id)


def list_attempts(order_id: int) -> Program:
    rows = yield Query(
        f"SELECT {sql.ATTEMPT_COLUMNS} FROM attempts WHERE order_id = $1 ORDER BY id",
        (order_id,),
        "all",
    )
    return [to_attempt(r) for r in rows]


def enqueue_events(events: Sequence[OutboxEvent], now: float) -> Program:
    for e in events:
        created = now if e.created_at is None else e.created_at
        yield Query(
            sql.INSERT_OUTBOX,
            (e.event_id, e.type, e.correlation_id, _dumps(dict(e.payload)), created),
        )


def fetch_unpublished(limit: int) -> Program:
    rows = yield Query(
        f"SELECT {sql.OUTBOX_COLUMNS} FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1",
        (limit,),
        "all",
    )
    return [to_event(r) for r in rows]


def mark_published(event_ids: Sequence[str], now: float) -> Program:
    n = 0
    for eid in event_ids:
        changed = yield Query(
            "UPDATE outbox SET published_at = $2 WHERE event_id = $1 AND published_at IS NULL",
            (eid, now),
        )
        n += int(changed)
    return n


# -- quarantine ----------------------------------------------------------------------------
def list_quarantine(limit: int, offset: int, kind: str | None) -> Program:
    if kind is None:
        rows = yield Query(
            f"SELECT {sql.QUARANTINE_COLUMNS} FROM quarantine ORDER BY id DESC LIMIT $1 OFFSET $2",
            (limit, offset),
            "all",
        )
    else:
        rows = yield Query(
            f"SELECT {sql.QUARANTINE_COLUMNS} FROM quarantine WHERE kind = $3 "
            "ORDER BY id DESC LIMIT $1 OFFSET $2",
            (limit, offset, kind),
            "all",
        )
    return [to_quarantine(r) for r in rows]


def get_quarantine(id: int) -> Program:
    r = yield Query(f"SELECT {sql.QUARANTINE_COLUMNS} FROM quarantine WHERE id = $1", (id,), "one")
    return None if r is None else to_quarantine(r)


# -- snapshots and ops ---------------------------------------------------------------------
def get_snapshot(order_id: int) -> Program:
    r = yield Query(sql.SNAPSHOT_ROW, (order_id,), "one")
    return None if r is None else to_snapshot(r)


def counts() -> Program:
    inbox = yield Query("SELECT COUNT(*), COALESCE(SUM(copies - 1), 0) FROM inbox", (), "one")
    events = yield Query(
        "SELECT COUNT(*), COALESCE(SUM(copies - 1), 0) FROM event_inbox", (), "one"
    )
    quarantine_n = yield Query("SELECT COUNT(*) FROM quarantine", (), "value")
    snapshots = yield Query("SELECT COUNT(*) FROM snapshots", (), "value")
    jobs = yield Query("SELECT status, COUNT(*) FROM jobs GROUP BY status", (), "all")
    dlq = yield Query("SELECT COUNT(*), COUNT(*) - COUNT(replayed_at) FROM dead_letters", (), "one")
    ledger = yield Query("SELECT status, COUNT(*) FROM sync_ledger GROUP BY status", (), "all")
    unpublished = yield Query("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL", (), "value")
    return {
        "inbox": int(inbox[0]),
        "duplicates": int(inbox[1]),
        "events_inbox": int(events[0]),
        "event_duplicates": int(events[1]),
        "quarantine": int(quarantine_n),
        "snapshots": int(snapshots),
        "jobs": {status: 0 for status in ("pending", "retrying", "claimed", "done", "dead")}
        | {r[0]: int(r[1]) for r in jobs},
        "dlq": int(dlq[0]),
        "dlq_unreplayed": int(dlq[1]),
        "ledger": {r[0]: int(r[1]) for r in ledger},
        "outbox_unpublished": int(unpublished),
    }


def pending_work() -> Program:
    jobs = yield Query(
        "SELECT COUNT(*) FROM jobs WHERE status NOT IN ('done', 'dead')", (), "value"
    )
    unpublished = yield Query("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL", (), "value")
    return int(jobs) + int(unpublished)


# -- operations audit (hash chain) ---------------------------------------------------------
AUDIT_COLUMNS = "seq, at, actor, role, action, target, order_id, detail, prev_hash, hash"


def to_audit(r: Row) -> AuditEntry:
    return AuditEntry(
        seq=int(r[0]),
        at=float(r[1]),
        actor=r[2],
        role=r[3],
        action=r[4],
        target=r[5],
        order_id=None if r[6] is None else int(r[6]),
        detail_json=r[7],
        prev_hash=r[8],
        hash=r[9],
    )


def append_audit(
    actor: str,
    role: str,
    action: str,
    target: str,
    detail: Mapping[str, Any],
    order_id: int | None,
    now: float,
) -> Program:
    """Chain one entry to the newest: the advisory lock (PostgreSQL) or the writer lock
    (SQLite) makes concurrent appenders take turns, so no two entries share a ``seq``."""
    yield Query("SELECT pg_advisory_xact_lock($1, 0)", (AUDIT_LOCK_CLASS,), "exec", pg_only=True)
    last = yield Query("SELECT seq, hash FROM ops_audit ORDER BY seq DESC LIMIT 1", (), "one")
    seq, prev = (1, GENESIS_HASH) if last is None else (int(last[0]) + 1, str(last[1]))
    text = canonical_json(dict(detail))
    digest = audit_hash(seq, now, actor, role, action, target, order_id, text, prev)
    yield Query(
        f"INSERT INTO ops_audit ({AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        (seq, now, actor, role, action, target, order_id, text, prev, digest),
    )
    return AuditEntry(seq, now, actor, role, action, target, order_id, text, prev, digest)


def list_audit(order_id: int | None, after_seq: int, limit: int) -> Program:
    if order_id is None:
        rows = yield Query(
            f"SELECT {AUDIT_COLUMNS} FROM ops_audit WHERE seq > $1 ORDER BY seq LIMIT $2",
            (after_seq, limit),
            "all",
        )
    else:
        rows = yield Query(
            f"SELECT {AUDIT_COLUMNS} FROM ops_audit WHERE order_id = $3 AND seq > $1 "
            "ORDER BY seq LIMIT $2",
            (after_seq, limit, order_id),
            "all",
        )
    return [to_audit(r) for r in rows]


def replay_audited(id: int | None, actor: str, role: str, via: str, now: float) -> Program:
    """A replay and its audit entries commit together: no replay without its who/when."""
    if id is None:
        rows = yield Query(
            "SELECT id, order_id FROM dead_letters WHERE replayed_at IS NULL ORDER BY id",
            (),
            "all",
        )
    else:
        rows = yield Query("SELECT id, order_id FROM dead_letters WHERE id = $1", (id,), "all")
    replayed: list[int] = []
    for dl_id, order_id in rows:
        ok = yield from replay_dead_letter(int(dl_id), now)
        if ok:
            replayed.append(int(dl_id))
            yield from append_audit(
                actor,
                role,
                "dlq.replay",
                f"dead_letter:{int(dl_id)}",
                {"via": via, "dead_letter": int(dl_id), "all": id is None},
                int(order_id),
                now,
            )
    return replayed


#: ledger ops whose completion ends a time-to-acknowledge: SAP took the order, and the
#: shop was told (order note with the SAP document number, or status completed)
TTA_OPS = {"create_order": "sap", "shop_note": "shop", "shop_complete": "shop"}


def ops_figures(since: float, now: float) -> Program:
    unpublished = yield Query(
        "SELECT MIN(created_at) FROM outbox WHERE published_at IS NULL", (), "value"
    )
    due = yield Query(
        "SELECT MIN(run_at) FROM jobs WHERE status IN ('pending', 'retrying') AND run_at <= $1",
        (now,),
        "value",
    )
    rows = yield Query(
        "SELECT l.op, l.updated_at - j.created_at, l.updated_at FROM sync_ledger l "
        "JOIN jobs j ON j.order_id = l.order_id "
        "WHERE l.status = 'done' AND l.updated_at > $1 "
        "AND l.op IN ('create_order', 'shop_note', 'shop_complete') ORDER BY l.updated_at",
        (since,),
        "all",
    )
    return {
        "oldest_unpublished_at": None if unpublished is None else float(unpublished),
        "oldest_due_at": None if due is None else float(due),
        "tta": [(str(r[0]), max(0.0, float(r[1])), float(r[2])) for r in rows],
    }


def events_for(correlation_id: str, limit: int) -> Program:
    rows = yield Query(
        f"SELECT {sql.OUTBOX_COLUMNS} FROM outbox WHERE correlation_id = $1 ORDER BY seq LIMIT $2",
        (correlation_id, limit),
        "all",
    )
    return [to_event(r) for r in rows]


def dead_letters_for(order_id: int) -> Program:
    rows = yield Query(
        f"SELECT {sql.DEAD_LETTER_COLUMNS} FROM dead_letters WHERE order_id = $1 ORDER BY id",
        (order_id,),
        "all",
    )
    return [to_dead_letter(r) for r in rows]
