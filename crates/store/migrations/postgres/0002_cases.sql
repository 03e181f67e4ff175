-- The case engine: cases with an append-only timeline, readable numbers, idempotency,
-- parties, attachments, routing rules, notifications with a webhook outbox, monthly
-- rollups for the dashboard rates, current-state counts, and full-text search.

CREATE TABLE cases (
    id                 BIGSERIAL PRIMARY KEY,
    number             TEXT NOT NULL UNIQUE,
    type               TEXT NOT NULL,
    category           TEXT NOT NULL,
    source             TEXT NOT NULL,
    region_code        TEXT COLLATE "C" NOT NULL REFERENCES regions(code),
    -- The governance centre level now responsible (village → township → county code).
    handling_region    TEXT COLLATE "C" NOT NULL,
    lat                DOUBLE PRECISION,
    lng                DOUBLE PRECISION,
    title              TEXT NOT NULL,
    description        TEXT NOT NULL,
    priority           TEXT NOT NULL,
    state              TEXT NOT NULL,
    terminal           BIGINT NOT NULL DEFAULT 0,
    assignee_user_id   BIGINT REFERENCES users(id),
    created_by         BIGINT REFERENCES users(id),
    reporter_name      TEXT,
    reporter_phone_enc BYTEA,
    state_entered_at   BIGINT NOT NULL,
    state_due_at       BIGINT,
    level_entered_at   BIGINT NOT NULL,
    level_due_at       BIGINT,
    dispatched_at      BIGINT,
    response_due_at    BIGINT,
    responded_at       BIGINT,
    closed_at          BIGINT,
    late_at            BIGINT,
    satisfaction       TEXT,
    supervise_level    TEXT,
    merged_into        BIGINT REFERENCES cases(id),
    possible_duplicate_of BIGINT REFERENCES cases(id),
    rollup_region      TEXT COLLATE "C" NOT NULL,
    month              TEXT NOT NULL,
    version            BIGINT NOT NULL DEFAULT 1,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX cases_region_state ON cases(region_code, state);
CREATE INDEX cases_open_due ON cases(terminal, state_due_at);
CREATE INDEX cases_level_due ON cases(terminal, level_due_at);
CREATE INDEX cases_assignee ON cases(assignee_user_id, terminal);
CREATE INDEX cases_dup ON cases(category, rollup_region, created_at);

CREATE TABLE case_events (
    id            BIGSERIAL PRIMARY KEY,
    case_id       BIGINT NOT NULL REFERENCES cases(id),
    at            BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    actor_user_id BIGINT,
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
    year     BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (county, year)
);

CREATE TABLE idempotency_keys (
    user_id    BIGINT NOT NULL,
    key        TEXT NOT NULL,
    case_id    BIGINT NOT NULL REFERENCES cases(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);

CREATE TABLE case_parties (
    id             BIGSERIAL PRIMARY KEY,
    case_id        BIGINT NOT NULL REFERENCES cases(id),
    role           TEXT NOT NULL,
    name           TEXT NOT NULL,
    id_number_enc  BYTEA,
    id_number_hash TEXT,
    phone_enc      BYTEA,
    phone_hash     TEXT
);
CREATE INDEX case_parties_case ON case_parties(case_id);
CREATE INDEX case_parties_id_number ON case_parties(id_number_hash);

CREATE TABLE attachments (
    id           BIGSERIAL PRIMARY KEY,
    case_id      BIGINT NOT NULL REFERENCES cases(id),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    created_by   BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id);

CREATE TABLE routing_rules (
    id               BIGSERIAL PRIMARY KEY,
    category_prefix  TEXT NOT NULL,
    region_code      TEXT COLLATE "C" NOT NULL,
    assignee_user_id BIGINT NOT NULL REFERENCES users(id),
    created_at       BIGINT NOT NULL
);

CREATE TABLE notifications (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    case_id    BIGINT REFERENCES cases(id),
    kind       TEXT NOT NULL,
    message    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);
CREATE INDEX notifications_user ON notifications(user_id, id);

-- Webhook deliveries waiting to be sent (written in the command's transaction, sent after).
CREATE TABLE webhook_outbox (
    id         BIGSERIAL PRIMARY KEY,
    payload    TEXT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    sent_at    BIGINT
);
CREATE INDEX webhook_outbox_pending ON webhook_outbox(sent_at, id);

-- Monthly counters per village (or the deepest statistical level above it), kept in the
-- same transaction as each event, so the dashboard sums a few rows instead of scanning.
CREATE TABLE case_rollups (
    region_code       TEXT COLLATE "C" NOT NULL,
    month             TEXT NOT NULL,
    category          TEXT NOT NULL,
    source            TEXT NOT NULL,
    created           BIGINT NOT NULL DEFAULT 0,
    dispatched        BIGINT NOT NULL DEFAULT 0,
    responded_on_time BIGINT NOT NULL DEFAULT 0,
    closed            BIGINT NOT NULL DEFAULT 0,
    closed_on_time    BIGINT NOT NULL DEFAULT 0,
    handling_ms       BIGINT NOT NULL DEFAULT 0,
    rated             BIGINT NOT NULL DEFAULT 0,
    satisfied         BIGINT NOT NULL DEFAULT 0,
    basic_satisfied   BIGINT NOT NULL DEFAULT 0,
    unsatisfied       BIGINT NOT NULL DEFAULT 0,
    solved            BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (region_code, month, category, source)
);

CREATE TABLE case_state_counts (
    region_code TEXT COLLATE "C" NOT NULL,
    type        TEXT NOT NULL,
    state       TEXT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (region_code, type, state)
);

-- Full-text search for Chinese: trigram similarity index (pg_trgm) over title and
-- description, used by ILIKE.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE INDEX cases_text_trgm ON cases USING gin ((title || ' ' || description) public.gin_trgm_ops);
