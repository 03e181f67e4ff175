//! Cases: the row (a projection of the timeline), the append-only events, readable
//! numbers, idempotency keys, parties, attachments, and search.

use sqlx::AnyConnection;

use crate::sql::{ScopeRanges, Sql};
use crate::{Backend, Result, StoreError};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CaseRow {
    pub id: i64,
    pub number: String,
    #[sqlx(rename = "type")]
    pub case_type: String,
    pub category: String,
    pub source: String,
    pub region_code: String,
    pub handling_region: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub title: String,
    pub description: String,
    pub priority: String,
    pub state: String,
    pub terminal: i64,
    pub assignee_user_id: Option<i64>,
    pub created_by: Option<i64>,
    pub reporter_name: Option<String>,
    pub reporter_phone_enc: Option<Vec<u8>>,
    pub state_entered_at: i64,
    pub state_due_at: Option<i64>,
    pub level_entered_at: i64,
    pub level_due_at: Option<i64>,
    pub dispatched_at: Option<i64>,
    pub response_due_at: Option<i64>,
    pub responded_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub late_at: Option<i64>,
    pub satisfaction: Option<String>,
    pub supervise_level: Option<String>,
    pub merged_into: Option<i64>,
    pub possible_duplicate_of: Option<i64>,
    /// Time left on the state's clock while it is paused (听证); `None` when running.
    pub paused_remaining_ms: Option<i64>,
    /// Where the case came from, e.g. `patrol:12`, `visit:3`, `diary:7`.
    pub origin: Option<String>,
    pub rollup_region: String,
    pub month: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "id, number, type, category, source, region_code, handling_region, lat, lng, \
    title, description, priority, state, terminal, assignee_user_id, created_by, reporter_name, \
    reporter_phone_enc, state_entered_at, state_due_at, level_entered_at, level_due_at, \
    dispatched_at, response_due_at, responded_at, closed_at, late_at, satisfaction, \
    supervise_level, merged_into, possible_duplicate_of, paused_remaining_ms, origin, rollup_region, month, \
    version, created_at, updated_at";

/// The next sequence number of a county's year: `431027-2026-000123`.
pub async fn next_number(conn: &mut AnyConnection, county: &str, year: i32) -> Result<String> {
    let seq = reserve_numbers(conn, county, year, 1).await?;
    Ok(number_text(county, year, seq))
}

/// Reserves `n` consecutive numbers of a county's year and returns the first. Group
/// commit on PostgreSQL calls this in a statement of its own before the batch, so the
/// counter row is locked for a moment, not for a whole batch (ADR 0013).
pub async fn reserve_numbers(
    conn: &mut AnyConnection,
    county: &str,
    year: i32,
    n: i64,
) -> Result<i64> {
    let (last,): (i64,) = sqlx::query_as(
        "INSERT INTO case_counters (county, year, last_seq) VALUES ($1, $2, $3) \
         ON CONFLICT (county, year) DO UPDATE SET last_seq = case_counters.last_seq + excluded.last_seq \
         RETURNING last_seq",
    )
    .bind(county)
    .bind(i64::from(year))
    .bind(n)
    .fetch_one(conn)
    .await?;
    Ok(last - n + 1)
}

/// A case number as people read it: `431027-2026-000123`.
pub fn number_text(county: &str, year: i32, seq: i64) -> String {
    format!("{county}-{year}-{seq:06}")
}

/// Inserts a new case row (id and version are assigned).
pub async fn insert(conn: &mut AnyConnection, c: &CaseRow) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO cases (number, type, category, source, region_code, handling_region, lat, lng, \
         title, description, priority, state, terminal, assignee_user_id, created_by, reporter_name, \
         reporter_phone_enc, state_entered_at, state_due_at, level_entered_at, level_due_at, \
         dispatched_at, response_due_at, responded_at, closed_at, late_at, satisfaction, \
         supervise_level, merged_into, possible_duplicate_of, rollup_region, month, version, \
         created_at, updated_at, origin) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
         $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, \
         $32, 1, $33, $34, $35) RETURNING id",
    )
    .bind(&c.number)
    .bind(&c.case_type)
    .bind(&c.category)
    .bind(&c.source)
    .bind(&c.region_code)
    .bind(&c.handling_region)
    .bind(c.lat)
    .bind(c.lng)
    .bind(&c.title)
    .bind(&c.description)
    .bind(&c.priority)
    .bind(&c.state)
    .bind(c.terminal)
    .bind(c.assignee_user_id)
    .bind(c.created_by)
    .bind(c.reporter_name.as_deref())
    .bind(c.reporter_phone_enc.clone())
    .bind(c.state_entered_at)
    .bind(c.state_due_at)
    .bind(c.level_entered_at)
    .bind(c.level_due_at)
    .bind(c.dispatched_at)
    .bind(c.response_due_at)
    .bind(c.responded_at)
    .bind(c.closed_at)
    .bind(c.late_at)
    .bind(c.satisfaction.as_deref())
    .bind(c.supervise_level.as_deref())
    .bind(c.merged_into)
    .bind(c.possible_duplicate_of)
    .bind(&c.rollup_region)
    .bind(&c.month)
    .bind(c.created_at)
    .bind(c.updated_at)
    .bind(c.origin.as_deref())
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

/// Writes back the mutable fields if the row is still at `c.version`; bumps the version.
/// Anything else → `Conflict("version")`: concurrent edits are refused, never lost.
pub async fn save(conn: &mut AnyConnection, c: &CaseRow) -> Result<i64> {
    let r = sqlx::query(
        "UPDATE cases SET handling_region = $1, state = $2, terminal = $3, assignee_user_id = $4, \
         state_entered_at = $5, state_due_at = $6, level_entered_at = $7, level_due_at = $8, \
         dispatched_at = $9, response_due_at = $10, responded_at = $11, closed_at = $12, \
         late_at = $13, satisfaction = $14, supervise_level = $15, merged_into = $16, \
         possible_duplicate_of = $17, priority = $18, updated_at = $19, paused_remaining_ms = $22, \
         version = version + 1 WHERE id = $20 AND version = $21",
    )
    .bind(&c.handling_region)
    .bind(&c.state)
    .bind(c.terminal)
    .bind(c.assignee_user_id)
    .bind(c.state_entered_at)
    .bind(c.state_due_at)
    .bind(c.level_entered_at)
    .bind(c.level_due_at)
    .bind(c.dispatched_at)
    .bind(c.response_due_at)
    .bind(c.responded_at)
    .bind(c.closed_at)
    .bind(c.late_at)
    .bind(c.satisfaction.as_deref())
    .bind(c.supervise_level.as_deref())
    .bind(c.merged_into)
    .bind(c.possible_duplicate_of)
    .bind(&c.priority)
    .bind(c.updated_at)
    .bind(c.id)
    .bind(c.version)
    .bind(c.paused_remaining_ms)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    if r.rows_affected() == 0 {
        return Err(StoreError::Conflict("version".into()));
    }
    Ok(c.version + 1)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<CaseRow> {
    sqlx::query_as::<_, CaseRow>(&format!("SELECT {COLUMNS} FROM cases WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn get_by_number(conn: &mut AnyConnection, number: &str) -> Result<CaseRow> {
    sqlx::query_as::<_, CaseRow>(&format!("SELECT {COLUMNS} FROM cases WHERE number = $1"))
        .bind(number)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn idempotent_case(
    conn: &mut AnyConnection,
    user_id: i64,
    key: &str,
) -> Result<Option<i64>> {
    let r: Option<(i64,)> =
        sqlx::query_as("SELECT case_id FROM idempotency_keys WHERE user_id = $1 AND key = $2")
            .bind(user_id)
            .bind(key)
            .fetch_optional(conn)
            .await?;
    Ok(r.map(|r| r.0))
}

pub async fn remember_idempotency(
    conn: &mut AnyConnection,
    user_id: i64,
    key: &str,
    case_id: i64,
    now_ms: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, case_id, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(user_id)
    .bind(key)
    .bind(case_id)
    .bind(now_ms)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub case_id: i64,
    pub at: i64,
    pub actor: String,
    pub actor_user_id: Option<i64>,
    pub action: String,
    pub effect: String,
    pub from_state: String,
    pub to_state: String,
    pub note: Option<String>,
    /// JSON object with the action's fields (assignee, reason, satisfaction, …).
    pub data: String,
}

pub async fn append_event(conn: &mut AnyConnection, e: &EventRow) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO case_events (case_id, at, actor, actor_user_id, action, effect, from_state, \
         to_state, note, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(e.case_id)
    .bind(e.at)
    .bind(&e.actor)
    .bind(e.actor_user_id)
    .bind(&e.action)
    .bind(&e.effect)
    .bind(&e.from_state)
    .bind(&e.to_state)
    .bind(e.note.as_deref())
    .bind(&e.data)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn events(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<EventRow>> {
    Ok(sqlx::query_as::<_, EventRow>(
        "SELECT id, case_id, at, actor, actor_user_id, action, effect, from_state, to_state, note, data \
         FROM case_events WHERE case_id = $1 ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(conn)
    .await?)
}

pub async fn times_fired(conn: &mut AnyConnection, case_id: i64, action: &str) -> Result<i64> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM case_events WHERE case_id = $1 AND action = $2")
            .bind(case_id)
            .bind(action)
            .fetch_one(conn)
            .await?;
    Ok(n)
}

#[derive(Debug, Default)]
pub struct CaseFilter<'a> {
    pub region: Option<(&'a str, &'a str)>,
    pub state: Option<&'a str>,
    pub case_type: Option<&'a str>,
    pub category: Option<&'a str>,
    pub source: Option<&'a str>,
    pub assignee_user_id: Option<i64>,
    /// Open cases whose current state is past its deadline at this time.
    pub overdue_at: Option<i64>,
    pub open_only: bool,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    pub text: Option<&'a str>,
    /// Leave out cases merged into another.
    pub hide_merged: bool,
    /// Only cases raised by this user (enterprises see their own).
    pub created_by: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseSort {
    /// The operator queue: nearest deadline first.
    Deadline,
    Newest,
}

fn push_filter(q: &mut Sql, backend: Backend, scope: ScopeRanges<'_>, f: &CaseFilter<'_>) {
    // A region filter inside one of the scope's subtrees makes the scope's ranges
    // redundant, and leaving them out matters: given two ranges on one column, SQLite
    // picks one for the index without knowing which is narrower (a township's queue
    // walked the whole province's open cases).
    let region_within_scope = f.region.is_some_and(|(lo, hi)| {
        scope.is_none_or(|ranges| {
            ranges
                .iter()
                .any(|(a, b)| a.as_str() <= lo && hi <= b.as_str())
        })
    });
    if !region_within_scope {
        q.and_in_scope("region_code", scope);
    }
    if let Some((lo, hi)) = f.region {
        q.push(" AND region_code >= ")
            .bind(lo)
            .push(" AND region_code < ")
            .bind(hi);
    }
    if let Some(s) = f.state {
        q.push(" AND state = ").bind(s);
    }
    if let Some(s) = f.case_type {
        q.push(" AND type = ").bind(s);
    }
    if let Some(s) = f.category {
        // A first-level id matches all its children.
        q.push(" AND (category = ")
            .bind(s)
            .push(" OR category LIKE ")
            .bind(format!("{s}.%"))
            .push(")");
    }
    if let Some(s) = f.source {
        q.push(" AND source = ").bind(s);
    }
    if let Some(a) = f.assignee_user_id {
        q.push(" AND assignee_user_id = ").bind(a);
    }
    if let Some(now) = f.overdue_at {
        // Written as the queue indexes' key so the index range stops at `now`.
        q.push(" AND terminal = 0 AND ")
            .push(DUE_KEY)
            .push(" < ")
            .bind(now);
    }
    if f.open_only {
        q.push(" AND terminal = 0");
    }
    if let Some(u) = f.created_by {
        q.push(" AND created_by = ").bind(u);
    }
    if f.hide_merged {
        q.push(" AND merged_into IS NULL");
    }
    if let Some(t) = f.created_from {
        q.push(" AND created_at >= ").bind(t);
    }
    if let Some(t) = f.created_to {
        q.push(" AND created_at < ").bind(t);
    }
    if let Some(text) = f.text.map(str::trim).filter(|t| !t.is_empty()) {
        let like = format!(
            "%{}%",
            text.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        match backend {
            // The trigram index answers phrases of three or more characters.
            Backend::Sqlite if text.chars().count() >= 3 => {
                q.push(" AND id IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH ")
                    .bind(format!("\"{}\"", text.replace('"', "\"\"")))
                    .push(")");
            }
            Backend::Sqlite => {
                q.push(" AND (title LIKE ")
                    .bind(like.clone())
                    .push(" ESCAPE '\\' OR description LIKE ")
                    .bind(like)
                    .push(" ESCAPE '\\')");
            }
            Backend::Postgres => {
                q.push(" AND (title || ' ' || description) ILIKE ")
                    .bind(like)
                    .push(" ESCAPE '\\'");
            }
        }
    }
}

/// Cases are counted up to this many for a page's total (a province's open cases would
/// otherwise be counted on every page); a larger result reports `COUNT_CAP + 1`.
pub const COUNT_CAP: i64 = 10_000;

/// The deadline as the queue indexes (migration 0008) hold it: no deadline sorts last.
const DUE_KEY: &str = "COALESCE(state_due_at, 9223372036854775807)";

/// Which queue index answers an open-case query in deadline order. SQLite has no
/// statistics on a fresh database and would guess; the subtree's size is known from its
/// code, so it is told. PostgreSQL's planner has statistics and chooses itself.
fn queue_index(scope: ScopeRanges<'_>, f: &CaseFilter<'_>) -> &'static str {
    // A township or smaller: few open cases, read them by region and sort.
    let narrow = |lo: &str| lo.len() >= 9;
    let small = match (f.region, scope) {
        (Some((lo, _)), _) => narrow(lo),
        (None, Some(ranges)) => !ranges.is_empty() && ranges.iter().all(|(lo, _)| narrow(lo)),
        (None, None) => false,
    };
    if small {
        "cases_queue_region"
    } else if f.state.is_some() {
        "cases_queue_state"
    } else {
        "cases_queue_due"
    }
}

pub async fn list(
    conn: &mut AnyConnection,
    backend: Backend,
    scope: ScopeRanges<'_>,
    filter: &CaseFilter<'_>,
    sort: CaseSort,
    limit: i64,
    offset: i64,
) -> Result<(Vec<CaseRow>, i64)> {
    let open = filter.open_only || filter.overdue_at.is_some();
    let queue = open && sort == CaseSort::Deadline && filter.text.is_none();
    let from = match backend {
        Backend::Sqlite if queue => format!("cases INDEXED BY {}", queue_index(scope, filter)),
        _ => "cases".to_string(),
    };
    let mut count = Sql::new(&format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM {from} WHERE 1 = 1"
    ));
    let mut page = Sql::new(&format!("SELECT {COLUMNS} FROM {from} WHERE 1 = 1"));
    for q in [&mut count, &mut page] {
        push_filter(q, backend, scope, filter);
    }
    count
        .push(" LIMIT ")
        .bind(COUNT_CAP + 1)
        .push(") AS matching");
    page.push(&match sort {
        // Open cases only: the order the queue indexes hold.
        CaseSort::Deadline if open => format!(" ORDER BY {DUE_KEY}, id"),
        CaseSort::Deadline => format!(" ORDER BY terminal, {DUE_KEY}, id"),
        CaseSort::Newest => " ORDER BY created_at DESC, id DESC".to_string(),
    });
    page.push(" LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    let (total,): (i64,) = count.query_as().fetch_one(&mut *conn).await?;
    let rows = page.query_as::<CaseRow>().fetch_all(conn).await?;
    Ok((rows, total))
}

/// Open, unmerged cases of a category in a village created since `since_ms`: the
/// candidates a new case is compared with for duplicates.
pub async fn duplicate_candidates(
    conn: &mut AnyConnection,
    category: &str,
    rollup_region: &str,
    since_ms: i64,
    exclude_id: i64,
) -> Result<Vec<CaseRow>> {
    Ok(sqlx::query_as::<_, CaseRow>(&format!(
        "SELECT {COLUMNS} FROM cases WHERE category = $1 AND rollup_region = $2 AND created_at >= $3 \
         AND terminal = 0 AND merged_into IS NULL AND id <> $4 ORDER BY id DESC LIMIT 50"
    ))
    .bind(category)
    .bind(rollup_region)
    .bind(since_ms)
    .bind(exclude_id)
    .fetch_all(conn)
    .await?)
}

/// What the duplicate check compares of a candidate: a new case's intake reads only these
/// columns (decoding 50 whole rows per new case cost more than the comparison itself).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DuplicateSketch {
    pub id: i64,
    pub category: String,
    pub region_code: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub created_at: i64,
    pub title: String,
    pub description: String,
}

/// The same candidates as [`duplicate_candidates`], for a case not yet inserted, with only
/// the columns the comparison needs.
pub async fn duplicate_sketches(
    conn: &mut AnyConnection,
    category: &str,
    rollup_region: &str,
    since_ms: i64,
) -> Result<Vec<DuplicateSketch>> {
    Ok(sqlx::query_as::<_, DuplicateSketch>(
        "SELECT id, category, region_code, lat, lng, created_at, title, description FROM cases \
         WHERE category = $1 AND rollup_region = $2 AND created_at >= $3 \
         AND terminal = 0 AND merged_into IS NULL ORDER BY id DESC LIMIT 50",
    )
    .bind(category)
    .bind(rollup_region)
    .bind(since_ms)
    .fetch_all(conn)
    .await?)
}

pub async fn merged_children(conn: &mut AnyConnection, id: i64) -> Result<Vec<CaseRow>> {
    Ok(sqlx::query_as::<_, CaseRow>(&format!(
        "SELECT {COLUMNS} FROM cases WHERE merged_into = $1 ORDER BY id"
    ))
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// Open cases whose handling level's time limit has passed (automatic escalation).
pub async fn overdue_levels(conn: &mut AnyConnection, now_ms: i64, limit: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM cases WHERE terminal = 0 AND merged_into IS NULL AND level_due_at IS NOT NULL \
         AND level_due_at <= $1 ORDER BY level_due_at LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PartyRow {
    pub id: i64,
    pub case_id: i64,
    pub role: String,
    pub name: String,
    pub id_number_enc: Option<Vec<u8>>,
    pub id_number_hash: Option<String>,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_hash: Option<String>,
    /// Organisations: the 统一社会信用代码.
    pub uscc: Option<String>,
}

pub async fn add_party(conn: &mut AnyConnection, p: &PartyRow) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO case_parties (case_id, role, name, id_number_enc, id_number_hash, phone_enc, phone_hash, uscc) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(p.case_id)
    .bind(&p.role)
    .bind(&p.name)
    .bind(p.id_number_enc.clone())
    .bind(p.id_number_hash.as_deref())
    .bind(p.phone_enc.clone())
        .bind(p.phone_hash.as_deref())
    .bind(p.uscc.as_deref())
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn parties(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<PartyRow>> {
    Ok(sqlx::query_as::<_, PartyRow>(
        "SELECT id, case_id, role, name, id_number_enc, id_number_hash, phone_enc, phone_hash, uscc \
         FROM case_parties WHERE case_id = $1 ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AttachmentRow {
    pub id: i64,
    pub case_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

pub async fn add_attachment(conn: &mut AnyConnection, a: &AttachmentRow) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO attachments (case_id, filename, content_type, size, sha256, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(a.case_id)
    .bind(&a.filename)
    .bind(&a.content_type)
    .bind(a.size)
    .bind(&a.sha256)
    .bind(a.created_by)
    .bind(a.created_at)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn attachments(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<AttachmentRow>> {
    Ok(sqlx::query_as::<_, AttachmentRow>(
        "SELECT id, case_id, filename, content_type, size, sha256, created_by, created_at \
         FROM attachments WHERE case_id = $1 ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(conn)
    .await?)
}

pub async fn attachment(conn: &mut AnyConnection, id: i64) -> Result<AttachmentRow> {
    sqlx::query_as::<_, AttachmentRow>(
        "SELECT id, case_id, filename, content_type, size, sha256, created_by, created_at \
         FROM attachments WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}
