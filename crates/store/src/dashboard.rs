//! The small aggregate queries behind the leaders' dashboard, map and 成绩单.
//!
//! None of them reads all cases: case figures come from two coarser views of the
//! monthly rollups that migration 0009 keeps by trigger — `case_rollups_monthly` (per
//! village and month) and `case_category_months` (per statistical node, month and
//! category) — and the current-state counts (`case_state_counts`); what those cannot
//! answer is one index range over the subtree's open cases (`cases_open_region`, also
//! from 0009). Dispute figures come from `dispute_months`, kept the same way from the
//! dispute files. Subtree queries take the key range `[lo, hi)`. Figures per child region group by the
//! child's significant prefix, `SUBSTR(region_code, 1, len)`, with `len` a level's
//! prefix length written into the SQL (a number we choose, never input).

use sqlx::AnyConnection;
use wangge_core::rates::Counters;

use crate::Result;

const SUMS: &str = "CAST(COALESCE(SUM(created), 0) AS BIGINT), CAST(COALESCE(SUM(dispatched), 0) AS BIGINT), \
    CAST(COALESCE(SUM(responded_on_time), 0) AS BIGINT), CAST(COALESCE(SUM(closed), 0) AS BIGINT), \
    CAST(COALESCE(SUM(closed_on_time), 0) AS BIGINT), CAST(COALESCE(SUM(handling_ms), 0) AS BIGINT), \
    CAST(COALESCE(SUM(rated), 0) AS BIGINT), CAST(COALESCE(SUM(satisfied), 0) AS BIGINT), \
    CAST(COALESCE(SUM(basic_satisfied), 0) AS BIGINT), CAST(COALESCE(SUM(unsatisfied), 0) AS BIGINT), \
    CAST(COALESCE(SUM(solved), 0) AS BIGINT)";

pub(crate) type KeyedSumRow = (
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
);

/// The rollup counters of one child prefix and month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildMonth {
    /// `SUBSTR(region_code, 1, len)` of the rollup rows summed.
    pub prefix: String,
    pub month: String,
    pub counters: Counters,
}

/// Rollup counters of `[lo, hi)` over months `[from, to]` (YYYY-MM), per child prefix of
/// length `len` and month, from `case_rollups_monthly`: it reads the subtree's villages ×
/// months rows, whatever the number of cases, categories or sources.
pub async fn rollups_by_child_month(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
    len: usize,
    from: &str,
    to: &str,
) -> Result<Vec<ChildMonth>> {
    let rows: Vec<KeyedSumRow> = sqlx::query_as(&format!(
        "SELECT SUBSTR(region_code, 1, {len}), month, {SUMS} FROM case_rollups_monthly \
         WHERE region_code >= $1 AND region_code < $2 AND month >= $3 AND month <= $4 \
         GROUP BY SUBSTR(region_code, 1, {len}), month"
    ))
    .bind(lo)
    .bind(hi)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let (prefix, month, counters) = keyed_counters(r);
            ChildMonth {
                prefix,
                month,
                counters,
            }
        })
        .collect())
}

/// A row of two keys and the eleven counters, in the column order of `Counters`.
pub(crate) fn keyed_counters(r: KeyedSumRow) -> (String, String, Counters) {
    (
        r.0,
        r.1,
        Counters {
            created: r.2,
            dispatched: r.3,
            responded_on_time: r.4,
            closed: r.5,
            closed_on_time: r.6,
            handling_ms: r.7,
            rated: r.8,
            satisfied: r.9,
            basic_satisfied: r.10,
            unsatisfied: r.11,
            solved: r.12,
        },
    )
}

/// Cases raised per category at one statistical node (village, township, county, city or
/// province: `node` is its 12-digit code) over months `[from, to]`, most first: one key
/// range of `case_category_months`, at most months × categories rows.
pub async fn top_categories(
    conn: &mut AnyConnection,
    node: &str,
    from: &str,
    to: &str,
    limit: i64,
) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT category, CAST(SUM(created) AS BIGINT) AS n FROM case_category_months \
         WHERE node = $1 AND month >= $2 AND month <= $3 GROUP BY category HAVING SUM(created) > 0 \
         ORDER BY n DESC, category LIMIT $4",
    )
    .bind(node)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Current cases per (child prefix, type, state) in `[lo, hi)`, from the state counts.
/// The counts are kept per village (or the level above where a case has no village), so
/// prefixes longer than a village's do not split them.
pub async fn states_by_child(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
    len: usize,
) -> Result<Vec<(String, String, String, i64)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT SUBSTR(region_code, 1, {len}), type, state, CAST(SUM(n) AS BIGINT) FROM case_state_counts \
         WHERE region_code >= $1 AND region_code < $2 \
         GROUP BY SUBSTR(region_code, 1, {len}), type, state HAVING SUM(n) <> 0"
    ))
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}

/// Open cases per child prefix in `[lo, hi)`, and how many of them are past the current
/// state's deadline at `now_ms`: one range over the subtree's open cases in
/// `cases_open_region` (the index holds every column read).
pub async fn open_by_child(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
    len: usize,
    now_ms: i64,
) -> Result<Vec<(String, i64, i64)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT SUBSTR(region_code, 1, {len}), CAST(COUNT(*) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN state_due_at < $3 THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM cases WHERE terminal = 0 AND region_code >= $1 AND region_code < $2 \
         GROUP BY SUBSTR(region_code, 1, {len})"
    ))
    .bind(lo)
    .bind(hi)
    .bind(now_ms)
    .fetch_all(conn)
    .await?)
}

/// Open cases past their deadline per child prefix: the overdue part of
/// [`open_by_child`] alone, reading only the overdue entries' keys of the index range.
pub async fn overdue_by_child(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
    len: usize,
    now_ms: i64,
) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT SUBSTR(region_code, 1, {len}), CAST(COUNT(*) AS BIGINT) FROM cases \
         WHERE terminal = 0 AND region_code >= $1 AND region_code < $2 AND state_due_at < $3 \
         GROUP BY SUBSTR(region_code, 1, {len})"
    ))
    .bind(lo)
    .bind(hi)
    .bind(now_ms)
    .fetch_all(conn)
    .await?)
}

/// An open case past its deadline, as the dashboard lists it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OverdueRow {
    pub id: i64,
    pub number: String,
    #[sqlx(rename = "type")]
    pub case_type: String,
    pub category: String,
    pub region_code: String,
    pub title: String,
    pub state: String,
    pub state_entered_at: i64,
    pub state_due_at: i64,
    pub supervise_level: Option<String>,
}

/// The `limit` open cases of `[lo, hi)` longest past their deadline. The inner query
/// picks them inside `cases_open_region` (keys only); the outer one reads just those
/// rows. Ordering by `state_due_at + 0` keeps SQLite from walking `cases_open_due` in
/// deadline order instead, which for a village would visit every overdue case of every
/// region before finding ten of its own. For a `wide` subtree (a city, a province), whose
/// cases are most of the open ones, that walk is the fast way: the inner query then reads
/// the deadline index `cases_queue_due` from its oldest entry and stops at `limit`.
pub async fn most_overdue(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
    now_ms: i64,
    limit: i64,
    wide: bool,
) -> Result<Vec<OverdueRow>> {
    let inner = if wide {
        format!(
            "SELECT id FROM {} WHERE terminal = 0 AND COALESCE(state_due_at, 9223372036854775807) < $3 \
             AND region_code >= $1 AND region_code < $2 \
             ORDER BY COALESCE(state_due_at, 9223372036854775807), id LIMIT $4",
            crate::nodes::cases_by_deadline(conn)
        )
    } else {
        "SELECT id FROM cases WHERE terminal = 0 AND region_code >= $1 AND region_code < $2 \
         AND state_due_at < $3 ORDER BY state_due_at + 0, id LIMIT $4"
            .to_string()
    };
    Ok(sqlx::query_as::<_, OverdueRow>(&format!(
        "SELECT id, number, type, category, region_code, title, state, state_entered_at, state_due_at, \
         supervise_level FROM cases WHERE id IN ({inner}) ORDER BY state_due_at, id"
    ))
    .bind(lo)
    .bind(hi)
    .bind(now_ms)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Dispute figures of a subtree for disputes raised in months `[from, to]` (YYYY-MM).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DisputeFigures {
    /// 排查数: disputes registered.
    pub screened: i64,
    /// 化解数: mediated successfully.
    pub resolved: i64,
    /// Mediation ended without agreement.
    pub failed: i64,
    pub civil_to_criminal: i64,
    pub criminal_to_homicide: i64,
}

/// From `dispute_months` (kept by trigger from the dispute files): the subtree's
/// villages × months rows.
pub async fn disputes(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
    from: &str,
    to: &str,
) -> Result<DisputeFigures> {
    let r: (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(screened), 0) AS BIGINT), CAST(COALESCE(SUM(resolved), 0) AS BIGINT), \
         CAST(COALESCE(SUM(failed), 0) AS BIGINT), CAST(COALESCE(SUM(civil_to_criminal), 0) AS BIGINT), \
         CAST(COALESCE(SUM(criminal_to_homicide), 0) AS BIGINT) FROM dispute_months \
         WHERE region_code >= $1 AND region_code < $2 AND month >= $3 AND month <= $4",
    )
    .bind(lo)
    .bind(hi)
    .bind(from)
    .bind(to)
    .fetch_one(conn)
    .await?;
    Ok(DisputeFigures {
        screened: r.0,
        resolved: r.1,
        failed: r.2,
        civil_to_criminal: r.3,
        criminal_to_homicide: r.4,
    })
}

/// Grid and 三长 figures of a subtree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CoverageFigures {
    pub grids: i64,
    /// Grids where someone holds the 网格员 post.
    pub grids_with_worker: i64,
    pub grid_workers_full_time: i64,
    pub grid_workers_part_time: i64,
    pub block_leaders: i64,
    pub group_leaders: i64,
    pub neighbor_leaders: i64,
    pub households: i64,
    /// Households at a 邻 whose 邻长 post is filled (the coverage report's rule).
    pub households_covered: i64,
}

async fn count(conn: &mut AnyConnection, sql: &str, lo: &str, hi: &str) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(sql)
        .bind(lo)
        .bind(hi)
        .fetch_one(conn)
        .await?;
    Ok(n)
}

/// Five small queries, each an index range on the subtree: the grid nodes
/// (`regions` primary key), the posts (`posts_region`), the households
/// (`households_region`), and the households at nodes with a 邻长 — driven from the
/// subtree's 邻长 posts, one `households_region` range per 邻 (each household once, however
/// many 邻长 its 邻 has).
pub async fn coverage(conn: &mut AnyConnection, lo: &str, hi: &str) -> Result<CoverageFigures> {
    let mut c = CoverageFigures {
        grids: count(
            conn,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM regions WHERE code >= $1 AND code < $2 AND level = 'grid'",
            lo,
            hi,
        )
        .await?,
        households: count(
            conn,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM households WHERE region_code >= $1 AND region_code < $2",
            lo,
            hi,
        )
        .await?,
        households_covered: count(
            conn,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM households WHERE region_code IN (SELECT DISTINCT region_code \
             FROM posts WHERE region_code >= $1 AND region_code < $2 AND post = 'neighbor_leader')",
            lo,
            hi,
        )
        .await?,
        ..Default::default()
    };
    let per_post: Vec<(String, Option<String>, i64)> = sqlx::query_as(
        "SELECT post, employment, CAST(COUNT(*) AS BIGINT) FROM posts \
         WHERE region_code >= $1 AND region_code < $2 GROUP BY post, employment",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(&mut *conn)
    .await?;
    for (post, employment, n) in per_post {
        match (post.as_str(), employment.as_deref()) {
            ("grid_worker", Some("part_time")) => c.grid_workers_part_time += n,
            ("grid_worker", _) => c.grid_workers_full_time += n,
            ("block_leader", _) => c.block_leaders += n,
            ("group_leader", _) => c.group_leaders += n,
            ("neighbor_leader", _) => c.neighbor_leaders += n,
            _ => {}
        }
    }
    c.grids_with_worker = count(
        conn,
        "SELECT CAST(COUNT(DISTINCT region_code) AS BIGINT) FROM posts \
         WHERE region_code >= $1 AND region_code < $2 AND post = 'grid_worker'",
        lo,
        hi,
    )
    .await?;
    Ok(c)
}

/// Patrols started in `[from_ms, to_ms)` in a subtree (`patrols_grid`), and the plans
/// (every how many days, since when) that say how many were due.
pub async fn patrols(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<(i64, Vec<(i64, i64)>)> {
    let (done,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM patrols WHERE grid_code >= $1 AND grid_code < $2 \
         AND started_at >= $3 AND started_at < $4",
    )
    .bind(lo)
    .bind(hi)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_one(&mut *conn)
    .await?;
    let plans: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT every_days, created_at FROM patrol_plans WHERE grid_code >= $1 AND grid_code < $2",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?;
    Ok((done, plans))
}

/// A grid of the map: its stored boundary (GeoJSON geometry) and name.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MapGridRow {
    pub code: String,
    pub name: String,
    pub boundary: String,
}

/// The grids of `[lo, hi)` that have a boundary, with their names; at most `limit`.
pub async fn map_grids(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
    limit: i64,
) -> Result<Vec<MapGridRow>> {
    Ok(sqlx::query_as::<_, MapGridRow>(
        "SELECT g.code, r.name, g.boundary FROM grids g JOIN regions r ON r.code = g.code \
         WHERE g.code >= $1 AND g.code < $2 ORDER BY g.code LIMIT $3",
    )
    .bind(lo)
    .bind(hi)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Regions of a subtree at one level (by code), with their names.
pub async fn regions_at_level(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
    level: &str,
) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT code, name FROM regions WHERE code >= $1 AND code < $2 AND level = $3 ORDER BY code",
    )
    .bind(lo)
    .bind(hi)
    .bind(level)
    .fetch_all(conn)
    .await?)
}
