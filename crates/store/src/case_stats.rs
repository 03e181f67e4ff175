//! Rollups behind the dashboard: monthly counters per village and current-state counts,
//! both maintained in the transaction of each event, so reading a county or a province is
//! a sum over a key range of small tables.

use sqlx::AnyConnection;
use wangge_core::rates::Counters;

use crate::Result;

/// Adds `d` to the counters of (region, month, category, source).
pub async fn bump(
    conn: &mut AnyConnection,
    region: &str,
    month: &str,
    category: &str,
    source: &str,
    d: &Counters,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_rollups (region_code, month, category, source, created, dispatched, \
         responded_on_time, closed, closed_on_time, handling_ms, rated, satisfied, basic_satisfied, \
         unsatisfied, solved) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (region_code, month, category, source) DO UPDATE SET \
         created = case_rollups.created + excluded.created, \
         dispatched = case_rollups.dispatched + excluded.dispatched, \
         responded_on_time = case_rollups.responded_on_time + excluded.responded_on_time, \
         closed = case_rollups.closed + excluded.closed, \
         closed_on_time = case_rollups.closed_on_time + excluded.closed_on_time, \
         handling_ms = case_rollups.handling_ms + excluded.handling_ms, \
         rated = case_rollups.rated + excluded.rated, \
         satisfied = case_rollups.satisfied + excluded.satisfied, \
         basic_satisfied = case_rollups.basic_satisfied + excluded.basic_satisfied, \
         unsatisfied = case_rollups.unsatisfied + excluded.unsatisfied, \
         solved = case_rollups.solved + excluded.solved",
    )
    .bind(region)
    .bind(month)
    .bind(category)
    .bind(source)
    .bind(d.created)
    .bind(d.dispatched)
    .bind(d.responded_on_time)
    .bind(d.closed)
    .bind(d.closed_on_time)
    .bind(d.handling_ms)
    .bind(d.rated)
    .bind(d.satisfied)
    .bind(d.basic_satisfied)
    .bind(d.unsatisfied)
    .bind(d.solved)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves one case from one state to another in the current-state counts.
pub async fn move_state(
    conn: &mut AnyConnection,
    region: &str,
    case_type: &str,
    from: Option<&str>,
    to: &str,
) -> Result<()> {
    if let Some(from) = from {
        sqlx::query("UPDATE case_state_counts SET n = n - 1 WHERE region_code = $1 AND type = $2 AND state = $3")
            .bind(region)
            .bind(case_type)
            .bind(from)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(
        "INSERT INTO case_state_counts (region_code, type, state, n) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (region_code, type, state) DO UPDATE SET n = case_state_counts.n + 1",
    )
    .bind(region)
    .bind(case_type)
    .bind(to)
    .execute(conn)
    .await?;
    Ok(())
}

const SUMS: &str = "CAST(COALESCE(SUM(created), 0) AS BIGINT), CAST(COALESCE(SUM(dispatched), 0) AS BIGINT), \
    CAST(COALESCE(SUM(responded_on_time), 0) AS BIGINT), CAST(COALESCE(SUM(closed), 0) AS BIGINT), \
    CAST(COALESCE(SUM(closed_on_time), 0) AS BIGINT), CAST(COALESCE(SUM(handling_ms), 0) AS BIGINT), \
    CAST(COALESCE(SUM(rated), 0) AS BIGINT), CAST(COALESCE(SUM(satisfied), 0) AS BIGINT), \
    CAST(COALESCE(SUM(basic_satisfied), 0) AS BIGINT), CAST(COALESCE(SUM(unsatisfied), 0) AS BIGINT), \
    CAST(COALESCE(SUM(solved), 0) AS BIGINT)";

type SumRow = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);

fn counters(r: SumRow) -> Counters {
    Counters {
        created: r.0,
        dispatched: r.1,
        responded_on_time: r.2,
        closed: r.3,
        closed_on_time: r.4,
        handling_ms: r.5,
        rated: r.6,
        satisfied: r.7,
        basic_satisfied: r.8,
        unsatisfied: r.9,
        solved: r.10,
    }
}

/// Sums the counters of a region subtree `[lo, hi)` over months `[from, to]` (YYYY-MM).
/// Reads the village × month table the triggers of migration 0009 keep, not the
/// per-category rows (at ten million cases a province's month was 5 million rows away).
pub async fn sum(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
    from: &str,
    to: &str,
) -> Result<Counters> {
    let r: SumRow = sqlx::query_as(&format!(
        "SELECT {SUMS} FROM case_rollups_monthly WHERE region_code >= $1 AND region_code < $2 AND month >= $3 AND month <= $4"
    ))
    .bind(lo)
    .bind(hi)
    .bind(from)
    .bind(to)
    .fetch_one(conn)
    .await?;
    Ok(counters(r))
}

/// Cases created per category or per source in a subtree and month range, largest first.
pub async fn created_by(
    conn: &mut AnyConnection,
    column: &str,
    lo: &str,
    hi: &str,
    from: &str,
    to: &str,
) -> Result<Vec<(String, i64)>> {
    let col = if column == "source" {
        "source"
    } else {
        "category"
    };
    Ok(sqlx::query_as(&format!(
        "SELECT {col}, CAST(SUM(created) AS BIGINT) AS n FROM case_rollups WHERE region_code >= $1 \
         AND region_code < $2 AND month >= $3 AND month <= $4 GROUP BY {col} HAVING SUM(created) > 0 \
         ORDER BY n DESC, {col}"
    ))
    .bind(lo)
    .bind(hi)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// Current number of cases per (type, state) in a subtree.
pub async fn states(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
) -> Result<Vec<(String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT type, state, CAST(SUM(n) AS BIGINT) AS n FROM case_state_counts WHERE region_code >= $1 \
         AND region_code < $2 GROUP BY type, state HAVING SUM(n) > 0 ORDER BY type, state",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}
