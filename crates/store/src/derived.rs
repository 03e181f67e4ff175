//! The case tables kept by trigger from others (migrations 0009 and 0014), computed again
//! from their sources in one pass each. A bulk load (`wangge gen`) sets the triggers aside
//! while millions of rows go in and calls [`rebuild`] once at the end: a few grouped scans
//! instead of several upserts per row. They compute what the migrations' back-fills do.
//! (`dispute_months` keeps its trigger during a load: it reads the dispute's case row,
//! which is in memory while the case is written and far away on disk afterwards.)

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
];

/// Levels of a 12-digit code and the length of their significant prefix, deepest first.
const LEVELS: [(&str, usize); 5] = [
    ("village", 12),
    ("township", 9),
    ("county", 6),
    ("city", 4),
    ("province", 2),
];

/// SQL: `col` is a code exactly at the level whose prefix has length `len` (its own digits
/// not all zero, every deeper digit zero).
fn exactly_at(col: &str, len: usize) -> String {
    let above = LEVELS.iter().map(|l| l.1).find(|&l| l < len).unwrap_or(0);
    let own = format!(
        "SUBSTR({col}, {}, {}) <> '{}'",
        above + 1,
        len - above,
        "0".repeat(len - above)
    );
    if len == 12 {
        own
    } else {
        format!(
            "{own} AND SUBSTR({col}, {}, {}) = '{}'",
            len + 1,
            12 - len,
            "0".repeat(12 - len)
        )
    }
}

const C: &str = "created, dispatched, responded_on_time, closed, closed_on_time, handling_ms, \
                 rated, satisfied, basic_satisfied, unsatisfied, solved";

/// Empties the derived case tables and fills them from `case_rollups`,
/// `case_state_counts` and `cases`, in dependency order. Call inside a transaction, with the
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
        // Villages from the rollups, in their key order (no sort) …
        "INSERT INTO case_category_months (node, month, category, created) \
         SELECT region_code, month, category, SUM(created) FROM case_rollups \
         WHERE SUBSTR(region_code, 10, 3) <> '000' GROUP BY region_code, month, category \
         HAVING SUM(created) <> 0"
            .to_string(),
    ];
    for s in statements {
        conn.execute(s.as_str()).await?;
    }
    // … then each level from the one below it plus the rollups raised at that level
    // itself: each step sorts the rows of one level, not every rollup five times.
    for w in LEVELS.windows(2) {
        let ((_, below_len), (_, len)) = (w[0], w[1]);
        let pad = "0".repeat(12 - len);
        conn.execute(
            format!(
                "INSERT INTO case_category_months (node, month, category, created) \
                 SELECT node, month, category, SUM(created) FROM ( \
                 SELECT SUBSTR(node, 1, {len}) || '{pad}' AS node, month, category, created \
                 FROM case_category_months WHERE {at_below} \
                 UNION ALL \
                 SELECT SUBSTR(region_code, 1, {len}) || '{pad}', month, category, created \
                 FROM case_rollups WHERE {at} \
                 ) AS levels GROUP BY node, month, category HAVING SUM(created) <> 0",
                at_below = exactly_at("node", below_len),
                at = exactly_at("region_code", len),
            )
            .as_str(),
        )
        .await?;
    }
    let statements = [
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
    ];
    for s in statements {
        conn.execute(s.as_str()).await?;
    }
    Ok(())
}
