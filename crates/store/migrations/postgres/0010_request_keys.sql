-- Idempotency keys of the writes a phone may send more than once (visits, patrols, 民情日记,
-- attachments): the first request's result is answered again for the same key, and the
-- same key with a different request (a different fingerprint) is refused. Cases keep
-- their own idempotency_keys table.
CREATE TABLE request_keys (
    user_id     BIGINT NOT NULL,
    key         TEXT NOT NULL,
    -- What the key was used for, e.g. "visit.create".
    operation   TEXT NOT NULL,
    -- SHA-256 of the operation, its path and its request body as parsed.
    fingerprint TEXT NOT NULL,
    -- The record the first request made (a visit, patrol, diary entry or attachment id).
    resource_id BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);
