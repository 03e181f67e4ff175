-- Foundation: region tree, users and their scopes, sessions and tokens, residents with
-- encrypted personal data, and the hash-chained audit log. Times are Unix milliseconds.

CREATE TABLE regions (
    code        TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_code TEXT COLLATE "C" REFERENCES regions(code),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX regions_parent ON regions(parent_code, code);

CREATE TABLE users (
    id                   BIGSERIAL PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    role                 TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    must_change_password BIGINT NOT NULL DEFAULT 1,
    disabled             BIGINT NOT NULL DEFAULT 0,
    created_at           BIGINT NOT NULL,
    password_changed_at  BIGINT NOT NULL
);

CREATE TABLE user_regions (
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    region_code TEXT COLLATE "C" NOT NULL REFERENCES regions(code),
    PRIMARY KEY (user_id, region_code)
);

CREATE TABLE login_failures (
    id       BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL,
    at       BIGINT NOT NULL,
    ip       TEXT NOT NULL
);
CREATE INDEX login_failures_user_at ON login_failures(username, at);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    label        TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

CREATE TABLE residents (
    id             BIGSERIAL PRIMARY KEY,
    region_code    TEXT COLLATE "C" NOT NULL REFERENCES regions(code),
    name           TEXT NOT NULL,
    sex            TEXT,
    birth_date     TEXT,
    id_number_enc  BYTEA,
    id_number_hash TEXT,
    phone_enc      BYTEA,
    phone_hash     TEXT,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX residents_region ON residents(region_code, id);
CREATE UNIQUE INDEX residents_id_number ON residents(id_number_hash);
CREATE INDEX residents_phone ON residents(phone_hash);

CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at_ms       BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    region_code TEXT COLLATE "C" NOT NULL,
    ip          TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    details     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_target ON audit_log(target_type, target_id);
CREATE INDEX audit_log_actor ON audit_log(actor, at_ms);

-- The chain head: the newest sequence number and hash. Every command's transaction
-- updates it, which also serialises appends to the chain.
CREATE TABLE audit_head (
    id        BIGINT PRIMARY KEY CHECK (id = 1),
    last_seq  BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
