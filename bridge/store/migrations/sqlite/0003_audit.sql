-- The operations audit log: who did what and when (replays, manual changes, config
-- changes). Append-only with a hash chain: every entry carries the hash of the one before
-- (prev_hash) and its own hash over its fields and prev_hash (bridge.store.base.audit_hash).
-- seq is assigned by the appender (last seq + 1, under the writer lock), so a deleted
-- entry leaves a gap as well as a broken link. detail is the exact canonical JSON text
-- that was hashed.

CREATE TABLE ops_audit (
    seq       INTEGER PRIMARY KEY,
    at        REAL    NOT NULL,
    actor     TEXT    NOT NULL,
    role      TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    target    TEXT    NOT NULL,
    order_id  INTEGER,
    detail    TEXT    NOT NULL,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL UNIQUE
);

CREATE INDEX ops_audit_order ON ops_audit (order_id);

-- the ops views list an order's events by its correlation id
CREATE INDEX outbox_correlation ON outbox (correlation_id);
