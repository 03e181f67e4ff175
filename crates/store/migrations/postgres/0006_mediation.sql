-- Dispute mediation (人民调解): how the dispute came, the amount, sessions, legal advice,
-- the agreement and its signatures, judicial confirmation, follow-ups and recorded outcomes.

CREATE TABLE dispute_details (
    case_id              BIGINT PRIMARY KEY REFERENCES cases(id),
    came_by              TEXT NOT NULL,
    amount_yuan          DOUBLE PRECISION,
    outcome              TEXT,
    referral             TEXT,
    resolved_at          BIGINT,
    civil_to_criminal    BIGINT NOT NULL DEFAULT 0,
    criminal_to_homicide BIGINT NOT NULL DEFAULT 0,
    outcome_note         TEXT
);

CREATE TABLE mediation_sessions (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    held_at     BIGINT NOT NULL,
    place       TEXT NOT NULL,
    attendees   TEXT NOT NULL,
    facts       TEXT NOT NULL,
    proposals   TEXT NOT NULL,
    result      TEXT NOT NULL,
    mediator_id BIGINT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX mediation_sessions_case ON mediation_sessions(case_id, held_at);

CREATE TABLE legal_consultations (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    session_id  BIGINT REFERENCES mediation_sessions(id),
    asked_by    BIGINT NOT NULL REFERENCES users(id),
    advisor_id  BIGINT REFERENCES users(id),
    question    TEXT NOT NULL,
    answer      TEXT,
    asked_at    BIGINT NOT NULL,
    answered_at BIGINT
);
CREATE INDEX legal_consultations_case ON legal_consultations(case_id);

CREATE TABLE mediation_agreements (
    case_id               BIGINT PRIMARY KEY REFERENCES cases(id),
    number                TEXT NOT NULL UNIQUE,
    content               TEXT NOT NULL,
    signed_date           TEXT NOT NULL,
    effective_at          BIGINT,
    judicial_deadline     TEXT,
    judicial_number       TEXT,
    judicial_confirmed_at BIGINT,
    version               BIGINT NOT NULL DEFAULT 1,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

CREATE TABLE agreement_signatures (
    id            BIGSERIAL PRIMARY KEY,
    case_id       BIGINT NOT NULL REFERENCES cases(id),
    party_id      BIGINT NOT NULL REFERENCES case_parties(id),
    method        TEXT NOT NULL,
    attachment_id BIGINT REFERENCES attachments(id),
    signed_at     BIGINT NOT NULL,
    recorded_by   BIGINT NOT NULL REFERENCES users(id)
);
CREATE UNIQUE INDEX agreement_signatures_party ON agreement_signatures(case_id, party_id);

CREATE TABLE dispute_followups (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    at          BIGINT NOT NULL,
    performed   BIGINT NOT NULL,
    note        TEXT NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES users(id)
);
CREATE INDEX dispute_followups_case ON dispute_followups(case_id);
