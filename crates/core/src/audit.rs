//! The audit log is a hash chain: each entry stores the hash of the one before, and its own
//! hash covers its sequence number, its content and that previous hash. Editing, deleting or
//! reordering any entry breaks the chain at that entry, which `verify` names.
//!
//! The hash is an HMAC-SHA256 under a key derived from the master key (which never enters
//! the database), so someone who can write the database cannot recompute a consistent
//! chain after changing an entry.

use hmac::{Hmac, Mac};
use sha2::Sha256;

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
    /// HMAC-SHA256 over the length-prefixed fields, so no two different entries share an input.
    pub fn compute_hash(&self, key: &[u8]) -> String {
        let Ok(mut h) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
            // HMAC takes keys of any length; this branch cannot run.
            return String::new();
        };
        h.update(b"wangge-audit-v1");
        h.update(&self.seq.to_be_bytes());
        h.update(&self.at_ms.to_be_bytes());
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
            h.update(&(field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        hex::encode(h.finalize().into_bytes())
    }

    /// Fills `prev_hash` and `hash` for an entry that follows `prev_hash` at `seq`.
    pub fn seal(mut self, seq: i64, prev_hash: &str, key: &[u8]) -> Self {
        self.seq = seq;
        self.prev_hash = prev_hash.to_string();
        self.hash = self.compute_hash(key);
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
    key: Vec<u8>,
}

impl ChainVerifier {
    pub fn new(key: &[u8]) -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS.to_string(),
            count: 0,
            key: key.to_vec(),
        }
    }

    pub fn push(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        if e.seq > self.expected_seq {
            return Err(ChainBreak {
                seq: self.expected_seq,
                reason: "该条记录缺失（被删除）",
            });
        }
        if e.seq < self.expected_seq {
            return Err(ChainBreak {
                seq: e.seq,
                reason: "记录顺序错乱（序号重复）",
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainBreak {
                seq: e.seq,
                reason: "与前一条记录的哈希链接不符（顺序被调换或前一条被替换）",
            });
        }
        if e.compute_hash(&self.key) != e.hash {
            return Err(ChainBreak {
                seq: e.seq,
                reason: "内容与其哈希不符（被篡改）",
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
                reason: "日志末尾的记录缺失（被删除）",
            });
        }
        if head_seq < last || (last > 0 && head_hash != self.prev_hash) {
            return Err(ChainBreak {
                seq: last,
                reason: "与链头不符（在 wangge 之外追加或替换了记录）",
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
                .seal(i, &prev, KEY);
                prev.clone_from(&e.hash);
                e
            })
            .collect()
    }

    const KEY: &[u8] = b"test-audit-key-of-thirty-two-byte";

    fn verify(entries: &[AuditEntry], head: (i64, &str)) -> Result<u64, ChainBreak> {
        let mut v = ChainVerifier::new(KEY);
        for e in entries {
            v.push(e)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn a_rewritten_chain_without_the_key_does_not_verify() {
        // An attacker recomputes every hash with a key of their own guessing.
        let c = chain(3);
        let mut forged = c.clone();
        forged[1].actor = "mallory".into();
        let mut prev = GENESIS.to_string();
        for e in forged.iter_mut() {
            *e = e.clone().seal(e.seq, &prev, b"guessed key");
            prev.clone_from(&e.hash);
        }
        assert_eq!(verify(&forged, (3, &prev)).unwrap_err().seq, 1);
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
