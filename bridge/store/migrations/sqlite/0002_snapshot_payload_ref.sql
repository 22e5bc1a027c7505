-- A snapshot taken from a webhook delivery points at that delivery's inbox row instead of
-- holding a second copy of its payload: inbox_id set, payload NULL. A snapshot from a REST
-- fetch or a bus event keeps its own payload (inbox_id NULL). Pruning an inbox row copies
-- its payload into any snapshot that points at it first.
-- SQLite cannot drop NOT NULL in place: the table is rebuilt (the documented procedure).

CREATE TABLE snapshots_v2 (
    order_id          INTEGER PRIMARY KEY,
    payload           TEXT,
    inbox_id          INTEGER,
    date_modified_gmt TEXT    NOT NULL,
    modified_ts       REAL    NOT NULL,
    payload_sha256    TEXT    NOT NULL,
    source            TEXT    NOT NULL,
    version           INTEGER NOT NULL,
    updated_at        REAL    NOT NULL,
    CHECK ((payload IS NULL) <> (inbox_id IS NULL))
);

INSERT INTO snapshots_v2 (order_id, payload, inbox_id, date_modified_gmt, modified_ts,
                          payload_sha256, source, version, updated_at)
SELECT order_id, payload, NULL, date_modified_gmt, modified_ts, payload_sha256, source,
       version, updated_at
FROM snapshots;

DROP TABLE snapshots;

ALTER TABLE snapshots_v2 RENAME TO snapshots;
