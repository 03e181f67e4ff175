//! 成绩单: the figures a county reports each year — disputes found and resolved, grids
//! and grid workers, 三长 coverage, patrols, cases by channel and the three rates — each
//! with its definition, numerator and denominator so a reader can check it; as JSON and
//! as an Excel workbook with the same numbers.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wangge_core::date::Date;
use wangge_core::rates::{compute, Counters, Rate};
use wangge_core::region::{Level, RegionCode};
use wangge_core::role::Permission;
use wangge_store::{case_stats, dashboard as q};

use crate::access::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::routes::dashboard::{
    add, coverage, mediation, path, rate, region_ref, year_start_ms, RegionRef, Today,
};
use crate::views::rfc3339;
use crate::AppState;

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ScorecardQuery {
    /// Region subtree (must lie in the caller's scope), county, township or village.
    pub region: String,
    /// Year, e.g. 2026 (default: this year; this year runs to today).
    pub year: Option<String>,
}

/// One reported figure.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoreItem {
    /// Stable key, e.g. `disputes.success_rate`.
    pub key: String,
    pub name: String,
    /// The figure; a fraction (0–1) when `unit` is `%`; absent when it cannot be
    /// computed (a rate without any denominator).
    pub value: Option<f64>,
    /// 件, 个, 人, 户, 次 or %.
    pub unit: String,
    /// For rates: what is counted above and below the line.
    pub numerator: Option<f64>,
    pub denominator: Option<i64>,
    /// How the figure is computed, in words.
    pub definition: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoreSection {
    pub key: String,
    pub name: String,
    pub items: Vec<ScoreItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScorecardView {
    pub region: RegionRef,
    /// From the caller's widest visible ancestor down to the region (breadcrumb).
    pub path: Vec<RegionRef>,
    pub year: i32,
    /// First and last day counted (YYYY-MM-DD); this year ends today.
    pub from: String,
    pub to: String,
    pub as_of: String,
    pub sections: Vec<ScoreSection>,
}

fn count(key: &str, name: &str, n: i64, unit: &str, definition: &str) -> ScoreItem {
    ScoreItem {
        key: key.into(),
        name: name.into(),
        value: Some(n as f64),
        unit: unit.into(),
        numerator: None,
        denominator: None,
        definition: definition.into(),
    }
}

fn ratio(key: &str, name: &str, r: &Rate, definition: &str) -> ScoreItem {
    ScoreItem {
        key: key.into(),
        name: name.into(),
        value: r.value,
        unit: "%".into(),
        numerator: Some(r.numerator),
        denominator: Some(r.denominator),
        definition: definition.into(),
    }
}

fn section(key: &str, name: &str, items: Vec<ScoreItem>) -> ScoreSection {
    ScoreSection {
        key: key.into(),
        name: name.into(),
        items,
    }
}

async fn build(
    state: &AppState,
    caller: &Caller,
    query: &ScorecardQuery,
) -> ApiResult<ScorecardView> {
    let region = RegionCode::parse("region", &query.region)?;
    caller.authorize(Permission::ReadStats, region.as_str())?;
    if region.level() > Level::Village {
        return Err(ApiError::field(
            "region",
            "below_village",
            "成绩单统计到村（社区）一级",
        ));
    }
    let now = state.clock.now_ms();
    let today = Today::at(now);
    let year = match &query.year {
        None => today.date.year,
        Some(y) => match y.trim().parse::<i32>() {
            Ok(y) if (2000..=today.date.year).contains(&y) => y,
            _ => {
                return Err(ApiError::field(
                    "year",
                    "invalid_year",
                    format!("年份应为2000至{}之间的四位数字", today.date.year),
                ))
            }
        },
    };
    let current = year == today.date.year;
    let first = Date::new(year, 1, 1).ok_or_else(|| ApiError::internal("year start"))?;
    let last = if current {
        today.date
    } else {
        Date::new(year, 12, 31).ok_or_else(|| ApiError::internal("year end"))?
    };
    let (from_month, to_month) = (
        format!("{year:04}-01"),
        if current {
            today.month.clone()
        } else {
            format!("{year:04}-12")
        },
    );
    let start_ms = year_start_ms(year);
    let end_ms = (last.to_days() + 1) * DAY_MS - 8 * 3_600_000;
    let (lo, hi) = region.subtree_range();
    let mut conn = state.store.read().await?;
    let me = region_ref(&mut conn, &region).await?;
    let path = path(&mut conn, caller, &region, &me).await?;

    let d = mediation(q::disputes(&mut conn, &lo, &hi, &from_month, &to_month).await?);
    let c = coverage(state.coverage.get(&mut conn, &lo, &hi).await?);
    let (done, plans) = q::patrols(&mut conn, &lo, &hi, start_ms, end_ms).await?;
    // A plan is due from the day it was made (or the year's first day).
    let planned: i64 = plans
        .iter()
        .filter(|(every, _)| *every > 0)
        .map(|(every, created)| {
            let since = Date::from_unix_millis_cst(*created)
                .to_days()
                .max(first.to_days());
            let days = (last.to_days() - since + 1).max(0);
            (days + every - 1) / every
        })
        .sum();
    let mut patrol_rate = rate(done as f64, planned);
    patrol_rate.value = patrol_rate.value.map(|v| v.min(1.0));
    let mut counters = Counters::default();
    for r in q::rollups_by_child_month(&mut conn, &lo, &hi, 2, &from_month, &to_month).await? {
        add(&mut counters, &r.counters);
    }
    let by_source =
        case_stats::created_by(&mut conn, "source", &lo, &hi, &from_month, &to_month).await?;
    drop(conn);
    let rates = compute(&counters, &state.cases.weights);
    let k = rates.basic_satisfied_weight;

    let disputes = section(
        "disputes",
        "矛盾纠纷排查化解",
        vec![
            count(
                "disputes.screened",
                "排查矛盾纠纷",
                d.screened,
                "件",
                "本年登记的矛盾纠纷件数（按登记日期计）",
            ),
            count(
                "disputes.resolved",
                "化解（调解成功）",
                d.resolved,
                "件",
                "本年登记的矛盾纠纷中，调解成功的件数",
            ),
            count(
                "disputes.failed",
                "调解不成",
                d.failed,
                "件",
                "本年登记的矛盾纠纷中，调解终结未达成协议的件数",
            ),
            ratio(
                "disputes.success_rate",
                "调解成功率",
                &d.success_rate,
                "化解件数 ÷（化解件数 + 调解不成件数）；仍在调解中的不计入",
            ),
            count(
                "disputes.civil_to_criminal",
                "民转刑",
                d.civil_to_criminal,
                "件",
                "本年登记的矛盾纠纷中，记录为民转刑的件数",
            ),
            count(
                "disputes.criminal_to_homicide",
                "刑转命",
                d.criminal_to_homicide,
                "件",
                "本年登记的矛盾纠纷中，记录为刑转命的件数",
            ),
        ],
    );
    let grids = section(
        "grids",
        "网格与网格员",
        vec![
            count(
                "grids.count",
                "网格数",
                c.grids,
                "个",
                "区域内的网格数（截至导出时）",
            ),
            count(
                "grids.with_worker",
                "已配网格员的网格",
                c.grids_with_worker,
                "个",
                "有人担任网格员的网格数",
            ),
            ratio(
                "grids.worker_rate",
                "网格员配备率",
                &c.grid_worker_rate,
                "已配网格员的网格数 ÷ 网格数",
            ),
            count(
                "grid_workers.full_time",
                "专职网格员",
                c.grid_workers_full_time,
                "人",
                "登记为专职的网格员人数",
            ),
            count(
                "grid_workers.part_time",
                "兼职网格员",
                c.grid_workers_part_time,
                "人",
                "登记为兼职的网格员人数",
            ),
        ],
    );
    let chain = section(
        "three_leaders",
        "三长联系户",
        vec![
            count(
                "three_leaders.block",
                "片长",
                c.block_leaders,
                "人",
                "在岗片长人数",
            ),
            count(
                "three_leaders.group",
                "组长",
                c.group_leaders,
                "人",
                "在岗组长人数",
            ),
            count(
                "three_leaders.neighbor",
                "邻长",
                c.neighbor_leaders,
                "人",
                "在岗邻长人数",
            ),
            count(
                "households.count",
                "户数",
                c.households,
                "户",
                "区域内登记的户数（截至导出时）",
            ),
            count(
                "households.covered",
                "三长联系户",
                c.households_covered,
                "户",
                "所在的邻已有邻长的户数（邻长上连组长、片长）",
            ),
            ratio(
                "households.coverage_rate",
                "三长联系户覆盖率",
                &c.household_rate,
                "三长联系户 ÷ 户数",
            ),
        ],
    );
    let patrols = section(
        "patrols",
        "网格巡查",
        vec![
            count(
                "patrols.planned",
                "应巡查",
                planned,
                "次",
                "各巡查计划在统计期内应巡查次数之和（每个计划：自建立之日或统计期首日起的天数 ÷ 间隔天数，向上取整）",
            ),
            count("patrols.done", "已巡查", done, "次", "统计期内开始的巡查记录数"),
            ratio("patrols.completion_rate", "巡查完成率", &patrol_rate, "已巡查 ÷ 应巡查；超过100%按100%计"),
        ],
    );
    let mut case_items = vec![count(
        "cases.created",
        "受理事件",
        counters.created,
        "件",
        "统计期内受理（登记）的事件件数，含各渠道",
    )];
    for s in &state.cases.catalogue.sources {
        let n = by_source
            .iter()
            .find(|(k, _)| *k == s.id)
            .map_or(0, |(_, n)| *n);
        case_items.push(count(
            &format!("cases.source.{}", s.id),
            &format!("其中：{}", s.name),
            n,
            "件",
            &format!("统计期内经“{}”渠道受理的事件件数", s.name),
        ));
    }
    case_items.push(count(
        "cases.closed",
        "已办结",
        counters.closed,
        "件",
        "统计期内受理的事件中，截至导出时已办结的件数",
    ));
    case_items.push(ratio(
        "cases.closure_rate",
        "办结率",
        &rate(counters.closed as f64, counters.created),
        "已办结 ÷ 受理事件",
    ));
    let cases = section("cases", "事件受理与办结", case_items);
    let trio = section(
        "rates",
        "接诉即办三率",
        vec![
            ratio(
                "rates.response",
                "响应率",
                &rates.response_rate,
                "在时限内签收（响应）的派单数 ÷ 派单数",
            ),
            ratio(
                "rates.resolution",
                "解决率",
                &rates.resolution_rate,
                "回访评价为已解决的件数 ÷ 已回访评价件数",
            ),
            ratio(
                "rates.satisfaction",
                "满意率",
                &rates.satisfaction_rate,
                &format!("（满意件数 + {k} × 基本满意件数）÷ 已回访评价件数"),
            ),
            ratio(
                "rates.on_time",
                "按时办结率",
                &rates.on_time_rate,
                "在时限内办结的件数 ÷ 已办结件数",
            ),
            ScoreItem {
                key: "rates.score".into(),
                name: "三率综合得分".into(),
                value: rates.score,
                unit: "%".into(),
                numerator: None,
                denominator: None,
                definition: format!(
                    "{:.0}% × 响应率 + {:.0}% × 解决率 + {:.0}% × 满意率（权重按本县配置）",
                    state.cases.weights.response * 100.0,
                    state.cases.weights.resolution * 100.0,
                    state.cases.weights.satisfaction * 100.0
                ),
            },
        ],
    );
    Ok(ScorecardView {
        region: me,
        path,
        year,
        from: first.to_string(),
        to: last.to_string(),
        as_of: rfc3339(now),
        sections: vec![disputes, grids, chain, patrols, cases, trio],
    })
}

/// 年度成绩单：矛盾纠纷排查化解与调解成功率、网格与专兼职网格员、三长联系户、巡查完成率、
/// 各渠道受理、办结率与三率；每项附口径（分子、分母）。
#[utoipa::path(get, path = "/api/v1/scorecard", tag = "stats", params(ScorecardQuery),
    responses((status = 200, body = ScorecardView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn scorecard(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ScorecardQuery>,
) -> ApiResult<Json<ScorecardView>> {
    Ok(Json(build(&state, &caller, &query).await?))
}

/// The sheet name and its columns.
pub const SHEET: &str = "成绩单";
pub const HEADERS: [&str; 7] = ["类别", "项目", "数值", "单位", "分子", "分母", "口径说明"];
/// Rows above the header: title, period, blank.
pub const HEADER_ROW: u32 = 3;

fn xlsx(v: &ScorecardView) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin);
    let percent = Format::new().set_num_format("0.00%");
    let number = Format::new().set_num_format("#,##0.##");
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let sheet = book.add_worksheet();
    sheet.set_name(SHEET)?;
    sheet.write_string_with_format(
        0,
        0,
        format!("{} {}年度成绩单", v.region.name, v.year),
        &title,
    )?;
    sheet.write_string(
        1,
        0,
        format!(
            "统计期：{} 至 {}；区划代码 {}；导出时间 {}",
            v.from, v.to, v.region.code, v.as_of
        ),
    )?;
    for (j, (h, width)) in HEADERS
        .iter()
        .zip([16.0, 24.0, 12.0, 6.0, 10.0, 10.0, 60.0])
        .enumerate()
    {
        let col = j as u16;
        sheet.write_string_with_format(HEADER_ROW, col, *h, &bold)?;
        sheet.set_column_width(col, width)?;
    }
    sheet.set_freeze_panes(HEADER_ROW + 1, 0)?;
    let mut r = HEADER_ROW + 1;
    for s in &v.sections {
        for it in &s.items {
            sheet.write_string(r, 0, &s.name)?;
            sheet.write_string(r, 1, &it.name)?;
            match (it.value, it.unit.as_str()) {
                (Some(x), "%") => {
                    sheet.write_number_with_format(r, 2, x, &percent)?;
                }
                (Some(x), _) => {
                    sheet.write_number_with_format(r, 2, x, &number)?;
                }
                (None, _) => {
                    sheet.write_string(r, 2, "—")?;
                }
            }
            sheet.write_string(r, 3, &it.unit)?;
            if let Some(n) = it.numerator {
                sheet.write_number_with_format(r, 4, n, &number)?;
            }
            if let Some(d) = it.denominator {
                sheet.write_number(r, 5, d as f64)?;
            }
            sheet.write_string_with_format(r, 6, &it.definition, &wrap)?;
            r += 1;
        }
    }
    book.save_to_buffer()
}

/// 年度成绩单（Excel），与 JSON 版数字相同。
#[utoipa::path(get, path = "/api/v1/scorecard.xlsx", tag = "stats", params(ScorecardQuery),
    responses((status = 200, description = "XLSX"), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn scorecard_xlsx(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ScorecardQuery>,
) -> ApiResult<Response> {
    let v = build(&state, &caller, &query).await?;
    let bytes = xlsx(&v).map_err(ApiError::internal)?;
    // ASCII fallback name plus the UTF-8 one (RFC 6266) for browsers that read it.
    let ascii = format!("scorecard-{}-{}.xlsx", v.region.code, v.year);
    let utf8 = format!("{}{}年度成绩单.xlsx", v.region.name, v.year);
    let encoded: String = utf8
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response())
}
