"""SQL shared by both backends, written with PostgreSQL ``$n`` placeholders.

SQLite runs the same text with ``$n`` turned into its numbered ``?n`` placeholders
(``for_sqlite``); both engines support ``INSERT … ON CONFLICT … DO UPDATE … RETURNING``
and evaluate ``SET`` expressions against the row as it was before the update.
"""

from __future__ import annotations

import functools
import re

__all__ = [
    "BUMP_JOB",
    "CLAIM_UPDATE",
    "INSERT_ATTEMPT",
    "INSERT_DEAD_LETTER",
    "INSERT_EVENT_INBOX",
    "INSERT_INBOX",
    "INSERT_OUTBOX",
    "LEASE_ROW",
    "REQUEST_SYNC",
    "UPSERT_JOB",
    "UPSERT_SNAPSHOT",
    "UPSERT_SNAPSHOT_REF",
    "for_sqlite",
    "multi_row",
]

_PLACEHOLDER = re.compile(r"\$(\d+)")


def for_sqlite(sql: str) -> str:
    """``$1`` → ``?1`` (and drop PostgreSQL-only casts such as ``::jsonb``)."""
    return _PLACEHOLDER.sub(r"?\1", sql).replace("::jsonb", "").replace("::bytea", "")


_VALUES = re.compile(r"VALUES \(([^()]*)\)")


@functools.lru_cache(maxsize=128)
def multi_row(single: str, rows: int, returning: str | None = None) -> str:
    """A one-row ``INSERT … VALUES (…)`` statement for ``rows`` rows in ONE statement.

    Row r's ``$k`` becomes ``$(r·w + k)``, w being the highest placeholder of the row, so
    the arguments are the rows' tuples one after the other. ``returning`` replaces the
    RETURNING list (a multi-row statement must return the key it matches rows by: the
    order of RETURNING rows is unspecified). SQLite's group commit: one statement per step
    instead of one per delivery.
    """
    found = _VALUES.search(single)
    if found is None:
        raise ValueError("not a single-row INSERT … VALUES (…) statement")
    row = found.group(1)
    width = max(int(n) for n in _PLACEHOLDER.findall(row))
    values = ", ".join(
        "(" + _PLACEHOLDER.sub(lambda m, r=r: f"${r * width + int(m.group(1))}", row) + ")"
        for r in range(rows)
    )
    text = single[: found.start()] + "VALUES " + values + single[found.end() :]
    if returning is not None:
        head, sep, _ = text.rpartition("RETURNING ")
        if not sep:
            raise ValueError("the statement has no RETURNING clause")
        text = head + sep + returning + "\n"
    return text


@functools.lru_cache(maxsize=16)
def read_snapshots_in(n: int) -> str:
    """``READ_SNAPSHOTS`` with an ``IN`` list of ``n`` placeholders (no arrays in SQLite)."""
    marks = ", ".join(f"${i}" for i in range(1, n + 1))
    return (
        "SELECT order_id, modified_ts, payload_sha256, version FROM snapshots "
        f"WHERE order_id IN ({marks})"
    )


# -- inbox (dedup by content) --------------------------------------------------------------
INSERT_INBOX = """
INSERT INTO inbox (source, topic, order_id, date_modified_gmt, modified_ts, payload_sha256,
                   delivery_id, webhook_id, payload, received_at, last_seen_at, copies)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12)
ON CONFLICT (source, order_id, date_modified_gmt, payload_sha256)
DO UPDATE SET copies = inbox.copies + excluded.copies, last_seen_at = excluded.last_seen_at
RETURNING copies, id
"""

# PostgreSQL group commit: the same for a whole batch in one statement (keys unique
# within the batch; in-batch copies arrive as ``copies`` > 1).
INSERT_INBOX_BULK = """
INSERT INTO inbox (source, topic, order_id, date_modified_gmt, modified_ts, payload_sha256,
                   delivery_id, webhook_id, payload, received_at, last_seen_at, copies)
SELECT s, t, o, d, m, h, di, wi, p::jsonb, r, ls, c
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::float8[], $6::text[],
            $7::text[], $8::text[], $9::text[], $10::float8[], $11::float8[], $12::int[])
     AS u(s, t, o, d, m, h, di, wi, p, r, ls, c)
ON CONFLICT (source, order_id, date_modified_gmt, payload_sha256)
DO UPDATE SET copies = inbox.copies + excluded.copies, last_seen_at = excluded.last_seen_at
RETURNING source, order_id, date_modified_gmt, payload_sha256, copies, id
"""

READ_SNAPSHOTS = """
SELECT order_id, modified_ts, payload_sha256, version FROM snapshots
WHERE order_id = ANY($1::bigint[])
"""

INSERT_EVENT_INBOX = """
INSERT INTO event_inbox (source, event_id, order_id, occurred_at, payload, received_at,
                         last_seen_at, copies)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $6, 1)
ON CONFLICT (source, event_id)
DO UPDATE SET copies = event_inbox.copies + 1, last_seen_at = excluded.received_at
RETURNING copies
"""

# PostgreSQL only: every order of a group commit locked at once, in ascending order.
LOCK_ORDERS = """
SELECT COUNT(pg_advisory_xact_lock($1, k))
FROM (SELECT DISTINCT k FROM unnest($2::int[]) AS u(k) ORDER BY k) AS ordered
"""

# -- snapshots -----------------------------------------------------------------------------
# A snapshot holds its payload (REST fetch, bus event: ``inbox_id`` NULL) or, taken from a
# webhook delivery, points at that delivery's inbox row (``payload`` NULL): the body is
# stored once. ``prune`` copies a pointed-at payload into the snapshot before deleting it.
UPSERT_SNAPSHOT = """
INSERT INTO snapshots (order_id, payload, date_modified_gmt, modified_ts, payload_sha256,
                       source, version, updated_at)
VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7, $8)
ON CONFLICT (order_id) DO UPDATE SET
    payload = excluded.payload, inbox_id = NULL, date_modified_gmt = excluded.date_modified_gmt,
    modified_ts = excluded.modified_ts, payload_sha256 = excluded.payload_sha256,
    source = excluded.source, version = excluded.version, updated_at = excluded.updated_at
"""

# The same from a delivery: $2 is its inbox row id.
UPSERT_SNAPSHOT_REF = """
INSERT INTO snapshots (order_id, inbox_id, date_modified_gmt, modified_ts, payload_sha256,
                       source, version, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (order_id) DO UPDATE SET
    payload = NULL, inbox_id = excluded.inbox_id, date_modified_gmt = excluded.date_modified_gmt,
    modified_ts = excluded.modified_ts, payload_sha256 = excluded.payload_sha256,
    source = excluded.source, version = excluded.version, updated_at = excluded.updated_at
"""

# PostgreSQL group commit: UPSERT_SNAPSHOT_REF for many orders ($2: inbox row ids).
UPSERT_SNAPSHOTS_BULK = """
INSERT INTO snapshots (order_id, inbox_id, date_modified_gmt, modified_ts, payload_sha256,
                       source, version, updated_at)
SELECT o, i, d, m, h, s, v, $8
FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::float8[], $5::text[], $6::text[],
            $7::bigint[]) AS u(o, i, d, m, h, s, v)
ON CONFLICT (order_id) DO UPDATE SET
    payload = NULL, inbox_id = excluded.inbox_id, date_modified_gmt = excluded.date_modified_gmt,
    modified_ts = excluded.modified_ts, payload_sha256 = excluded.payload_sha256,
    source = excluded.source, version = excluded.version, updated_at = excluded.updated_at
"""

SNAPSHOT_ROW = """
SELECT s.order_id, COALESCE(s.payload, i.payload), s.date_modified_gmt, s.payload_sha256,
       s.source, s.version, s.updated_at
FROM snapshots AS s LEFT JOIN inbox AS i ON i.id = s.inbox_id
WHERE s.order_id = $1
"""

# Retention: before inbox rows go, snapshots pointing at them take their own copy.
DETACH_PRUNED_SNAPSHOTS = """
UPDATE snapshots SET
    payload = (SELECT i.payload FROM inbox AS i WHERE i.id = snapshots.inbox_id),
    inbox_id = NULL
WHERE inbox_id IN (SELECT id FROM inbox WHERE last_seen_at < $1)
"""

# -- jobs ----------------------------------------------------------------------------------
# One job per order. New data: a pending/retrying job runs now, a claimed one is marked
# dirty (runs again after the claim), a done one becomes pending, a dead one stays dead
# until replayed (a compensation that edits the order must not loop it back in).
UPSERT_JOB = """
INSERT INTO jobs (order_id, status, run_at, attempts, fencing_token, dirty, desired_version,
                  created_at, updated_at)
VALUES ($1, 'pending', $2, 0, 0, FALSE, $3, $2, $2)
ON CONFLICT (order_id) DO UPDATE SET
    desired_version = excluded.desired_version,
    dirty = CASE WHEN jobs.status = 'claimed' THEN TRUE ELSE jobs.dirty END,
    run_at = CASE WHEN jobs.status IN ('pending', 'retrying', 'done') THEN excluded.run_at
                  ELSE jobs.run_at END,
    attempts = CASE WHEN jobs.status = 'done' THEN 0 ELSE jobs.attempts END,
    first_attempt_at = CASE WHEN jobs.status = 'done' THEN NULL ELSE jobs.first_attempt_at END,
    last_error = CASE WHEN jobs.status = 'done' THEN NULL ELSE jobs.last_error END,
    status = CASE WHEN jobs.status = 'done' THEN 'pending' ELSE jobs.status END,
    updated_at = excluded.updated_at
RETURNING id, status
"""

# PostgreSQL group commit: UPSERT_JOB for many orders ($1 orders, $2 now, $3 versions).
UPSERT_JOBS_BULK = UPSERT_JOB.replace(
    "VALUES ($1, 'pending', $2, 0, 0, FALSE, $3, $2, $2)",
    "SELECT o, 'pending', $2, 0, 0, FALSE, v, $2, $2 "
    "FROM unnest($1::bigint[], $3::bigint[]) AS u(o, v)",
).replace("RETURNING id, status", "RETURNING order_id, id, status")

# Replay: like new data, but a dead job is re-queued with a fresh attempt budget.
BUMP_JOB = """
UPDATE jobs SET
    dirty = CASE WHEN status = 'claimed' THEN TRUE ELSE dirty END,
    run_at = CASE WHEN status = 'claimed' THEN run_at ELSE $2 END,
    attempts = CASE WHEN status IN ('done', 'dead') THEN 0 ELSE attempts END,
    first_attempt_at = CASE WHEN status IN ('done', 'dead') THEN NULL ELSE first_attempt_at END,
    last_error = CASE WHEN status IN ('done', 'dead') THEN NULL ELSE last_error END,
    status = CASE WHEN status IN ('done', 'dead') THEN 'pending' ELSE status END,
    updated_at = $2
WHERE id = $1
"""

# Someone outside the worker (the poller: an invoice a waiting cancel/refund needs) asks
# for another pass: pending/retrying/done → pending now (done gets a fresh attempt budget),
# claimed → dirty (runs again after the claim), dead → untouched (only a replay revives it).
REQUEST_SYNC = """
UPDATE jobs SET
    dirty = CASE WHEN status = 'claimed' THEN TRUE ELSE dirty END,
    run_at = CASE WHEN status = 'claimed' THEN run_at ELSE $2 END,
    attempts = CASE WHEN status = 'done' THEN 0 ELSE attempts END,
    first_attempt_at = CASE WHEN status = 'done' THEN NULL ELSE first_attempt_at END,
    last_error = CASE WHEN status = 'done' THEN NULL ELSE last_error END,
    status = CASE WHEN status IN ('pending', 'retrying', 'done') THEN 'pending' ELSE status END,
    updated_at = $2
WHERE order_id = $1 AND status <> 'dead'
"""

CLAIM_UPDATE = """
UPDATE jobs SET status = 'claimed', fencing_token = fencing_token + 1, worker_id = $2,
    lease_expires_at = $3, attempts = attempts + 1,
    first_attempt_at = COALESCE(first_attempt_at, $4), dirty = FALSE, updated_at = $4
WHERE id = $1
RETURNING id, order_id, fencing_token, attempts, first_attempt_at, desired_version
"""

LEASE_ROW = "SELECT fencing_token, status, lease_expires_at FROM jobs WHERE id = $1"

COMPLETE_JOB = """
UPDATE jobs SET status = CASE WHEN dirty THEN 'pending' ELSE 'done' END,
    run_at = CASE WHEN dirty THEN $2 ELSE run_at END,
    dirty = FALSE, attempts = 0, first_attempt_at = NULL, worker_id = NULL,
    lease_expires_at = NULL, last_error = NULL, updated_at = $2
WHERE id = $1
"""

RETRY_JOB = """
UPDATE jobs SET status = 'retrying', run_at = $2, last_error = $3, dirty = FALSE,
    worker_id = NULL, lease_expires_at = NULL, updated_at = $4
WHERE id = $1
"""

RELEASE_JOB = """
UPDATE jobs SET status = 'pending', run_at = $2,
    first_attempt_at = CASE WHEN attempts <= 1 THEN NULL ELSE first_attempt_at END,
    attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,
    dirty = FALSE, worker_id = NULL, lease_expires_at = NULL, updated_at = $3
WHERE id = $1
"""

DEAD_JOB = """
UPDATE jobs SET status = 'dead', last_error = $2, dirty = FALSE, worker_id = NULL,
    lease_expires_at = NULL, updated_at = $3
WHERE id = $1
"""

RENEW_LEASE = """
UPDATE jobs SET lease_expires_at = $3, updated_at = $4
WHERE id = $1 AND fencing_token = $2 AND status = 'claimed' AND lease_expires_at >= $4
"""

JOB_COLUMNS = (
    "id, order_id, status, run_at, attempts, first_attempt_at, fencing_token, worker_id, "
    "lease_expires_at, dirty, desired_version, last_error, created_at, updated_at"
)

NEXT_RUN_AT = """
SELECT MIN(t) FROM (
    SELECT MIN(run_at) AS t FROM jobs WHERE status IN ('pending', 'retrying')
    UNION ALL
    SELECT MIN(lease_expires_at) AS t FROM jobs WHERE status = 'claimed'
) AS due
"""

# -- DLQ -----------------------------------------------------------------------------------
INSERT_DEAD_LETTER = """
INSERT INTO dead_letters (job_id, order_id, op, idem_key, code, message, payload, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
RETURNING id
"""

DEAD_LETTER_COLUMNS = (
    "id, job_id, order_id, op, idem_key, code, message, payload, created_at, replayed_at, "
    "replay_count"
)

MARK_REPLAYED = """
UPDATE dead_letters SET replayed_at = $2, replay_count = replay_count + 1
WHERE id = $1 AND replayed_at IS NULL
RETURNING job_id
"""

# -- ledger --------------------------------------------------------------------------------
LEDGER_COLUMNS = (
    "idem_key, order_id, op, status, target_entity, target_docentry, target_docnum, attempts, "
    "last_error, created_at, updated_at"
)

INSERT_INTENT = """
INSERT INTO sync_ledger (idem_key, order_id, op, status, target_entity, attempts, created_at,
                         updated_at)
VALUES ($1, $2, $3, 'intent', $4, 1, $5, $5)
"""

BUMP_INTENT = """
UPDATE sync_ledger SET attempts = attempts + 1,
    status = CASE WHEN status = 'failed' THEN 'intent' ELSE status END, updated_at = $2
WHERE idem_key = $1
"""

MARK_DONE = """
UPDATE sync_ledger SET status = 'done', target_docentry = $2, target_docnum = $3,
    last_error = NULL, updated_at = $4
WHERE idem_key = $1
"""

# A done effect is a fact in SAP: a later error report never downgrades it.
MARK_STATUS = """
UPDATE sync_ledger SET status = CASE WHEN status = 'done' THEN 'done' ELSE $2 END,
    last_error = $3, updated_at = $4
WHERE idem_key = $1
"""

# -- audit and outbox ----------------------------------------------------------------------
INSERT_ATTEMPT = """
INSERT INTO attempts (order_id, op, idem_key, outcome, detail, duration_ms, worker_id, token, at)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9)
RETURNING id
"""

ATTEMPT_COLUMNS = "id, order_id, op, idem_key, outcome, detail, duration_ms, worker_id, token, at"

INSERT_OUTBOX = """
INSERT INTO outbox (event_id, type, correlation_id, payload, created_at)
VALUES ($1, $2, $3, $4::jsonb, $5)
ON CONFLICT (event_id) DO NOTHING
"""

OUTBOX_COLUMNS = "event_id, type, correlation_id, payload, created_at, published_at"

INSERT_QUARANTINE = """
INSERT INTO quarantine (source, topic, kind, headers, body, reason, received_at)
VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)
RETURNING id
"""

QUARANTINE_COLUMNS = "id, source, topic, kind, headers, body, reason, received_at"

SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at DOUBLE PRECISION NOT NULL
)
"""
