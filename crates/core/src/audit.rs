//! The audit log is a hash chain: each entry stores the hash of the one before, and its own
//! hash covers its sequence number, its content and that previous hash. Editing, deleting or
//! reordering any entry breaks the chain at that entry, which `verify` names.

use sha2::{Digest, Sha256};

/// The hash that the first entry points back to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry as stored. `details` is compact JSON text, hashed exactly as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub region_code: String,
    pub ip: String,
    pub request_id: String,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// SHA-256 over the length-prefixed fields, so no two different entries share an input.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"wangge-audit-v1");
        h.update(self.seq.to_be_bytes());
        h.update(self.at_ms.to_be_bytes());
        for field in [
            &self.actor,
            &self.action,
            &self.target_type,
            &self.target_id,
            &self.region_code,
            &self.ip,
            &self.request_id,
            &self.details,
            &self.prev_hash,
        ] {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        hex::encode(h.finalize())
    }

    /// Fills `prev_hash` and `hash` for an entry that follows `prev_hash` at `seq`.
    pub fn seal(mut self, seq: i64, prev_hash: &str) -> Self {
        self.seq = seq;
        self.prev_hash = prev_hash.to_string();
        self.hash = self.compute_hash();
        self
    }
}

/// Where and why the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: &'static str,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "audit entry {}: {}", self.seq, self.reason)
    }
}

/// Incremental verifier, fed entries in `seq` order, so a large log streams through it.
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
    count: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS.to_string(),
            count: 0,
        }
    }
}

impl ChainVerifier {
    pub fn push(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        if e.seq > self.expected_seq {
            return Err(ChainBreak {
                seq: self.expected_seq,
                reason: "entry is missing (deleted)",
            });
        }
        if e.seq < self.expected_seq {
            return Err(ChainBreak {
                seq: e.seq,
                reason: "entry is out of order (duplicated sequence number)",
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainBreak {
                seq: e.seq,
                reason: "previous-hash link does not match the entry before (reordered or an earlier entry was replaced)",
            });
        }
        if e.compute_hash() != e.hash {
            return Err(ChainBreak {
                seq: e.seq,
                reason: "content does not match its hash (edited)",
            });
        }
        self.prev_hash.clone_from(&e.hash);
        self.expected_seq += 1;
        self.count += 1;
        Ok(())
    }

    /// Checks the end of the chain against the head the store keeps (last seq and hash), so
    /// removing the newest entries is caught too.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<u64, ChainBreak> {
        let last = self.expected_seq - 1;
        if head_seq > last {
            return Err(ChainBreak {
                seq: last + 1,
                reason: "entry is missing (deleted from the end of the log)",
            });
        }
        if head_seq < last || (last > 0 && head_hash != self.prev_hash) {
            return Err(ChainBreak {
                seq: last,
                reason: "entry does not match the chain head (appended or replaced outside wangge)",
            });
        }
        Ok(self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|i| {
                let e = AuditEntry {
                    seq: 0,
                    at_ms: 1_700_000_000_000 + i,
                    actor: "admin".into(),
                    action: "resident.create".into(),
                    target_type: "resident".into(),
                    target_id: i.to_string(),
                    region_code: "431027100202".into(),
                    ip: "127.0.0.1".into(),
                    request_id: format!("r{i}"),
                    details: "{}".into(),
                    prev_hash: String::new(),
                    hash: String::new(),
                }
                .seal(i, &prev);
                prev.clone_from(&e.hash);
                e
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry], head: (i64, &str)) -> Result<u64, ChainBreak> {
        let mut v = ChainVerifier::default();
        for e in entries {
            v.push(e)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify(&c, (5, &c[4].hash)), Ok(5));
        assert_eq!(verify(&[], (0, GENESIS)), Ok(0));
    }

    #[test]
    fn edit_delete_reorder_are_named() {
        let c = chain(5);
        let head = (5, c[4].hash.as_str());
        let mut edited = c.clone();
        edited[2].details = "{\"x\":1}".into();
        assert_eq!(verify(&edited, head).unwrap_err().seq, 3);

        let mut deleted = c.clone();
        deleted.remove(1);
        assert_eq!(verify(&deleted, head).unwrap_err().seq, 2);

        let mut swapped = c.clone();
        // Swap contents but keep the sequence numbers where they were (a reorder in place).
        let (a, b) = (swapped[1].clone(), swapped[2].clone());
        swapped[1] = AuditEntry { seq: 2, ..b };
        swapped[2] = AuditEntry { seq: 3, ..a };
        assert_eq!(verify(&swapped, head).unwrap_err().seq, 2);

        let truncated = &c[..4];
        assert_eq!(verify(truncated, head).unwrap_err().seq, 5);
    }
}
