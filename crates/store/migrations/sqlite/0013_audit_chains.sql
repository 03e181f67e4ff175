-- One audit hash chain per writing process (ADR 0013). On SQLite only one process writes
-- at a time, so everything stays on chain 0; the columns exist so both backends keep the
-- same tables and `wangge audit verify` walks chains the same way.
--
-- * audit_log.chain: the chain an entry is sealed onto; audit_log.chain_seq: its 1-based,
--   gap-free position there. `seq` stays the log-wide unique number the API pages by.
-- * audit_head: one row per chain (was one row, id = 1), keyed by `chain`.
--
-- Existing entries are chain 0 at position = seq, which is exactly what their hashes cover.

ALTER TABLE audit_log ADD COLUMN chain INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN chain_seq INTEGER NOT NULL DEFAULT 0;
UPDATE audit_log SET chain_seq = seq;
CREATE UNIQUE INDEX audit_log_chain ON audit_log(chain, chain_seq);

-- SQLite cannot drop the old CHECK (id = 1), so the head table is rebuilt.
CREATE TABLE audit_head_chains (
    chain     INTEGER PRIMARY KEY,
    last_seq  INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head_chains (chain, last_seq, last_hash)
SELECT 0, last_seq, last_hash FROM audit_head WHERE id = 1;
DROP TABLE audit_head;
ALTER TABLE audit_head_chains RENAME TO audit_head;
