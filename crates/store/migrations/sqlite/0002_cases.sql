-- The case engine: cases with an append-only timeline, readable numbers, idempotency,
-- parties, attachments, routing rules, notifications with a webhook outbox, monthly
-- rollups for the dashboard rates, current-state counts, and full-text search.

CREATE TABLE cases (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    number             TEXT NOT NULL UNIQUE,
    type               TEXT NOT NULL,
    category           TEXT NOT NULL,
    source             TEXT NOT NULL,
    region_code        TEXT NOT NULL REFERENCES regions(code),
    -- The governance centre level now responsible (village → township → county code).
    handling_region    TEXT NOT NULL,
    lat                REAL,
    lng                REAL,
    title              TEXT NOT NULL,
    description        TEXT NOT NULL,
    priority           TEXT NOT NULL,
    state              TEXT NOT NULL,
    terminal           INTEGER NOT NULL DEFAULT 0,
    assignee_user_id   INTEGER REFERENCES users(id),
    created_by         INTEGER REFERENCES users(id),
    reporter_name      TEXT,
    reporter_phone_enc BLOB,
    state_entered_at   INTEGER NOT NULL,
    state_due_at       INTEGER,
    level_entered_at   INTEGER NOT NULL,
    level_due_at       INTEGER,
    dispatched_at      INTEGER,
    response_due_at    INTEGER,
    responded_at       INTEGER,
    closed_at          INTEGER,
    late_at            INTEGER,
    satisfaction       TEXT,
    supervise_level    TEXT,
    merged_into        INTEGER REFERENCES cases(id),
    possible_duplicate_of INTEGER REFERENCES cases(id),
    rollup_region      TEXT NOT NULL,
    month              TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX cases_region_state ON cases(region_code, state);
CREATE INDEX cases_open_due ON cases(terminal, state_due_at);
CREATE INDEX cases_level_due ON cases(terminal, level_due_at);
CREATE INDEX cases_assignee ON cases(assignee_user_id, terminal);
CREATE INDEX cases_dup ON cases(category, rollup_region, created_at);

CREATE TABLE case_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    at            INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    actor_user_id INTEGER,
    action        TEXT NOT NULL,
    effect        TEXT NOT NULL,
    from_state    TEXT NOT NULL,
    to_state      TEXT NOT NULL,
    note          TEXT,
    data          TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events(case_id, id);

CREATE TABLE case_counters (
    county   TEXT NOT NULL,
    year     INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (county, year)
);

CREATE TABLE idempotency_keys (
    user_id    INTEGER NOT NULL,
    key        TEXT NOT NULL,
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);

CREATE TABLE case_parties (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id        INTEGER NOT NULL REFERENCES cases(id),
    role           TEXT NOT NULL,
    name           TEXT NOT NULL,
    id_number_enc  BLOB,
    id_number_hash TEXT,
    phone_enc      BLOB,
    phone_hash     TEXT
);
CREATE INDEX case_parties_case ON case_parties(case_id);
CREATE INDEX case_parties_id_number ON case_parties(id_number_hash);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id      INTEGER NOT NULL REFERENCES cases(id),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    created_by   INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id);

CREATE TABLE routing_rules (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    category_prefix  TEXT NOT NULL,
    region_code      TEXT NOT NULL,
    assignee_user_id INTEGER NOT NULL REFERENCES users(id),
    created_at       INTEGER NOT NULL
);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    case_id    INTEGER REFERENCES cases(id),
    kind       TEXT NOT NULL,
    message    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, id);

-- Webhook deliveries waiting to be sent (written in the command's transaction, sent after).
CREATE TABLE webhook_outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    payload    TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    sent_at    INTEGER
);
CREATE INDEX webhook_outbox_pending ON webhook_outbox(sent_at, id);

-- Monthly counters per village (or the deepest statistical level above it), kept in the
-- same transaction as each event, so the dashboard sums a few rows instead of scanning.
CREATE TABLE case_rollups (
    region_code       TEXT NOT NULL,
    month             TEXT NOT NULL,
    category          TEXT NOT NULL,
    source            TEXT NOT NULL,
    created           INTEGER NOT NULL DEFAULT 0,
    dispatched        INTEGER NOT NULL DEFAULT 0,
    responded_on_time INTEGER NOT NULL DEFAULT 0,
    closed            INTEGER NOT NULL DEFAULT 0,
    closed_on_time    INTEGER NOT NULL DEFAULT 0,
    handling_ms       INTEGER NOT NULL DEFAULT 0,
    rated             INTEGER NOT NULL DEFAULT 0,
    satisfied         INTEGER NOT NULL DEFAULT 0,
    basic_satisfied   INTEGER NOT NULL DEFAULT 0,
    unsatisfied       INTEGER NOT NULL DEFAULT 0,
    solved            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (region_code, month, category, source)
);

CREATE TABLE case_state_counts (
    region_code TEXT NOT NULL,
    type        TEXT NOT NULL,
    state       TEXT NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (region_code, type, state)
);

-- Full-text search for Chinese: trigram tokens (queries of 3+ characters use the index;
-- shorter ones fall back to LIKE).
CREATE VIRTUAL TABLE cases_fts USING fts5(
    title, description, content = 'cases', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases BEGIN
    INSERT INTO cases_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
END;
CREATE TRIGGER cases_fts_update AFTER UPDATE OF title, description ON cases BEGIN
    INSERT INTO cases_fts(cases_fts, rowid, title, description) VALUES ('delete', old.id, old.title, old.description);
    INSERT INTO cases_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
END;
