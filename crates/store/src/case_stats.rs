//! Rollups behind the dashboard: monthly counters per village and current-state counts,
//! both maintained in the transaction of each event, so reading a county or a province is
//! a sum over a key range of small tables.

use std::collections::BTreeMap;

use sqlx::AnyConnection;
use wangge_core::rates::Counters;

use crate::{Backend, Result, Tx};

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds one rollup row's key and counters, in the column order of the upserts below.
fn bind_rollup<'q>(
    q: AnyQuery<'q>,
    region: &'q str,
    month: &'q str,
    category: &'q str,
    source: &'q str,
    d: &Counters,
) -> AnyQuery<'q> {
    q.bind(region)
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
}

/// Adds `d` to the counters of (region, month, category, source).
pub async fn bump(
    conn: &mut AnyConnection,
    region: &str,
    month: &str,
    category: &str,
    source: &str,
    d: &Counters,
) -> Result<()> {
    let sql = upsert_sql(
        "INSERT INTO case_rollups (region_code, month, category, source, created, dispatched, \
         responded_on_time, closed, closed_on_time, handling_ms, rated, satisfied, basic_satisfied, \
         unsatisfied, solved) VALUES ",
        1,
        15,
        ROLLUP_CONFLICT,
    );
    bind_rollup(sqlx::query(&sql), region, month, category, source, d)
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

/// Rollup changes gathered over many cases (a group commit's batch) and written together
/// at the end of its transaction by [`Tally::write`]: summed per key, in key order, in
/// multi-row statements.
///
/// Every new case adds to rows that other new cases share (its village's month, the
/// county's and province's category months through the 0009 triggers, the state counts).
/// Written case by case, a batch held those row locks from its first case to its commit,
/// so the batches of two server processes on one PostgreSQL database waited for each
/// other whole. Written last, they are held only for the write and the commit.
#[derive(Debug, Default)]
pub struct Tally {
    rollups: BTreeMap<(String, String, String, String), Counters>,
    states: BTreeMap<(String, String, String), i64>,
}

impl Tally {
    /// As [`bump`], deferred.
    pub fn bump(&mut self, region: &str, month: &str, category: &str, source: &str, d: &Counters) {
        let key = (region.into(), month.into(), category.into(), source.into());
        add(self.rollups.entry(key).or_default(), d);
    }

    /// As [`move_state`] for a new case (no state before), deferred.
    pub fn enter_state(&mut self, region: &str, case_type: &str, state: &str) {
        *self
            .states
            .entry((region.into(), case_type.into(), state.into()))
            .or_default() += 1;
    }

    pub fn merge(&mut self, other: Tally) {
        for (k, d) in other.rollups {
            add(self.rollups.entry(k).or_default(), &d);
        }
        for (k, n) in other.states {
            *self.states.entry(k).or_default() += n;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rollups.is_empty() && self.states.is_empty()
    }

    /// Writes the gathered changes; call last in the transaction, just before commit.
    ///
    /// PostgreSQL: the rollup triggers lock derived rows in an order no sort of these keys
    /// can make the same for every batch (a village's month and a county's category month
    /// cross), so two batches writing at once could deadlock. A transaction-scoped advisory
    /// lock makes batches take turns for this last step only (the wait is one write and one
    /// commit). Other write transactions hold the same lock shared from their start
    /// ([`crate::Store::begin`]), so none of them holds a rollup row while the batch waits
    /// for it. Open the batch with [`crate::Store::begin_batch`]. SQLite has one writer.
    pub async fn write(self, tx: &mut Tx) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        if tx.backend() == Backend::Postgres {
            sqlx::query(&format!(
                "SELECT 1 FROM pg_advisory_xact_lock({})",
                crate::ROLLUPS_LOCK
            ))
            .execute(&mut **tx)
            .await?;
        }
        let conn: &mut AnyConnection = tx;
        let rollups: Vec<_> = self.rollups.into_iter().collect();
        for part in rollups.chunks(ROWS_PER_STATEMENT) {
            let sql = upsert_sql(
                "INSERT INTO case_rollups (region_code, month, category, source, created, dispatched, \
                 responded_on_time, closed, closed_on_time, handling_ms, rated, satisfied, basic_satisfied, \
                 unsatisfied, solved) VALUES ",
                part.len(),
                15,
                ROLLUP_CONFLICT,
            );
            let mut q = sqlx::query(&sql);
            for ((region, month, category, source), d) in part {
                q = bind_rollup(q, region, month, category, source, d);
            }
            q.execute(&mut *conn).await?;
        }
        let states: Vec<_> = self.states.into_iter().collect();
        for part in states.chunks(ROWS_PER_STATEMENT) {
            let sql = upsert_sql(
                "INSERT INTO case_state_counts (region_code, type, state, n) VALUES ",
                part.len(),
                4,
                " ON CONFLICT (region_code, type, state) DO UPDATE SET n = case_state_counts.n + excluded.n",
            );
            let mut q = sqlx::query(&sql);
            for ((region, case_type, state), n) in part {
                q = q.bind(region).bind(case_type).bind(state).bind(*n);
            }
            q.execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// Rows per multi-row statement (15 parameters each at most).
const ROWS_PER_STATEMENT: usize = 128;

/// The upsert clause that adds a row to the `case_rollups` row of its key (shared with the
/// bulk generator).
pub const ROLLUP_CONFLICT: &str =
    " ON CONFLICT (region_code, month, category, source) DO UPDATE SET \
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
     solved = case_rollups.solved + excluded.solved";

/// `head` followed by `rows` groups of `cols` numbered parameters, then `tail`.
fn upsert_sql(head: &str, rows: usize, cols: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(head.len() + rows * cols * 5 + tail.len());
    sql.push_str(head);
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(r * cols + c + 1).to_string());
        }
        sql.push(')');
    }
    sql.push_str(tail);
    sql
}

fn add(to: &mut Counters, d: &Counters) {
    to.created += d.created;
    to.dispatched += d.dispatched;
    to.responded_on_time += d.responded_on_time;
    to.closed += d.closed;
    to.closed_on_time += d.closed_on_time;
    to.handling_ms += d.handling_ms;
    to.rated += d.rated;
    to.satisfied += d.satisfied;
    to.basic_satisfied += d.basic_satisfied;
    to.unsatisfied += d.unsatisfied;
    to.solved += d.solved;
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
