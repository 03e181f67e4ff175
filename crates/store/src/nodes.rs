//! Figures of the statistical nodes above the village — township, county, city and
//! province — from the tables migration 0014 keeps by trigger: monthly counters
//! (`case_node_months`), current states (`case_node_states`), open cases per deadline day
//! (`case_node_due_days`), and the coverage stamp. A node is a region code at one of those
//! levels; the rows of a level inside `[lo, hi)` are that level's nodes of the subtree, so
//! a province's dashboard reads its cities' rows and its own, a few hundred in all.

use sqlx::AnyConnection;
use wangge_core::rates::Counters;

use crate::dashboard::{keyed_counters, KeyedSumRow};
use crate::Result;

/// `COALESCE(state_due_at, max)`: the key of the deadline index `cases_queue_due`.
const DUE: &str = "COALESCE(state_due_at, 9223372036854775807)";
pub const DAY_MS: i64 = 86_400_000;

/// `cases`, told on SQLite to read the deadline index: without statistics SQLite prefers
/// the region range of `cases_open_region`, which for a province is every open case
/// (measured at 10 M cases: 15–25 ms a query instead of 1–2). PostgreSQL plans for itself.
pub(crate) fn cases_by_deadline(conn: &AnyConnection) -> &'static str {
    if conn.backend_name() == "SQLite" {
        "cases INDEXED BY cases_queue_due"
    } else {
        "cases"
    }
}

/// One node's counters of one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeMonth {
    pub node: String,
    pub month: String,
    pub counters: Counters,
}

/// The monthly counters of the `level` nodes in `[lo, hi)` over months `[from, to]`.
pub async fn months(
    conn: &mut AnyConnection,
    level: &str,
    lo: &str,
    hi: &str,
    from: &str,
    to: &str,
) -> Result<Vec<NodeMonth>> {
    let rows: Vec<KeyedSumRow> = sqlx::query_as(
        "SELECT node, month, created, dispatched, responded_on_time, closed, closed_on_time, \
         handling_ms, rated, satisfied, basic_satisfied, unsatisfied, solved FROM case_node_months \
         WHERE level = $1 AND node >= $2 AND node < $3 AND month >= $4 AND month <= $5",
    )
    .bind(level)
    .bind(lo)
    .bind(hi)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let (node, month, counters) = keyed_counters(r);
            NodeMonth {
                node,
                month,
                counters,
            }
        })
        .collect())
}

/// Current cases per (node, type, state) of the `level` nodes in `[lo, hi)`.
pub async fn states(
    conn: &mut AnyConnection,
    level: &str,
    lo: &str,
    hi: &str,
) -> Result<Vec<(String, String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT node, type, state, n FROM case_node_states \
         WHERE level = $1 AND node >= $2 AND node < $3 AND n <> 0",
    )
    .bind(level)
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}

/// Open cases whose current deadline falls on a UTC day before `before_day`, per `level`
/// node in `[lo, hi)`: all of them are past due on `before_day`.
pub async fn due_before_day(
    conn: &mut AnyConnection,
    level: &str,
    lo: &str,
    hi: &str,
    before_day: i64,
) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT node, CAST(SUM(n) AS BIGINT) FROM case_node_due_days \
         WHERE level = $1 AND node >= $2 AND node < $3 AND day < $4 GROUP BY node",
    )
    .bind(level)
    .bind(lo)
    .bind(hi)
    .bind(before_day)
    .fetch_all(conn)
    .await?)
}

/// Open cases of `[lo, hi)` whose deadline lies in `[from_ms, to_ms)`, per child prefix
/// of length `len`: one range of the deadline index (today's part of "overdue now").
pub async fn due_between_by_child(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
    len: usize,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<(String, i64)>> {
    let cases = cases_by_deadline(conn);
    Ok(sqlx::query_as(&format!(
        "SELECT SUBSTR(region_code, 1, {len}), CAST(COUNT(*) AS BIGINT) FROM {cases} \
         WHERE terminal = 0 AND {DUE} >= $1 AND {DUE} < $2 \
         AND region_code >= $3 AND region_code < $4 GROUP BY SUBSTR(region_code, 1, {len})"
    ))
    .bind(from_ms)
    .bind(to_ms)
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}

/// Open cases past due at `now_ms` in the subtree of `node` (at `level`, range
/// `[lo, hi)`): per child prefix of length `len` (children at `child_level`), and in all.
/// Each is the day buckets before today plus today's cases already past due, which one
/// range of the deadline index gives for the children and the total alike. Cases in no
/// child count in the total only (under their own, shorter prefix in the map).
#[allow(clippy::too_many_arguments)]
pub async fn overdue(
    conn: &mut AnyConnection,
    level: &str,
    node: &str,
    child_level: &str,
    lo: &str,
    hi: &str,
    len: usize,
    now_ms: i64,
) -> Result<(Vec<(String, i64)>, i64)> {
    let today = now_ms.div_euclid(DAY_MS);
    let mut by: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for (child, n) in due_before_day(conn, child_level, lo, hi, today).await? {
        *by.entry(child.get(..len).unwrap_or(&child).to_string())
            .or_default() += n;
    }
    let (mut total,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM case_node_due_days \
         WHERE level = $1 AND node = $2 AND day < $3",
    )
    .bind(level)
    .bind(node)
    .bind(today)
    .fetch_one(&mut *conn)
    .await?;
    for (p, n) in due_between_by_child(conn, lo, hi, len, today * DAY_MS, now_ms).await? {
        total += n;
        *by.entry(p).or_default() += n;
    }
    Ok((by.into_iter().collect(), total))
}

/// The coverage stamp: moves whenever a region, post or household changes.
pub async fn coverage_stamp(conn: &mut AnyConnection) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT n FROM stamps WHERE name = 'coverage'")
        .fetch_one(conn)
        .await?;
    Ok(n)
}
