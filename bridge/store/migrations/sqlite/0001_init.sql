-- bridge store, SQLite: inbox, snapshots, jobs, ledger, audit, outbox, DLQ.
-- Times are epoch seconds (REAL). JSON is TEXT.

CREATE TABLE inbox (
    id                INTEGER PRIMARY KEY,
    source            TEXT    NOT NULL,
    topic             TEXT    NOT NULL,
    order_id          INTEGER NOT NULL,
    date_modified_gmt TEXT    NOT NULL,
    modified_ts       REAL    NOT NULL,
    payload_sha256    TEXT    NOT NULL,
    delivery_id       TEXT,
    webhook_id        TEXT,
    payload           TEXT    NOT NULL,
    received_at       REAL    NOT NULL,
    last_seen_at      REAL    NOT NULL,
    copies            INTEGER NOT NULL DEFAULT 1,
    UNIQUE (source, order_id, date_modified_gmt, payload_sha256)
);
CREATE INDEX inbox_order ON inbox (order_id);

CREATE TABLE event_inbox (
    id           INTEGER PRIMARY KEY,
    source       TEXT    NOT NULL,
    event_id     TEXT    NOT NULL,
    order_id     INTEGER NOT NULL,
    occurred_at  REAL    NOT NULL,
    payload      TEXT    NOT NULL,
    received_at  REAL    NOT NULL,
    last_seen_at REAL    NOT NULL,
    copies       INTEGER NOT NULL DEFAULT 1,
    UNIQUE (source, event_id)
);

CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    topic       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    headers     TEXT NOT NULL,
    body        BLOB NOT NULL,
    reason      TEXT NOT NULL,
    received_at REAL NOT NULL
);
CREATE INDEX quarantine_kind ON quarantine (kind);

CREATE TABLE snapshots (
    order_id          INTEGER PRIMARY KEY,
    payload           TEXT    NOT NULL,
    date_modified_gmt TEXT    NOT NULL,
    modified_ts       REAL    NOT NULL,
    payload_sha256    TEXT    NOT NULL,
    source            TEXT    NOT NULL,
    version           INTEGER NOT NULL,
    updated_at        REAL    NOT NULL
);

CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    order_id         INTEGER NOT NULL UNIQUE,
    status           TEXT    NOT NULL,
    run_at           REAL    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    first_attempt_at REAL,
    fencing_token    INTEGER NOT NULL DEFAULT 0,
    worker_id        TEXT,
    lease_expires_at REAL,
    dirty            INTEGER NOT NULL DEFAULT 0,
    desired_version  INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       REAL    NOT NULL,
    updated_at       REAL    NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_at);
CREATE INDEX jobs_lease ON jobs (status, lease_expires_at);

CREATE TABLE dead_letters (
    id           INTEGER PRIMARY KEY,
    job_id       INTEGER NOT NULL,
    order_id     INTEGER NOT NULL,
    op           TEXT    NOT NULL,
    idem_key     TEXT    NOT NULL,
    code         TEXT    NOT NULL,
    message      TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    created_at   REAL    NOT NULL,
    replayed_at  REAL,
    replay_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX dead_letters_open ON dead_letters (replayed_at, id);

CREATE TABLE sync_ledger (
    idem_key        TEXT PRIMARY KEY,
    order_id        INTEGER NOT NULL,
    op              TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    target_entity   TEXT    NOT NULL,
    target_docentry INTEGER,
    target_docnum   INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 1,
    last_error      TEXT,
    created_at      REAL    NOT NULL,
    updated_at      REAL    NOT NULL
);
CREATE INDEX sync_ledger_order ON sync_ledger (order_id);

CREATE TABLE attempts (
    id          INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL,
    op          TEXT    NOT NULL,
    idem_key    TEXT,
    outcome     TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    duration_ms REAL    NOT NULL,
    worker_id   TEXT,
    token       INTEGER,
    at          REAL    NOT NULL
);
CREATE INDEX attempts_order ON attempts (order_id, id);

CREATE TABLE outbox (
    seq            INTEGER PRIMARY KEY,
    event_id       TEXT NOT NULL UNIQUE,
    type           TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    payload        TEXT NOT NULL,
    created_at     REAL NOT NULL,
    published_at   REAL
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
