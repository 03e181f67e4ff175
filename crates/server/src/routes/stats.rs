//! Dashboard figures from the rollups: the 接诉即办 trio with numerators and denominators,
//! on-time rate, average handling time, and counts by category, source and state.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wangge_core::rates::{compute, Counters, Rates};
use wangge_core::region::RegionCode;
use wangge_core::role::Permission;
use wangge_store::case_stats;

use crate::access::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// Region subtree, e.g. 431027000000 (must lie in the caller's scope).
    pub region: String,
    /// One month, YYYY-MM (cases counted by the month they were raised).
    pub month: Option<String>,
    /// Or a range of months: from YYYY-MM …
    pub from: Option<String>,
    /// … to YYYY-MM (inclusive).
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatesView {
    pub region: String,
    pub from: String,
    pub to: String,
    pub rates: Rates,
    pub counters: Counters,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Count {
    pub key: String,
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StateCount {
    #[serde(rename = "type")]
    pub case_type: String,
    pub state: String,
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseStatsView {
    pub region: String,
    pub from: String,
    pub to: String,
    pub created: i64,
    pub by_category: Vec<Count>,
    pub by_source: Vec<Count>,
    /// Cases now in each state (all time, not only the months asked).
    pub by_state: Vec<StateCount>,
}

fn month(field: &str, s: &str) -> ApiResult<String> {
    let ok = s.len() == 7
        && s.as_bytes()[4] == b'-'
        && s[..4].parse::<u32>().is_ok()
        && s[5..].parse::<u32>().is_ok_and(|m| (1..=12).contains(&m));
    if ok {
        Ok(s.to_string())
    } else {
        Err(ApiError::field(
            field,
            "invalid_month",
            "月份格式应为 YYYY-MM",
        ))
    }
}

fn scope(caller: &Caller, q: &StatsQuery) -> ApiResult<(RegionCode, String, String)> {
    let region = RegionCode::parse("region", &q.region)?;
    caller.authorize(Permission::ReadStats, region.as_str())?;
    let (from, to) = match (&q.month, &q.from, &q.to) {
        (Some(m), None, None) => (month("month", m)?, month("month", m)?),
        (None, Some(f), Some(t)) => (month("from", f)?, month("to", t)?),
        _ => {
            return Err(ApiError::field(
                "month",
                "required",
                "请给出 month，或同时给出 from 与 to",
            ))
        }
    };
    Ok((region, from, to))
}

/// 接诉即办“三率”（响应率、解决率、满意率）及按时办结率、平均办理时长，附分子分母。
#[utoipa::path(get, path = "/api/v1/stats/rates", tag = "stats", params(StatsQuery),
    responses((status = 200, body = RatesView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn rates(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Json<RatesView>> {
    let (region, from, to) = scope(&caller, &q)?;
    let (lo, hi) = region.subtree_range();
    let mut conn = state.store.read().await?;
    let counters = case_stats::sum(&mut conn, &lo, &hi, &from, &to).await?;
    Ok(Json(RatesView {
        region: region.to_string(),
        from,
        to,
        rates: compute(&counters, &state.cases.weights),
        counters,
    }))
}

/// 事件数量：按分类、来源、当前状态。
#[utoipa::path(get, path = "/api/v1/stats/cases", tag = "stats", params(StatsQuery),
    responses((status = 200, body = CaseStatsView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn case_counts(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Json<CaseStatsView>> {
    let (region, from, to) = scope(&caller, &q)?;
    let (lo, hi) = region.subtree_range();
    let cfg = &state.cases;
    let mut conn = state.store.read().await?;
    let by_category: Vec<Count> =
        case_stats::created_by(&mut conn, "category", &lo, &hi, &from, &to)
            .await?
            .into_iter()
            .map(|(k, n)| Count {
                name: cfg
                    .catalogue
                    .category(&k)
                    .map(|(_, c)| c.name.clone())
                    .unwrap_or_default(),
                key: k,
                count: n,
            })
            .collect();
    let by_source = case_stats::created_by(&mut conn, "source", &lo, &hi, &from, &to)
        .await?
        .into_iter()
        .map(|(k, n)| Count {
            name: cfg
                .catalogue
                .source(&k)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            key: k,
            count: n,
        })
        .collect();
    let by_state = case_stats::states(&mut conn, &lo, &hi)
        .await?
        .into_iter()
        .map(|(t, s, n)| StateCount {
            name: cfg
                .workflows
                .get(&t)
                .and_then(|w| w.state(&s))
                .map(|x| x.name.clone())
                .unwrap_or_default(),
            case_type: t,
            state: s,
            count: n,
        })
        .collect();
    Ok(Json(CaseStatsView {
        region: region.to_string(),
        from,
        to,
        created: by_category.iter().map(|c| c.count).sum(),
        by_category,
        by_source,
        by_state,
    }))
}
