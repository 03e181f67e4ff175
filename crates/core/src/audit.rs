//! The audit log is a set of hash chains: each entry stores the hash of the one before it on
//! its chain, and its own hash covers its chain, its position on the chain, its sequence
//! number, its content and that previous hash. Editing, deleting or reordering any entry
//! breaks its chain at that entry, which `verify` names.
//!
//! There is one chain per writing process (ADR 0013): on PostgreSQL several servers share
//! the database, and one chain would make their transactions queue for its head. Chain 0
//! is the original chain; its entries whose position equals their sequence number hash
//! exactly as before chains existed, so older logs verify unchanged.
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
    /// Unique over all chains; orders the log for reading.
    pub seq: i64,
    /// The chain the entry is sealed onto (one per writing process).
    pub chain: i64,
    /// 1-based position on its chain: gap-free, so a deleted entry shows as a gap.
    pub chain_seq: i64,
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
    /// An entry of chain 0 at the position equal to its sequence number (every entry written
    /// before there were chains, and every entry of a single-writer SQLite database) uses the
    /// original input, which covers the chain and position implicitly; any other entry names
    /// its chain and position under a second tag, so the two inputs never coincide.
    pub fn compute_hash(&self, key: &[u8]) -> String {
        let Ok(mut h) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
            // HMAC takes keys of any length; this branch cannot run.
            return String::new();
        };
        if self.chain == 0 && self.chain_seq == self.seq {
            h.update(b"wangge-audit-v1");
        } else {
            h.update(b"wangge-audit-v2");
            h.update(&self.chain.to_be_bytes());
            h.update(&self.chain_seq.to_be_bytes());
        }
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

    /// Fills `prev_hash` and `hash` for an entry that follows `prev_hash` at `seq` on chain 0,
    /// where position and sequence number are the same.
    pub fn seal(self, seq: i64, prev_hash: &str, key: &[u8]) -> Self {
        self.seal_on(0, seq, seq, prev_hash, key)
    }

    /// Fills the place and the hashes for an entry at `chain_seq` on `chain`, following
    /// `prev_hash` there, with the log-wide sequence number `seq`.
    pub fn seal_on(
        mut self,
        chain: i64,
        chain_seq: i64,
        seq: i64,
        prev_hash: &str,
        key: &[u8],
    ) -> Self {
        self.seq = seq;
        self.chain = chain;
        self.chain_seq = chain_seq;
        self.prev_hash = prev_hash.to_string();
        self.hash = self.compute_hash(key);
        self
    }
}

/// Where and why a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub chain: i64,
    /// The position on the chain where it breaks (0: the chain as a whole).
    pub position: i64,
    /// The sequence number of the entry named, when it exists (a deleted one has none).
    pub seq: Option<i64>,
    pub reason: &'static str,
}

impl ChainBreak {
    /// A break at a stored entry.
    pub fn at(e: &AuditEntry, reason: &'static str) -> Self {
        Self {
            chain: e.chain,
            position: e.chain_seq,
            seq: Some(e.seq),
            reason,
        }
    }

    /// A break at a position where no entry is stored.
    pub fn missing(chain: i64, position: i64, reason: &'static str) -> Self {
        Self {
            chain,
            position,
            seq: None,
            reason,
        }
    }
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "audit chain {} entry {}", self.chain, self.position)?;
        if let Some(seq) = self.seq {
            write!(f, " (seq {seq})")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Incremental verifier of one chain, fed its entries in position order, so a large log
/// streams through it.
pub struct ChainVerifier {
    chain: i64,
    expected: i64,
    prev_hash: String,
    count: u64,
    key: Vec<u8>,
}

impl ChainVerifier {
    /// A verifier of chain 0.
    pub fn new(key: &[u8]) -> Self {
        Self::for_chain(key, 0)
    }

    pub fn for_chain(key: &[u8], chain: i64) -> Self {
        Self {
            chain,
            expected: 1,
            prev_hash: GENESIS.to_string(),
            count: 0,
            key: key.to_vec(),
        }
    }

    pub fn push(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        if e.chain != self.chain {
            return Err(ChainBreak::at(e, "记录不属于本链（链号被改动）"));
        }
        if e.chain_seq > self.expected {
            return Err(ChainBreak::missing(
                self.chain,
                self.expected,
                "该条记录缺失（被删除）",
            ));
        }
        if e.chain_seq < self.expected {
            return Err(ChainBreak::at(e, "记录顺序错乱（序号重复）"));
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainBreak::at(
                e,
                "与前一条记录的哈希链接不符（顺序被调换或前一条被替换）",
            ));
        }
        if e.compute_hash(&self.key) != e.hash {
            return Err(ChainBreak::at(e, "内容与其哈希不符（被篡改）"));
        }
        self.prev_hash.clone_from(&e.hash);
        self.expected += 1;
        self.count += 1;
        Ok(())
    }

    /// Checks the end of the chain against the head the store keeps (last position and
    /// hash), so removing the newest entries is caught too.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<u64, ChainBreak> {
        let last = self.expected - 1;
        if head_seq > last {
            return Err(ChainBreak::missing(
                self.chain,
                last + 1,
                "日志末尾的记录缺失（被删除）",
            ));
        }
        if head_seq < last || (last > 0 && head_hash != self.prev_hash) {
            return Err(ChainBreak {
                chain: self.chain,
                position: last,
                seq: None,
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
                    chain: 0,
                    chain_seq: 0,
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
        assert_eq!(verify(&forged, (3, &prev)).unwrap_err().position, 1);
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
        assert_eq!(verify(&edited, head).unwrap_err().seq, Some(3));

        let mut deleted = c.clone();
        deleted.remove(1);
        assert_eq!(verify(&deleted, head).unwrap_err().position, 2);

        let mut swapped = c.clone();
        // Swap contents but keep the sequence numbers where they were (a reorder in place).
        let (a, b) = (swapped[1].clone(), swapped[2].clone());
        swapped[1] = AuditEntry {
            seq: 2,
            chain_seq: 2,
            ..b
        };
        swapped[2] = AuditEntry {
            seq: 3,
            chain_seq: 3,
            ..a
        };
        assert_eq!(verify(&swapped, head).unwrap_err().seq, Some(2));

        let truncated = &c[..4];
        assert_eq!(verify(truncated, head).unwrap_err().position, 5);
    }

    /// Two chains written side by side, with log-wide sequence numbers taken in turn.
    fn two_chains() -> (Vec<AuditEntry>, Vec<AuditEntry>) {
        let base = chain(1).remove(0);
        let mut chains = (Vec::new(), Vec::new());
        let mut prev = [GENESIS.to_string(), GENESIS.to_string()];
        for seq in 1..=6_i64 {
            let c = seq % 2;
            let list = if c == 0 { &mut chains.0 } else { &mut chains.1 };
            let pos = i64::try_from(list.len()).unwrap() + 1;
            let e = AuditEntry {
                target_id: seq.to_string(),
                ..base.clone()
            }
            .seal_on(c, pos, seq, &prev[c as usize], KEY);
            prev[c as usize].clone_from(&e.hash);
            list.push(e);
        }
        chains
    }

    fn verify_chain(c: i64, entries: &[AuditEntry]) -> Result<u64, ChainBreak> {
        let mut v = ChainVerifier::for_chain(KEY, c);
        for e in entries {
            v.push(e)?;
        }
        let last = entries.last();
        v.finish(
            last.map_or(0, |e| e.chain_seq),
            last.map_or(GENESIS, |e| e.hash.as_str()),
        )
    }

    #[test]
    fn interleaved_chains_verify_each_and_name_their_breaks() {
        let (zero, one) = two_chains();
        assert_eq!(verify_chain(0, &zero), Ok(3));
        assert_eq!(verify_chain(1, &one), Ok(3));
        // Chain 0 entries past the first are not at position = seq: they hash under v2.
        assert_eq!((zero[1].seq, zero[1].chain_seq), (4, 2));

        let mut edited = one.clone();
        edited[1].details = "{\"x\":1}".into();
        let b = verify_chain(1, &edited).unwrap_err();
        assert_eq!((b.chain, b.position, b.seq), (1, 2, Some(edited[1].seq)));

        // Renumbering an entry, or moving it to the other chain, changes what its hash covers.
        let mut renumbered = zero.clone();
        renumbered[2].seq = 7;
        assert_eq!(verify_chain(0, &renumbered).unwrap_err().seq, Some(7));
        let mut moved = zero.clone();
        moved[1].chain = 1;
        assert_eq!(verify_chain(0, &moved).unwrap_err().position, 2);
        let mut into_one = one.clone();
        into_one.push(AuditEntry {
            chain: 1,
            chain_seq: 4,
            prev_hash: one[2].hash.clone(),
            ..zero[2].clone()
        });
        assert_eq!(verify_chain(1, &into_one).unwrap_err().position, 4);

        let mut deleted = one.clone();
        deleted.remove(0);
        let b = verify_chain(1, &deleted).unwrap_err();
        assert_eq!((b.chain, b.position, b.seq), (1, 1, None));
    }
}
