-- A snapshot taken from a webhook delivery points at that delivery's inbox row instead of
-- holding a second copy of its payload: inbox_id set, payload NULL. A snapshot from a REST
-- fetch or a bus event keeps its own payload (inbox_id NULL). Pruning an inbox row copies
-- its payload into any snapshot that points at it first.

ALTER TABLE snapshots ALTER COLUMN payload DROP NOT NULL;

ALTER TABLE snapshots ADD COLUMN inbox_id BIGINT;

ALTER TABLE snapshots ADD CONSTRAINT snapshots_payload_or_ref
    CHECK ((payload IS NULL) <> (inbox_id IS NULL));
