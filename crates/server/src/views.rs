//! Shared response shapes and paging.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const MAX_PER_PAGE: i64 = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// 1-based page number.
    pub page: Option<i64>,
    /// Items per page (1–100, default 20).
    pub per_page: Option<i64>,
}

impl PageQuery {
    pub fn limit_offset(page: Option<i64>, per_page: Option<i64>) -> (i64, i64) {
        let per = per_page.unwrap_or(20).clamp(1, MAX_PER_PAGE);
        let page = page.unwrap_or(1).max(1);
        (per, (page - 1).saturating_mul(per))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// Matching records. Lists that cap their count (cases: 10,000) report the cap + 1
    /// when there are more (show it as "10000+").
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Milliseconds since the epoch as RFC 3339 in China Standard Time.
pub fn rfc3339(ms: i64) -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(|t| t.to_offset(offset))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
