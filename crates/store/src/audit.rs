//! The append-only, hash-chained audit log. Appends happen inside the command's own
//! transaction and go onto the chain of the process that writes them (ADR 0013); that
//! chain's head row serialises them. Processes sharing a PostgreSQL database each claim a
//! chain of their own ([`claim_chain`]), so their transactions do not queue for one row;
//! [`verify`] walks every chain and checks that none was added or removed wholesale.

use std::collections::BTreeSet;

use serde_json::json;
use sqlx::AnyConnection;
use wangge_core::audit::{AuditEntry, ChainBreak, ChainVerifier, GENESIS};

use crate::sql::{ScopeRanges, Sql};
use crate::{Backend, Result, Store, StoreError, Tx};

/// The action of the entry, on chain 0, that opens every other chain: deleting a chain
/// together with its head row then still shows as a chain that was opened and is gone.
pub const CHAIN_OPEN: &str = "audit.chain_open";

#[derive(sqlx::FromRow)]
struct Row {
    seq: i64,
    chain: i64,
    chain_seq: i64,
    at_ms: i64,
    actor: String,
    action: String,
    target_type: String,
    target_id: String,
    region_code: String,
    ip: String,
    request_id: String,
    details: String,
    prev_hash: String,
    hash: String,
}

impl From<Row> for AuditEntry {
    fn from(r: Row) -> Self {
        AuditEntry {
            seq: r.seq,
            chain: r.chain,
            chain_seq: r.chain_seq,
            at_ms: r.at_ms,
            actor: r.actor,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            region_code: r.region_code,
            ip: r.ip,
            request_id: r.request_id,
            details: r.details,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

const COLUMNS: &str = "seq, chain, chain_seq, at_ms, actor, action, target_type, target_id, \
                       region_code, ip, request_id, details, prev_hash, hash";
const N_COLUMNS: usize = 14;
/// Entries per INSERT statement (14 parameters each, well under both backends' limits).
const INSERT_ROWS: usize = 128;

/// Seals `entry` onto the process's chain and stores it. Call inside the command's
/// transaction.
pub async fn append(tx: &mut Tx, entry: AuditEntry) -> Result<AuditEntry> {
    append_many(tx, vec![entry])
        .await?
        .pop()
        .ok_or_else(|| StoreError::Conflict("audit entry not sealed".into()))
}

/// Seals several entries onto the process's chain at once (a group commit's successful
/// commands): the head row is taken once for the whole batch instead of twice per entry.
pub async fn append_many(tx: &mut Tx, entries: Vec<AuditEntry>) -> Result<Vec<AuditEntry>> {
    let chain = tx.audit_chain();
    append_on(tx, chain, entries).await
}

async fn append_on(tx: &mut Tx, chain: i64, entries: Vec<AuditEntry>) -> Result<Vec<AuditEntry>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let key = tx.audit_key().to_vec();
    let backend = tx.backend();
    let conn: &mut AnyConnection = tx;
    let n = i64::try_from(entries.len()).unwrap_or(i64::MAX);
    let head: Option<(i64, String)> = sqlx::query_as(
        "UPDATE audit_head SET last_seq = last_seq + $1 WHERE chain = $2 RETURNING last_seq, last_hash",
    )
    .bind(n)
    .bind(chain)
    .fetch_optional(&mut *conn)
    .await?;
    let (last, mut prev) =
        head.ok_or_else(|| StoreError::Conflict(format!("audit chain {chain} has no head")))?;
    // The log-wide numbers are drawn while holding the chain's head, so they rise along
    // each chain. PostgreSQL: a sequence, which locks no row, so chains do not wait for
    // each other. SQLite: one writer at a time, so the next number after the largest.
    let seqs: Vec<i64> = match backend {
        Backend::Postgres => sqlx::query_as::<_, (i64,)>(
            "SELECT nextval('audit_log_seq') FROM generate_series(1, $1)",
        )
        .bind(n)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect(),
        Backend::Sqlite => {
            let (max,): (i64,) =
                sqlx::query_as("SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM audit_log")
                    .fetch_one(&mut *conn)
                    .await?;
            (max + 1..=max + n).collect()
        }
    };
    if seqs.len() != entries.len() {
        return Err(StoreError::Conflict(
            "audit sequence numbers not drawn".into(),
        ));
    }
    let mut sealed = Vec::with_capacity(entries.len());
    for (i, (entry, seq)) in entries.into_iter().zip(seqs).enumerate() {
        let position = last - n + 1 + i64::try_from(i).unwrap_or(i64::MAX);
        let e = entry.seal_on(chain, position, seq, &prev, &key);
        prev.clone_from(&e.hash);
        sealed.push(e);
    }
    // Multi-row INSERTs: one round trip per 128 entries instead of one per entry.
    for part in sealed.chunks(INSERT_ROWS) {
        let mut sql = format!("INSERT INTO audit_log ({COLUMNS}) VALUES ");
        for r in 0..part.len() {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..N_COLUMNS {
                if c > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", r * N_COLUMNS + c + 1));
            }
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for e in part {
            q = q
                .bind(e.seq)
                .bind(e.chain)
                .bind(e.chain_seq)
                .bind(e.at_ms)
                .bind(&e.actor)
                .bind(&e.action)
                .bind(&e.target_type)
                .bind(&e.target_id)
                .bind(&e.region_code)
                .bind(&e.ip)
                .bind(&e.request_id)
                .bind(&e.details)
                .bind(&e.prev_hash)
                .bind(&e.hash);
        }
        q.execute(&mut *conn)
            .await
            .map_err(StoreError::from_write)?;
    }
    sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE chain = $2")
        .bind(&prev)
        .bind(chain)
        .execute(conn)
        .await?;
    Ok(sealed)
}

/// Gives the store a chain of its own to seal onto, for a process that shares the
/// database with others (each `wangge serve`). PostgreSQL: the first chain whose session
/// advisory lock is free, held on a connection kept out of the pool for the life of the
/// store; when every chain is taken, a new one is opened (with a [`CHAIN_OPEN`] entry on
/// chain 0). Chains are reused across restarts, so there are about as many as processes
/// ever ran at once. SQLite has one writer at a time, so the store stays on chain 0.
///
/// The lock only spreads processes over chains: appends stay correct if two processes
/// ever share one (after a lost session, say), because the head row orders them.
pub async fn claim_chain(store: Store, now_ms: i64) -> Result<Store> {
    if store.backend() != Backend::Postgres {
        return Ok(store);
    }
    let mut lease = store.pool().acquire().await?.detach();
    for _ in 0..16 {
        let chains: Vec<(i64,)> = sqlx::query_as("SELECT chain FROM audit_head ORDER BY chain")
            .fetch_all(&mut lease)
            .await?;
        for (c,) in chains {
            let (locked,): (bool,) = sqlx::query_as(LOCK).bind(c).fetch_one(&mut lease).await?;
            if locked {
                return Ok(store.on_chain(c, Some(lease)));
            }
        }
        // Every chain is taken: open one more, then try again (another process starting
        // at the same moment may take the new one first).
        open_chain(&store, now_ms).await?;
    }
    Err(StoreError::Conflict(
        "no audit chain could be claimed".into(),
    ))
}

/// Opens a new chain: its head row, and on chain 0 the [`CHAIN_OPEN`] entry that records
/// it, in one transaction. Returns the chain's number.
pub async fn open_chain(store: &Store, now_ms: i64) -> Result<i64> {
    // Two processes opening a chain at once compute the same number; the second one's
    // INSERT fails on the key once the first commits, and it tries the next number.
    for _ in 0..16 {
        let mut tx = store.begin().await?;
        let opened: Result<(i64,)> = sqlx::query_as(
            "INSERT INTO audit_head (chain, last_seq, last_hash) \
             SELECT COALESCE(MAX(chain), -1) + 1, 0, $1 FROM audit_head RETURNING chain",
        )
        .bind(GENESIS)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from_write);
        let c = match opened {
            Ok((c,)) => c,
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        };
        let entry = AuditEntry {
            seq: 0,
            chain: 0,
            chain_seq: 0,
            at_ms: now_ms,
            actor: "wangge".into(),
            action: CHAIN_OPEN.into(),
            target_type: "audit_chain".into(),
            target_id: c.to_string(),
            region_code: String::new(),
            ip: String::new(),
            request_id: String::new(),
            details: json!({ "chain": c }).to_string(),
            prev_hash: String::new(),
            hash: String::new(),
        };
        append_on(&mut tx, 0, vec![entry]).await?;
        tx.commit().await?;
        return Ok(c);
    }
    Err(StoreError::Conflict(
        "no audit chain could be opened".into(),
    ))
}

/// Takes a chain's session advisory lock if free. Advisory locks are database-wide; the
/// schema keeps separate installations (and test schemas) in one database apart.
const LOCK: &str =
    "SELECT pg_try_advisory_lock(hashtext(current_schema() || '.wangge.audit_chain'), \
                    CAST($1 AS INTEGER))";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact { entries: u64 },
    Broken(ChainBreak),
}

/// Walks every chain in pages of its positions and checks each against its head; then
/// checks that the chains are exactly those opened through wangge and that no entry lies
/// outside them.
pub async fn verify(conn: &mut AnyConnection, key: &[u8]) -> Result<Verdict> {
    let heads: Vec<(i64, i64, String)> =
        sqlx::query_as("SELECT chain, last_seq, last_hash FROM audit_head ORDER BY chain")
            .fetch_all(&mut *conn)
            .await?;
    let chains: BTreeSet<i64> = heads.iter().map(|h| h.0).collect();
    if !chains.contains(&0) {
        return Ok(Verdict::Broken(ChainBreak::missing(
            0,
            0,
            "主链的链头缺失（被删除）",
        )));
    }
    let mut total = 0_u64;
    let mut opened = BTreeSet::new();
    for (chain, head_seq, head_hash) in &heads {
        let mut v = ChainVerifier::for_chain(key, *chain);
        let mut after = 0_i64;
        loop {
            let rows: Vec<Row> = sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM audit_log WHERE chain = $1 AND chain_seq > $2 \
                 ORDER BY chain_seq LIMIT 5000"
            ))
            .bind(*chain)
            .bind(after)
            .fetch_all(&mut *conn)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.chain_seq;
            for r in rows {
                let e = AuditEntry::from(r);
                if let Err(b) = v.push(&e) {
                    return Ok(Verdict::Broken(b));
                }
                if *chain == 0 && e.action == CHAIN_OPEN {
                    if let Ok(c) = e.target_id.parse::<i64>() {
                        opened.insert(c);
                    }
                }
            }
        }
        match v.finish(*head_seq, head_hash) {
            Ok(n) => total += n,
            Err(b) => return Ok(Verdict::Broken(b)),
        }
    }
    if let Some(c) = opened.difference(&chains).next() {
        return Ok(Verdict::Broken(ChainBreak::missing(
            *c,
            1,
            "整条链缺失（链头与记录被删除）",
        )));
    }
    if let Some(c) = chains.iter().find(|c| **c != 0 && !opened.contains(c)) {
        return Ok(Verdict::Broken(ChainBreak::missing(
            *c,
            0,
            "该链不是由 wangge 开启的（在 wangge 之外添加）",
        )));
    }
    let listed: Vec<String> = chains.iter().map(i64::to_string).collect();
    let stray: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE chain NOT IN ({}) ORDER BY seq LIMIT 1",
        listed.join(", ")
    ))
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(r) = stray {
        return Ok(Verdict::Broken(ChainBreak::at(
            &AuditEntry::from(r),
            "记录不在任何链上（在 wangge 之外添加）",
        )));
    }
    Ok(Verdict::Intact { entries: total })
}

#[derive(Debug, Default)]
pub struct AuditFilter<'a> {
    pub actor: Option<&'a str>,
    pub target_type: Option<&'a str>,
    pub target_id: Option<&'a str>,
    pub action: Option<&'a str>,
}

/// Newest first. Entries without a region (logins) are visible only to unrestricted scopes.
pub async fn list(
    conn: &mut AnyConnection,
    scope: ScopeRanges<'_>,
    filter: &AuditFilter<'_>,
    limit: i64,
    before_seq: Option<i64>,
) -> Result<Vec<AuditEntry>> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM audit_log WHERE 1 = 1"));
    sql.and_in_scope("region_code", scope);
    if let Some(a) = filter.actor {
        sql.push(" AND actor = ").bind(a);
    }
    if let Some(a) = filter.target_type {
        sql.push(" AND target_type = ").bind(a);
    }
    if let Some(a) = filter.target_id {
        sql.push(" AND target_id = ").bind(a);
    }
    if let Some(a) = filter.action {
        sql.push(" AND action = ").bind(a);
    }
    if let Some(b) = before_seq {
        sql.push(" AND seq < ").bind(b);
    }
    sql.push(" ORDER BY seq DESC LIMIT ").bind(limit);
    let rows: Vec<Row> = sql.query_as().fetch_all(conn).await?;
    Ok(rows.into_iter().map(AuditEntry::from).collect())
}
