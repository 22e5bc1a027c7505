-- The operations audit log: who did what and when (replays, manual changes, config
-- changes). Append-only with a hash chain: every entry carries the hash of the one before
-- (prev_hash) and its own hash over its fields and prev_hash (bridge.store.base.audit_hash).
-- seq is assigned by the appender (last seq + 1, under an advisory lock), so a deleted
-- entry leaves a gap as well as a broken link. detail is the exact canonical JSON text
-- that was hashed (TEXT, not JSONB: JSONB would re-format it).
-- A trigger refuses UPDATE and DELETE; a superuser can still disable it, which is what
-- `sapchaos bridge audit verify` is for.

CREATE TABLE ops_audit (
    seq       BIGINT PRIMARY KEY,
    at        DOUBLE PRECISION NOT NULL,
    actor     TEXT NOT NULL,
    role      TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    order_id  BIGINT,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL UNIQUE
);

CREATE INDEX ops_audit_order ON ops_audit (order_id);

CREATE FUNCTION ops_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ops_audit is append-only (% refused)', TG_OP;
END;
$$;

CREATE TRIGGER ops_audit_no_change BEFORE UPDATE OR DELETE ON ops_audit
    FOR EACH ROW EXECUTE FUNCTION ops_audit_append_only();

-- the ops views list an order's events by its correlation id
CREATE INDEX outbox_correlation ON outbox (correlation_id);
