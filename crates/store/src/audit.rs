//! The append-only, hash-chained audit log. Appends happen inside the command's own
//! transaction; the chain head row serialises them.

use sqlx::AnyConnection;
use wangge_core::audit::{AuditEntry, ChainBreak, ChainVerifier};

use crate::sql::{ScopeRanges, Sql};
use crate::{Result, StoreError, Tx};

#[derive(sqlx::FromRow)]
struct Row {
    seq: i64,
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

const COLUMNS: &str = "seq, at_ms, actor, action, target_type, target_id, region_code, ip, \
                       request_id, details, prev_hash, hash";

/// Seals `entry` onto the chain and stores it. Call inside the command's transaction.
pub async fn append(tx: &mut Tx, entry: AuditEntry) -> Result<AuditEntry> {
    append_many(tx, vec![entry])
        .await?
        .pop()
        .ok_or_else(|| StoreError::Conflict("audit entry not sealed".into()))
}

/// Seals several entries onto the chain at once (a group commit's successful commands):
/// the head row is taken once for the whole batch instead of twice per entry.
pub async fn append_many(tx: &mut Tx, entries: Vec<AuditEntry>) -> Result<Vec<AuditEntry>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let key = tx.audit_key().to_vec();
    let conn: &mut AnyConnection = tx;
    let n = i64::try_from(entries.len()).unwrap_or(i64::MAX);
    let (last, mut prev): (i64, String) = sqlx::query_as(
        "UPDATE audit_head SET last_seq = last_seq + $1 WHERE id = 1 RETURNING last_seq, last_hash",
    )
    .bind(n)
    .fetch_one(&mut *conn)
    .await?;
    let mut seq = last - n;
    let mut sealed = Vec::with_capacity(entries.len());
    for entry in entries {
        seq += 1;
        let e = entry.seal(seq, &prev, &key);
        sqlx::query(&format!(
            "INSERT INTO audit_log ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(e.seq)
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
        .bind(&e.hash)
        .execute(&mut *conn)
        .await
        .map_err(StoreError::from_write)?;
        prev = e.hash.clone();
        sealed.push(e);
    }
    sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1")
        .bind(&prev)
        .execute(conn)
        .await?;
    Ok(sealed)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact { entries: u64 },
    Broken(ChainBreak),
}

/// Walks the whole chain in pages of `seq`, then checks the head.
pub async fn verify(conn: &mut AnyConnection, key: &[u8]) -> Result<Verdict> {
    let mut v = ChainVerifier::new(key);
    let mut after = 0_i64;
    loop {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000"
        ))
        .bind(after)
        .fetch_all(&mut *conn)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for r in rows {
            if let Err(b) = v.push(&AuditEntry::from(r)) {
                return Ok(Verdict::Broken(b));
            }
        }
    }
    let (head_seq, head_hash): (i64, String) =
        sqlx::query_as("SELECT last_seq, last_hash FROM audit_head WHERE id = 1")
            .fetch_one(conn)
            .await?;
    Ok(match v.finish(head_seq, &head_hash) {
        Ok(n) => Verdict::Intact { entries: n },
        Err(b) => Verdict::Broken(b),
    })
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
