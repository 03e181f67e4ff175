//! The tables kept by trigger from others (migrations 0009 and 0014), computed again from
//! their sources in one pass each. A bulk load (`wangge gen`) sets the triggers aside while
//! millions of rows go in and calls [`rebuild`] once at the end: a few grouped scans
//! instead of several upserts per row. The statements are the migrations' own back-fills.

use sqlx::{AnyConnection, Executor};

use crate::Result;

/// The triggers that keep the derived tables, by name (SQLite; PostgreSQL names its
/// per-table triggers `*_derive`).
pub const SQLITE_TRIGGERS: &[&str] = &[
    "case_rollups_derive_insert",
    "case_rollups_derive_update",
    "case_rollups_derive_delete",
    "case_node_months_insert",
    "case_node_months_update",
    "case_node_months_delete",
    "case_node_states_insert",
    "case_node_states_update",
    "case_node_states_delete",
    "cases_due_days_insert",
    "cases_due_days_update",
    "cases_due_days_delete",
    "dispute_months_insert",
    "dispute_months_update",
    "dispute_months_delete",
];

const C: &str = "created, dispatched, responded_on_time, closed, closed_on_time, handling_ms, \
                 rated, satisfied, basic_satisfied, unsatisfied, solved";

/// Empties the derived tables and fills them from `case_rollups`, `case_state_counts`,
/// `cases` and `dispute_details`, in dependency order. Call inside a transaction, with the
/// triggers absent (or the sums would count twice).
pub async fn rebuild(conn: &mut AnyConnection) -> Result<()> {
    let sums = |alias: &str| {
        C.split(", ")
            .map(|c| format!("SUM({alias}.{c})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let node = |col: &str| format!("SUBSTR({col}, 1, l.len) || l.pad");
    let on = |col: &str| format!("SUBSTR({col}, l.seg_start, l.len - l.seg_start + 1) <> l.zeros");
    let statements = [
        "DELETE FROM case_rollups_monthly".to_string(),
        format!(
            "INSERT INTO case_rollups_monthly (region_code, month, {C}) \
             SELECT r.region_code, r.month, {} FROM case_rollups r GROUP BY r.region_code, r.month",
            sums("r")
        ),
        "DELETE FROM case_category_months".to_string(),
        // Villages, then every node above (node_levels): each rollup row once per level.
        "INSERT INTO case_category_months (node, month, category, created) \
         SELECT node, month, category, SUM(created) FROM ( \
         SELECT region_code AS node, month, category, created FROM case_rollups \
         WHERE SUBSTR(region_code, 10, 3) <> '000' \
         UNION ALL \
         SELECT SUBSTR(r.region_code, 1, l.len) || l.pad AS node, r.month, r.category, r.created \
         FROM case_rollups r JOIN node_levels l \
         ON SUBSTR(r.region_code, l.seg_start, l.len - l.seg_start + 1) <> l.zeros \
         ) AS levels GROUP BY node, month, category HAVING SUM(created) <> 0"
            .to_string(),
        "DELETE FROM case_node_months".to_string(),
        format!(
            "INSERT INTO case_node_months (level, node, month, {C}) \
             SELECT l.level, {n}, m.month, {s} FROM case_rollups_monthly m JOIN node_levels l ON {o} \
             GROUP BY l.level, {n}, m.month",
            n = node("m.region_code"),
            s = sums("m"),
            o = on("m.region_code")
        ),
        "DELETE FROM case_node_states".to_string(),
        format!(
            "INSERT INTO case_node_states (level, node, type, state, n) \
             SELECT l.level, {n}, s.type, s.state, SUM(s.n) FROM case_state_counts s \
             JOIN node_levels l ON {o} GROUP BY l.level, {n}, s.type, s.state HAVING SUM(s.n) <> 0",
            n = node("s.region_code"),
            o = on("s.region_code")
        ),
        "DELETE FROM case_node_due_days".to_string(),
        format!(
            "INSERT INTO case_node_due_days (level, node, day, n) \
             SELECT l.level, {n}, c.state_due_at / 86400000, COUNT(*) FROM cases c \
             JOIN node_levels l ON {o} WHERE c.terminal = 0 AND c.state_due_at IS NOT NULL \
             GROUP BY l.level, {n}, c.state_due_at / 86400000",
            n = node("c.region_code"),
            o = on("c.region_code")
        ),
        "DELETE FROM dispute_months".to_string(),
        "INSERT INTO dispute_months (region_code, month, screened, resolved, failed, civil_to_criminal, \
         criminal_to_homicide) SELECT c.rollup_region, c.month, COUNT(*), \
         SUM(CASE WHEN d.outcome = 'success' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN d.outcome = 'failure' THEN 1 ELSE 0 END), SUM(d.civil_to_criminal), \
         SUM(d.criminal_to_homicide) FROM dispute_details d JOIN cases c ON c.id = d.case_id \
         GROUP BY c.rollup_region, c.month"
            .to_string(),
    ];
    for s in statements {
        conn.execute(s.as_str()).await?;
    }
    Ok(())
}
