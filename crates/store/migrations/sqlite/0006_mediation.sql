-- Dispute mediation (人民调解): how the dispute came, the amount, sessions, legal advice,
-- the agreement and its signatures, judicial confirmation, follow-ups and recorded outcomes.

CREATE TABLE dispute_details (
    case_id              INTEGER PRIMARY KEY REFERENCES cases(id),
    came_by              TEXT NOT NULL,
    amount_yuan          REAL,
    outcome              TEXT,
    referral             TEXT,
    resolved_at          INTEGER,
    civil_to_criminal    INTEGER NOT NULL DEFAULT 0,
    criminal_to_homicide INTEGER NOT NULL DEFAULT 0,
    outcome_note         TEXT
);

CREATE TABLE mediation_sessions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    held_at     INTEGER NOT NULL,
    place       TEXT NOT NULL,
    attendees   TEXT NOT NULL,
    facts       TEXT NOT NULL,
    proposals   TEXT NOT NULL,
    result      TEXT NOT NULL,
    mediator_id INTEGER NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX mediation_sessions_case ON mediation_sessions(case_id, held_at);

CREATE TABLE legal_consultations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    session_id  INTEGER REFERENCES mediation_sessions(id),
    asked_by    INTEGER NOT NULL REFERENCES users(id),
    advisor_id  INTEGER REFERENCES users(id),
    question    TEXT NOT NULL,
    answer      TEXT,
    asked_at    INTEGER NOT NULL,
    answered_at INTEGER
);
CREATE INDEX legal_consultations_case ON legal_consultations(case_id);

CREATE TABLE mediation_agreements (
    case_id               INTEGER PRIMARY KEY REFERENCES cases(id),
    number                TEXT NOT NULL UNIQUE,
    content               TEXT NOT NULL,
    signed_date           TEXT NOT NULL,
    effective_at          INTEGER,
    judicial_deadline     TEXT,
    judicial_number       TEXT,
    judicial_confirmed_at INTEGER,
    version               INTEGER NOT NULL DEFAULT 1,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);

CREATE TABLE agreement_signatures (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    party_id      INTEGER NOT NULL REFERENCES case_parties(id),
    method        TEXT NOT NULL,
    attachment_id INTEGER REFERENCES attachments(id),
    signed_at     INTEGER NOT NULL,
    recorded_by   INTEGER NOT NULL REFERENCES users(id)
);
CREATE UNIQUE INDEX agreement_signatures_party ON agreement_signatures(case_id, party_id);

CREATE TABLE dispute_followups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    at          INTEGER NOT NULL,
    performed   INTEGER NOT NULL,
    note        TEXT NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES users(id)
);
CREATE INDEX dispute_followups_case ON dispute_followups(case_id);
