//! The leaders' dashboard and map: one region subtree's figures for this month and year,
//! a 12-month trend, the three rates, the cases longest overdue, mediation and 三长
//! coverage, and the children regions for drill-down; and the grids of a county or
//! smaller with their open cases, for drawing the map.
//!
//! Everything is read from the monthly rollups, the current-state counts and small index
//! ranges (see `wangge_store::dashboard`): the cost depends on the number of regions and
//! months in the subtree, never on the number of cases.
//!
//! Definitions, as the page states them: cases are counted in the month they were raised
//! (a case raised in March and closed in April counts as March's, closed), as the rates
//! endpoint does; "open" is every case not in a terminal state (the operator queue's
//! 未办结); "overdue" an open case past its current state's time limit (红牌).

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wangge_core::date::Date;
use wangge_core::geo::{Boundary, Point};
use wangge_core::rates::{compute, Counters, Rate, Rates};
use wangge_core::region::{Level, RegionCode};
use wangge_core::role::Permission;
use wangge_core::workflow::{card, Card};
use wangge_store::{dashboard as q, nodes, regions, AnyConnection, StoreError};

use crate::access::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::routes::stats::Count;
use crate::views::rfc3339;
use crate::AppState;

const HOUR_MS: i64 = 3_600_000;
const CST_MS: i64 = 8 * HOUR_MS;

/// Cases listed as longest overdue.
const OVERDUE_LIST: i64 = 10;
/// Categories listed.
const TOP_CATEGORIES: i64 = 8;
/// Most grids one map answer draws (a county has hundreds).
pub const MAX_MAP_GRIDS: i64 = 3000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    /// Region subtree, e.g. 431027000000 (must lie in the caller's scope).
    pub region: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegionRef {
    pub code: String,
    pub name: String,
    pub level: Level,
    /// 县, 乡镇/街道, 村/社区, 网格 …
    pub level_name: String,
}

/// Cases raised in a period and, of those, closed so far.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct PeriodCounts {
    /// First month, YYYY-MM.
    pub from: String,
    /// Last month, YYYY-MM (inclusive).
    pub to: String,
    pub created: i64,
    /// Of the cases raised in the period, how many are closed (办结) by now.
    pub closed: i64,
    pub closed_on_time: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthPoint {
    pub month: String,
    pub created: i64,
    pub closed: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverdueCase {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub category: String,
    pub category_name: String,
    pub region_code: String,
    pub region_name: String,
    pub state: String,
    pub state_name: String,
    /// The current state's deadline (RFC 3339, China time).
    pub due_at: String,
    /// Hours past the deadline.
    pub overdue_hours: f64,
    /// 红牌 once past the deadline (黄牌 before it).
    pub card: Card,
    /// 督办 level when a leader or dispatcher supervised it: yellow (黄牌督办) or red (红牌督办).
    pub supervise_level: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MediationFigures {
    /// 排查数: disputes registered this year.
    pub screened: i64,
    /// 化解数: of those, mediated successfully.
    pub resolved: i64,
    /// Mediation ended without agreement.
    pub failed: i64,
    /// 调解成功率 = 化解数 / (化解数 + 调解不成数), as the dispute statistics compute it.
    pub success_rate: Rate,
    pub civil_to_criminal: i64,
    pub criminal_to_homicide: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoverageFigures {
    pub grids: i64,
    /// Grids where the 网格员 post is filled.
    pub grids_with_worker: i64,
    /// grids_with_worker / grids.
    pub grid_worker_rate: Rate,
    pub grid_workers_full_time: i64,
    pub grid_workers_part_time: i64,
    pub block_leaders: i64,
    pub group_leaders: i64,
    pub neighbor_leaders: i64,
    pub households: i64,
    /// Households at a 邻 whose 邻长 post is filled (each 邻 lies under its 组长 and 片长).
    pub households_covered: i64,
    /// households_covered / households.
    pub household_rate: Rate,
}

/// A child region's headline figures, for drill-down.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChildFigures {
    pub code: String,
    pub name: String,
    pub level: Level,
    /// Raised this year (absent below a village: the rollups stop at villages).
    pub created: Option<i64>,
    /// Of those, closed by now.
    pub closed: Option<i64>,
    pub open: i64,
    pub overdue: i64,
}

/// Figures of cases raised at this region's own level, not in any child (e.g. at the
/// county itself). Present only when there are any.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DirectFigures {
    pub created: Option<i64>,
    pub closed: Option<i64>,
    pub open: i64,
    pub overdue: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardView {
    pub region: RegionRef,
    /// From the caller's widest visible ancestor down to the region itself (breadcrumb).
    pub path: Vec<RegionRef>,
    /// When the figures were read (RFC 3339).
    pub as_of: String,
    pub this_month: PeriodCounts,
    /// January to this month.
    pub this_year: PeriodCounts,
    /// Open (not terminal) now.
    pub open: i64,
    /// Open and past the current state's deadline now (红牌).
    pub overdue: i64,
    /// The last 12 months, oldest first.
    pub trend: Vec<MonthPoint>,
    /// This year's counters and the rates as `/api/v1/stats/rates` computes them.
    pub counters: Counters,
    pub rates: Rates,
    /// 办结率 = closed / created, of this year's cases.
    pub closure_rate: Rate,
    /// This year's most frequent categories.
    pub top_categories: Vec<Count>,
    /// The open cases longest past their deadline (up to 10); absent for roles that may
    /// not read cases.
    pub overdue_cases: Option<Vec<OverdueCase>>,
    pub mediation: MediationFigures,
    pub coverage: CoverageFigures,
    /// The level of `children` (absent below a grid).
    pub children_level: Option<Level>,
    pub children: Vec<ChildFigures>,
    pub direct: Option<DirectFigures>,
}

/// The current month and year in China time.
pub(crate) struct Today {
    pub date: Date,
    pub month: String,
    pub year_from: String,
}

impl Today {
    pub fn at(now_ms: i64) -> Self {
        let date = Date::from_unix_millis_cst(now_ms);
        Today {
            month: format!("{:04}-{:02}", date.year, date.month),
            year_from: format!("{:04}-01", date.year),
            date,
        }
    }
}

/// `YYYY-MM` shifted by `delta` months.
fn shift_month(year: i32, month: u8, delta: i32) -> String {
    let idx = year * 12 + i32::from(month) - 1 + delta;
    format!("{:04}-{:02}", idx.div_euclid(12), idx.rem_euclid(12) + 1)
}

/// Start of a year's 1 January in China time, as Unix milliseconds.
pub(crate) fn year_start_ms(year: i32) -> i64 {
    Date::new(year, 1, 1).map_or(0, |d| d.to_days() * 86_400_000 - CST_MS)
}

pub(crate) fn rate(numerator: f64, denominator: i64) -> Rate {
    Rate {
        value: (denominator > 0).then(|| numerator / denominator as f64),
        numerator,
        denominator,
    }
}

pub(crate) fn add(a: &mut Counters, b: &Counters) {
    add_times(a, b, 1);
}

fn sub(a: &mut Counters, b: &Counters) {
    add_times(a, b, -1);
}

/// `a += k × b`, counter by counter.
fn add_times(a: &mut Counters, b: &Counters, k: i64) {
    a.created += k * b.created;
    a.dispatched += k * b.dispatched;
    a.responded_on_time += k * b.responded_on_time;
    a.closed += k * b.closed;
    a.closed_on_time += k * b.closed_on_time;
    a.handling_ms += k * b.handling_ms;
    a.rated += k * b.rated;
    a.satisfied += k * b.satisfied;
    a.basic_satisfied += k * b.basic_satisfied;
    a.unsatisfied += k * b.unsatisfied;
    a.solved += k * b.solved;
}

pub(crate) async fn region_ref(
    conn: &mut AnyConnection,
    code: &RegionCode,
) -> ApiResult<RegionRef> {
    let r = match regions::get(conn, code.as_str()).await {
        Ok(r) => r,
        Err(StoreError::NotFound) => return Err(ApiError::not_found()),
        Err(e) => return Err(e.into()),
    };
    Ok(RegionRef {
        code: r.code,
        name: r.name,
        level: code.level(),
        level_name: code.level().name_zh().to_string(),
    })
}

/// The ancestors the caller may see, widest first, then the region itself.
pub(crate) async fn path(
    conn: &mut AnyConnection,
    caller: &Caller,
    region: &RegionCode,
    me: &RegionRef,
) -> ApiResult<Vec<RegionRef>> {
    let mut up = Vec::new();
    let mut cur = region.parent();
    while let Some(p) = cur {
        if !caller.covers(p.as_str()) {
            break;
        }
        match region_ref(conn, &p).await {
            Ok(r) => up.push(r),
            Err(_) => break,
        }
        cur = p.parent();
    }
    up.reverse();
    up.push(me.clone());
    Ok(up)
}

pub(crate) fn mediation(d: q::DisputeFigures) -> MediationFigures {
    MediationFigures {
        screened: d.screened,
        resolved: d.resolved,
        failed: d.failed,
        success_rate: rate(d.resolved as f64, d.resolved + d.failed),
        civil_to_criminal: d.civil_to_criminal,
        criminal_to_homicide: d.criminal_to_homicide,
    }
}

pub(crate) fn coverage(c: q::CoverageFigures) -> CoverageFigures {
    CoverageFigures {
        grids: c.grids,
        grids_with_worker: c.grids_with_worker,
        grid_worker_rate: rate(c.grids_with_worker as f64, c.grids),
        grid_workers_full_time: c.grid_workers_full_time,
        grid_workers_part_time: c.grid_workers_part_time,
        block_leaders: c.block_leaders,
        group_leaders: c.group_leaders,
        neighbor_leaders: c.neighbor_leaders,
        households: c.households,
        households_covered: c.households_covered,
        household_rate: rate(c.households_covered as f64, c.households),
    }
}

/// Names of categories as the catalogue has them ("一级 · 二级").
pub(crate) fn category_name(state: &AppState, id: &str) -> String {
    state
        .cases
        .catalogue
        .category(id)
        .map(|(p, c)| format!("{} · {}", p.name, c.name))
        .unwrap_or_else(|| id.to_string())
}

fn is_open(state: &AppState, case_type: &str, s: &str) -> bool {
    state
        .cases
        .workflows
        .get(case_type)
        .is_none_or(|w| !w.is_terminal(s))
}

/// Open and overdue cases per child prefix: from the state counts where children are
/// villages or wider, from the open-case index range where they are grids.
async fn open_figures(
    state: &AppState,
    lo: &str,
    hi: &str,
    len: usize,
    now: i64,
) -> ApiResult<(HashMap<String, i64>, HashMap<String, i64>)> {
    let mut conn = state.store.read().await?;
    let mut open: HashMap<String, i64> = HashMap::new();
    let mut overdue: HashMap<String, i64> = HashMap::new();
    if len <= 12 {
        for (p, t, s, n) in q::states_by_child(&mut conn, lo, hi, len).await? {
            if is_open(state, &t, &s) {
                *open.entry(p).or_default() += n;
            }
        }
        overdue.extend(q::overdue_by_child(&mut conn, lo, hi, len, now).await?);
    } else {
        for (p, o, d) in q::open_by_child(&mut conn, lo, hi, len, now).await? {
            open.insert(p.clone(), o);
            overdue.insert(p, d);
        }
    }
    Ok((open, overdue))
}

/// The remainder key: figures of the region not in any child (cases raised at the
/// region's own level). It matches no child's prefix, so the drill-down reports it as
/// `direct`.
const REST: &str = "";

/// A node region's monthly counters as [`q::ChildMonth`] rows keyed by child prefix, plus
/// one [`REST`] row per month for what its children do not hold (so that all rows add up
/// to the region's own node).
async fn node_rollups(
    conn: &mut AnyConnection,
    level: Level,
    child: Level,
    lo: &str,
    hi: &str,
    from: &str,
    to: &str,
) -> ApiResult<Vec<q::ChildMonth>> {
    let own = nodes::months(conn, level.as_str(), lo, hi, from, to).await?;
    let children = nodes::months(conn, child.as_str(), lo, hi, from, to).await?;
    let mut rest: BTreeMap<String, Counters> =
        own.into_iter().map(|r| (r.month, r.counters)).collect();
    let len = child.prefix_len();
    let mut rows = Vec::with_capacity(children.len() + rest.len());
    for r in children {
        sub(rest.entry(r.month.clone()).or_default(), &r.counters);
        rows.push(q::ChildMonth {
            prefix: r.node.get(..len).unwrap_or(&r.node).to_string(),
            month: r.month,
            counters: r.counters,
        });
    }
    rows.extend(
        rest.into_iter()
            .filter(|(_, c)| *c != Counters::default())
            .map(|(month, counters)| q::ChildMonth {
                prefix: REST.to_string(),
                month,
                counters,
            }),
    );
    Ok(rows)
}

/// Open and overdue cases of a node region per child prefix, plus the [`REST`] of each.
async fn node_open_figures(
    state: &AppState,
    region: &RegionCode,
    child: Level,
    now: i64,
) -> ApiResult<(HashMap<String, i64>, HashMap<String, i64>)> {
    let (lo, hi) = region.subtree_range();
    let len = child.prefix_len();
    let mut conn = state.store.read().await?;
    let mut open: HashMap<String, i64> = HashMap::new();
    let mut own_open = 0;
    for (_, t, s, n) in nodes::states(&mut conn, region.level().as_str(), &lo, &hi).await? {
        if is_open(state, &t, &s) {
            own_open += n;
        }
    }
    for (node, t, s, n) in nodes::states(&mut conn, child.as_str(), &lo, &hi).await? {
        if is_open(state, &t, &s) {
            *open
                .entry(node.get(..len).unwrap_or(&node).to_string())
                .or_default() += n;
        }
    }
    let (by_child, own_overdue) = nodes::overdue(
        &mut conn,
        region.level().as_str(),
        region.as_str(),
        child.as_str(),
        &lo,
        &hi,
        len,
        now,
    )
    .await?;
    let mut overdue: HashMap<String, i64> = by_child.into_iter().collect();
    for (map, own) in [(&mut open, own_open), (&mut overdue, own_overdue)] {
        let rest = own - map.values().sum::<i64>();
        if rest != 0 {
            *map.entry(REST.to_string()).or_default() += rest;
        }
    }
    Ok((open, overdue))
}

/// The open cases longest past their deadline, with names for people.
async fn overdue_list(
    state: &AppState,
    lo: &str,
    hi: &str,
    now: i64,
    wide: bool,
) -> ApiResult<Vec<OverdueCase>> {
    let mut conn = state.store.read().await?;
    let rows = q::most_overdue(&mut conn, lo, hi, now, OVERDUE_LIST, wide).await?;
    let mut names: HashMap<String, String> = HashMap::new();
    let mut list = Vec::with_capacity(rows.len());
    for r in rows {
        if !names.contains_key(&r.region_code) {
            let n = regions::get(&mut conn, &r.region_code)
                .await
                .map(|x| x.name)
                .unwrap_or_default();
            names.insert(r.region_code.clone(), n);
        }
        let wf = state.cases.workflows.get(&r.case_type);
        list.push(OverdueCase {
            id: r.id,
            number: r.number,
            title: r.title,
            category_name: category_name(state, &r.category),
            category: r.category,
            region_name: names.get(&r.region_code).cloned().unwrap_or_default(),
            region_code: r.region_code,
            state_name: wf
                .and_then(|w| w.state(&r.state))
                .map(|s| s.name.clone())
                .unwrap_or_else(|| r.state.clone()),
            state: r.state,
            due_at: rfc3339(r.state_due_at),
            overdue_hours: ((now - r.state_due_at) as f64 / HOUR_MS as f64 * 10.0).round() / 10.0,
            card: card(
                r.state_entered_at,
                r.state_due_at,
                now,
                wf.map_or(0.8, |w| w.yellow_at),
            ),
            supervise_level: r.supervise_level,
        });
    }
    Ok(list)
}

/// 领导驾驶舱：本月/本年受理与办结、在办与超期、近12个月走势、三率（附分子分母）、
/// 高发类别、超期事件、矛盾纠纷排查化解、网格与三长覆盖，以及下级区域的头条数字（逐级下钻）。
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "stats", params(DashboardQuery),
    responses((status = 200, body = DashboardView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn dashboard(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<DashboardQuery>,
) -> ApiResult<Json<DashboardView>> {
    let region = RegionCode::parse("region", &query.region)?;
    caller.authorize(Permission::ReadStats, region.as_str())?;
    if region.level() > Level::Village {
        return Err(ApiError::field(
            "region",
            "below_village",
            "统计数字到村（社区）一级；网格的事件请在网格地图或事件队列中查看",
        ));
    }
    let now = state.clock.now_ms();
    let today = Today::at(now);
    let (lo, hi) = region.subtree_range();
    let child_level = region.level().child();
    let child_len = child_level.map(Level::prefix_len);
    // The rollups and state counts stop at villages: children below that are not split.
    let rollup_len = child_len.unwrap_or(region.as_str().len()).min(12);
    let open_len = child_len.unwrap_or(region.as_str().len());
    // A county's, a city's or a province's children are statistical nodes: their figures
    // (and the region's own) come from the node tables, a few rows per child.
    let node_children = match region.level() {
        Level::Province | Level::City | Level::County => child_level,
        _ => None,
    };
    let trend_from = shift_month(today.date.year, today.date.month, -11);
    let from = trend_from.clone().min(today.year_from.clone());
    let (lo, hi, from) = (lo.as_str(), hi.as_str(), from.as_str());
    let store = &state.store;

    // Independent reads, each on its own pooled connection, run side by side.
    let (
        (me, path, children),
        rows,
        top_categories,
        (open_by_prefix, overdue_by_prefix),
        overdue_cases,
        (disputes, cov),
    ) = tokio::try_join!(
        async {
            let mut conn = store.read().await?;
            let me = region_ref(&mut conn, &region).await?;
            let path = path(&mut conn, &caller, &region, &me).await?;
            let children = match child_level {
                Some(l) => q::regions_at_level(&mut conn, lo, hi, l.as_str()).await?,
                None => Vec::new(),
            };
            Ok::<_, ApiError>((me, path, children))
        },
        async {
            let mut conn = store.read().await?;
            Ok::<_, ApiError>(match node_children {
                Some(child) => {
                    node_rollups(&mut conn, region.level(), child, lo, hi, from, &today.month)
                        .await?
                }
                None => {
                    q::rollups_by_child_month(&mut conn, lo, hi, rollup_len, from, &today.month)
                        .await?
                }
            })
        },
        async {
            let mut conn = store.read().await?;
            let rows = q::top_categories(
                &mut conn,
                region.as_str(),
                &today.year_from,
                &today.month,
                TOP_CATEGORIES,
            )
            .await?;
            Ok::<_, ApiError>(
                rows.into_iter()
                    .map(|(k, n)| Count {
                        name: category_name(&state, &k),
                        key: k,
                        count: n,
                    })
                    .collect::<Vec<_>>(),
            )
        },
        async {
            match node_children {
                Some(child) => node_open_figures(&state, &region, child, now).await,
                None => open_figures(&state, lo, hi, open_len, now).await,
            }
        },
        async {
            if caller.role.may(Permission::ReadCases) {
                let wide = region.level() <= Level::City;
                Ok::<_, ApiError>(Some(overdue_list(&state, lo, hi, now, wide).await?))
            } else {
                Ok(None)
            }
        },
        async {
            let mut conn = store.read().await?;
            let d = q::disputes(&mut conn, lo, hi, &today.year_from, &today.month).await?;
            let c = state.coverage.get(&mut conn, lo, hi).await?;
            Ok::<_, ApiError>((d, c))
        },
    )?;

    let mut by_month: BTreeMap<String, Counters> = BTreeMap::new();
    let mut year_by_prefix: HashMap<String, (i64, i64)> = HashMap::new();
    for r in &rows {
        add(by_month.entry(r.month.clone()).or_default(), &r.counters);
        if r.month >= today.year_from {
            let e = year_by_prefix.entry(r.prefix.clone()).or_default();
            e.0 += r.counters.created;
            e.1 += r.counters.closed;
        }
    }
    let mut year = Counters::default();
    for (m, c) in by_month.range(today.year_from.clone()..) {
        if *m <= today.month {
            add(&mut year, c);
        }
    }
    let month = by_month.get(&today.month).copied().unwrap_or_default();
    let trend = (0..12)
        .map(|i| {
            let m = shift_month(today.date.year, today.date.month, i - 11);
            let c = by_month.get(&m).copied().unwrap_or_default();
            MonthPoint {
                month: m,
                created: c.created,
                closed: c.closed,
            }
        })
        .collect();

    let open: i64 = open_by_prefix.values().sum();
    let overdue: i64 = overdue_by_prefix.values().sum();

    let mut child_views = Vec::with_capacity(children.len());
    let mut seen_rollup: Vec<String> = Vec::new();
    let mut seen_open: Vec<String> = Vec::new();
    for (code, name) in children {
        let Ok(c) = RegionCode::parse("code", &code) else {
            continue;
        };
        let key = c.prefix().to_string();
        let split = key.len() <= 12;
        let (created, closed) = year_by_prefix.get(&key).copied().unwrap_or_default();
        child_views.push(ChildFigures {
            level: c.level(),
            created: split.then_some(created),
            closed: split.then_some(closed),
            open: open_by_prefix.get(&key).copied().unwrap_or_default(),
            overdue: overdue_by_prefix.get(&key).copied().unwrap_or_default(),
            code,
            name,
        });
        if split {
            seen_rollup.push(key.clone());
        }
        seen_open.push(key);
    }
    let direct = if child_level.is_some() {
        let rest = |m: &HashMap<String, i64>, seen: &[String]| -> i64 {
            m.iter()
                .filter(|(k, _)| !seen.contains(k))
                .map(|(_, v)| *v)
                .sum()
        };
        let split = child_len.is_some_and(|l| l <= 12);
        let (created, closed) = year_by_prefix
            .iter()
            .filter(|(k, _)| !seen_rollup.contains(k))
            .fold((0, 0), |a, (_, v)| (a.0 + v.0, a.1 + v.1));
        let d = DirectFigures {
            created: split.then_some(created),
            closed: split.then_some(closed),
            open: rest(&open_by_prefix, &seen_open),
            overdue: rest(&overdue_by_prefix, &seen_open),
        };
        let any = d.open + d.overdue + d.created.unwrap_or(0) + d.closed.unwrap_or(0) > 0;
        any.then_some(d)
    } else {
        None
    };

    Ok(Json(DashboardView {
        path,
        region: me,
        as_of: rfc3339(now),
        this_month: PeriodCounts {
            from: today.month.clone(),
            to: today.month.clone(),
            created: month.created,
            closed: month.closed,
            closed_on_time: month.closed_on_time,
        },
        this_year: PeriodCounts {
            from: today.year_from.clone(),
            to: today.month.clone(),
            created: year.created,
            closed: year.closed,
            closed_on_time: year.closed_on_time,
        },
        open,
        overdue,
        trend,
        rates: compute(&year, &state.cases.weights),
        closure_rate: rate(year.closed as f64, year.created),
        counters: year,
        top_categories,
        overdue_cases,
        mediation: mediation(disputes),
        coverage: coverage(cov),
        children_level: child_level,
        children: child_views,
        direct,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MapGrid {
    pub code: String,
    pub name: String,
    /// The village or community the grid belongs to.
    pub village_code: String,
    pub open: i64,
    pub overdue: i64,
    /// Rings of the (simplified) boundary as [lng, lat] pairs; outer rings and holes
    /// alike (draw with the even-odd rule).
    pub rings: Vec<Vec<[f64; 2]>>,
    /// Where to put the label: the boundary's centroid, [lng, lat].
    pub label: [f64; 2],
}

/// A raster tile layer drawn under the grids. The map never requests anything from
/// outside the server unless a county configures one; wangge has no such setting yet,
/// so this is always absent. A county adding one (e.g. 天地图 with its key) sets it
/// here and allows the tile host in the pages' Content-Security-Policy `img-src`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TileLayer {
    /// URL template with {z}, {x}, {y}.
    pub url: String,
    pub attribution: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MapView {
    pub region: RegionRef,
    pub path: Vec<RegionRef>,
    pub as_of: String,
    /// [min_lng, min_lat, max_lng, max_lat] of the grids drawn; absent without any.
    pub bbox: Option<[f64; 4]>,
    pub grids: Vec<MapGrid>,
    /// Grid nodes in the subtree that have no stored boundary (not drawn).
    pub grids_without_boundary: i64,
    /// Open cases of the subtree not on the map: raised at a village or above, or in a
    /// grid without a boundary.
    pub open_not_drawn: i64,
    pub overdue_not_drawn: i64,
    /// The largest open count of a drawn grid (for the colour scale).
    pub max_open: i64,
    /// Optional base layer; see [`TileLayer`].
    pub tiles: Option<TileLayer>,
}

/// Douglas–Peucker on one closed ring, in degrees scaled by cos(lat) for longitude.
fn simplify_ring(ring: &[Point], tolerance: f64, k: f64) -> Vec<[f64; 2]> {
    fn dist(p: Point, a: Point, b: Point, k: f64) -> f64 {
        let (px, py) = (p.lng * k, p.lat);
        let (ax, ay) = (a.lng * k, a.lat);
        let (bx, by) = (b.lng * k, b.lat);
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        if len2 == 0.0 {
            return ((px - ax).powi(2) + (py - ay).powi(2)).sqrt();
        }
        let t = (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0);
        ((px - ax - t * dx).powi(2) + (py - ay - t * dy).powi(2)).sqrt()
    }
    let n = ring.len();
    if n <= 5 {
        return ring.iter().map(|p| round(*p)).collect();
    }
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    // A closed ring's ends coincide: split it at its farthest point from the start.
    let far = (1..n - 1)
        .max_by(|&i, &j| {
            let di = (ring[i].lng - ring[0].lng).powi(2) + (ring[i].lat - ring[0].lat).powi(2);
            let dj = (ring[j].lng - ring[0].lng).powi(2) + (ring[j].lat - ring[0].lat).powi(2);
            di.total_cmp(&dj)
        })
        .unwrap_or(n / 2);
    keep[far] = true;
    let mut stack = vec![(0, far), (far, n - 1)];
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (mut best, mut at) = (0.0, 0);
        for i in a + 1..b {
            let d = dist(ring[i], ring[a], ring[b], k);
            if d > best {
                best = d;
                at = i;
            }
        }
        if best > tolerance {
            keep[at] = true;
            stack.push((a, at));
            stack.push((at, b));
        }
    }
    let out: Vec<[f64; 2]> = ring
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(p, _)| round(*p))
        .collect();
    // A ring needs three distinct corners to be drawn as an area.
    if out.len() < 4 {
        ring.iter().map(|p| round(*p)).collect()
    } else {
        out
    }
}

/// Five decimals: about a metre, enough for a screen.
fn round(p: Point) -> [f64; 2] {
    [(p.lng * 1e5).round() / 1e5, (p.lat * 1e5).round() / 1e5]
}

/// 网格地图数据：县级或以下区域的网格边界（已简化）与各网格在办、超期事件数。
#[utoipa::path(get, path = "/api/v1/dashboard/map", tag = "stats", params(DashboardQuery),
    responses((status = 200, body = MapView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn map(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<DashboardQuery>,
) -> ApiResult<Json<MapView>> {
    let region = RegionCode::parse("region", &query.region)?;
    caller.authorize(Permission::ReadStats, region.as_str())?;
    if region.level() < Level::County {
        return Err(ApiError::field(
            "region",
            "map_too_large",
            "网格地图一次最多显示一个县的网格，请选择县级或以下区域",
        ));
    }
    let now = state.clock.now_ms();
    let (lo, hi) = region.subtree_range();
    let mut conn = state.store.read().await?;
    let me = region_ref(&mut conn, &region).await?;
    let path = path(&mut conn, &caller, &region, &me).await?;
    let rows = q::map_grids(&mut conn, &lo, &hi, MAX_MAP_GRIDS + 1).await?;
    if rows.len() as i64 > MAX_MAP_GRIDS {
        return Err(ApiError::field(
            "region",
            "map_too_large",
            format!("该区域网格超过{MAX_MAP_GRIDS}个，请选择下一级区域查看地图"),
        ));
    }
    let grid_nodes = regions::count_by_level(&mut conn, &lo, &hi)
        .await?
        .into_iter()
        .find(|(l, _)| l == Level::Grid.as_str())
        .map_or(0, |(_, n)| n);
    let mut open: HashMap<String, (i64, i64)> = HashMap::new();
    let grid_len = Level::Grid.prefix_len();
    for (p, o, d) in q::open_by_child(&mut conn, &lo, &hi, grid_len, now).await? {
        open.insert(p, (o, d));
    }
    drop(conn);

    let mut boundaries = Vec::with_capacity(rows.len());
    let (mut min, mut max) = (
        Point::new(f64::INFINITY, f64::INFINITY),
        Point::new(f64::NEG_INFINITY, f64::NEG_INFINITY),
    );
    for r in rows {
        let v: serde_json::Value = serde_json::from_str(&r.boundary).map_err(ApiError::internal)?;
        let b = Boundary::from_geojson_geometry(&v).map_err(ApiError::internal)?;
        let (a, z) = b.bbox();
        min = Point::new(min.lng.min(a.lng), min.lat.min(a.lat));
        max = Point::new(max.lng.max(z.lng), max.lat.max(z.lat));
        boundaries.push((r.code, r.name, b));
    }
    let bbox = (!boundaries.is_empty()).then_some([min.lng, min.lat, max.lng, max.lat]);
    let k = ((min.lat + max.lat) / 2.0)
        .to_radians()
        .cos()
        .abs()
        .max(0.01);
    // About a thousandth of the map's extent: invisible at screen size, and it keeps a
    // county's few hundred grids to a small answer.
    let tolerance = ((max.lng - min.lng) * k).max(max.lat - min.lat).max(0.0) / 1000.0;
    let mut grids = Vec::with_capacity(boundaries.len());
    let mut in_grids = (0, 0);
    for (code, name, b) in boundaries {
        let (o, d) = open.get(&code).copied().unwrap_or_default();
        in_grids.0 += o;
        in_grids.1 += d;
        let rings = b
            .polygons
            .iter()
            .flat_map(|p| std::iter::once(&p.exterior).chain(p.holes.iter()))
            .map(|ring| simplify_ring(ring, tolerance, k))
            .collect();
        let c = b.centroid();
        grids.push(MapGrid {
            village_code: code[..12].to_string(),
            code,
            name,
            open: o,
            overdue: d,
            rings,
            label: round(c),
        });
    }
    let total_open: i64 = open.values().map(|v| v.0).sum();
    let total_overdue: i64 = open.values().map(|v| v.1).sum();
    Ok(Json(MapView {
        region: me,
        path,
        as_of: rfc3339(now),
        bbox,
        max_open: grids.iter().map(|g| g.open).max().unwrap_or(0),
        grids_without_boundary: (grid_nodes - grids.len() as i64).max(0),
        open_not_drawn: total_open - in_grids.0,
        overdue_not_drawn: total_overdue - in_grids.1,
        grids,
        tiles: None,
    }))
}
