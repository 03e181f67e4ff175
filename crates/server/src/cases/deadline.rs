//! Deadlines in Unix milliseconds from the working-day calendar, and the handling ladder
//! 村 → 乡镇 → 县 (小事不出村、大事不出镇、矛盾不上交).

use wangge_core::calendar::{Calendar, LocalDateTime, TimeLimit};
use wangge_core::region::{Level, RegionCode};

/// The deadline `limit` after `from_ms`. `None` when the calendar does not cover the dates:
/// the case is still taken (nothing is lost) and the timeline says no deadline was set.
pub fn due_ms(cal: &Calendar, from_ms: i64, limit: TimeLimit) -> Option<i64> {
    match cal.due(LocalDateTime::from_unix_millis_cst(from_ms), limit) {
        Ok(d) => Some(d.to_unix_millis_cst()),
        Err(e) => {
            tracing::warn!(error = %e, "deadline not computed: holiday calendar does not cover the dates");
            None
        }
    }
}

/// The governance centre level that first handles a case in `region`: its village or
/// community, or the region itself when it is a township or above.
pub fn handling_region(region: &RegionCode) -> String {
    match region.level() {
        Level::Village | Level::Grid | Level::Block | Level::Group | Level::Neighbor => {
            region.as_str()[..12].to_string()
        }
        _ => region.to_string(),
    }
}

/// The workflow's name of a handling level (`village`, `township`), if it escalates from it.
pub fn level_name(handling: &str) -> Option<&'static str> {
    match RegionCode::parse("handling_region", handling).ok()?.level() {
        Level::Village => Some("village"),
        Level::Township => Some("township"),
        _ => None,
    }
}

/// One rung up the ladder: village → township → county. `None` at the county or above.
pub fn next_level(handling: &str) -> Option<String> {
    let code = RegionCode::parse("handling_region", handling).ok()?;
    match code.level() {
        Level::Village | Level::Township => code.parent().map(|p| p.to_string()),
        _ => None,
    }
}

/// `YYYY-MM` of a timestamp in China Standard Time (the rollup month).
pub fn month_of(ms: i64) -> String {
    let d = wangge_core::date::Date::from_unix_millis_cst(ms);
    format!("{:04}-{:02}", d.year, d.month)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder() {
        let grid = RegionCode::parse("c", "431027100001001").unwrap();
        assert_eq!(handling_region(&grid), "431027100001");
        assert_eq!(next_level("431027100001").as_deref(), Some("431027100000"));
        assert_eq!(next_level("431027100000").as_deref(), Some("431027000000"));
        assert_eq!(next_level("431027000000"), None);
        assert_eq!(level_name("431027100001"), Some("village"));
        assert_eq!(level_name("431027000000"), None);
        assert_eq!(month_of(1_767_283_200_000), "2026-01");
    }
}
