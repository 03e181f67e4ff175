-- One audit hash chain per writing process (ADR 0013), so that several `wangge serve`
-- processes sharing this database do not queue for one chain head row.
--
-- * audit_log.chain: the chain an entry is sealed onto; audit_log.chain_seq: its 1-based,
--   gap-free position there. `seq` stays the log-wide unique number the API pages by; it
--   now comes from the sequence audit_log_seq, which takes no row lock (numbers of
--   rolled-back transactions are skipped; the gap-free order is per chain).
-- * audit_head: one row per chain (was one row, id = 1), keyed by `chain`. A process
--   claims a chain with a session advisory lock for as long as it runs.
--
-- Existing entries are chain 0 at position = seq, which is exactly what their hashes cover.

ALTER TABLE audit_log ADD COLUMN chain BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN chain_seq BIGINT NOT NULL DEFAULT 0;
UPDATE audit_log SET chain_seq = seq;
CREATE UNIQUE INDEX audit_log_chain ON audit_log(chain, chain_seq);

CREATE SEQUENCE audit_log_seq;
SELECT setval('audit_log_seq', COALESCE((SELECT MAX(seq) FROM audit_log), 0) + 1, false);

ALTER TABLE audit_head DROP CONSTRAINT audit_head_id_check;
ALTER TABLE audit_head RENAME COLUMN id TO chain;
UPDATE audit_head SET chain = 0 WHERE chain = 1;
