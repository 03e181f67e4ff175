//! Patrols (巡查): check-item templates, plans per grid, geotagged patrol logs whose 异常
//! items raise pre-filled cases linked back to the log, and completion rates.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use wangge_core::date::Date;
use wangge_core::region::{Level, RegionCode};
use wangge_core::role::Permission;
use wangge_store::fieldwork::{self, PatrolItemRow, PatrolRow};
use wangge_store::{audit, regions, StoreError};

use crate::access::Caller;
use crate::cases::create::{create_case_from, NewCaseRequest};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::idempotency::{self, RequestKey};
use crate::views::rfc3339;
use crate::AppState;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckItem {
    pub id: String,
    pub name: String,
    /// Case type an 异常 answer raises (default `general`).
    #[serde(rename = "type", default = "general")]
    pub case_type: String,
    /// Second-level category of that case.
    pub category: String,
}

fn general() -> String {
    "general".into()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    pub id: i64,
    pub name: String,
    pub items: Vec<CheckItem>,
}

fn template_view(t: fieldwork::TemplateRow) -> ApiResult<TemplateView> {
    Ok(TemplateView {
        id: t.id,
        name: t.name,
        items: serde_json::from_str(&t.items).map_err(ApiError::internal)?,
    })
}

/// 巡查检查项模板。
#[utoipa::path(get, path = "/api/v1/patrol-templates", tag = "fieldwork",
    responses((status = 200, body = Vec<TemplateView>)), security(("bearer" = []), ("session_cookie" = [])))]
pub async fn templates(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<Json<Vec<TemplateView>>> {
    let mut conn = state.store.read().await?;
    Ok(Json(
        fieldwork::templates(&mut conn)
            .await?
            .into_iter()
            .map(template_view)
            .collect::<ApiResult<_>>()?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTemplate {
    pub name: String,
    pub items: Vec<CheckItem>,
}

/// 新增或更新巡查模板（同名则替换检查项）。
#[utoipa::path(post, path = "/api/v1/patrol-templates", tag = "fieldwork", request_body = NewTemplate,
    responses((status = 201, body = TemplateView), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn save_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewTemplate>,
) -> ApiResult<(StatusCode, Json<TemplateView>)> {
    caller.authorize_role(Permission::ManageGrids)?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(ApiError::field("name", "length", "模板名称须为1至50个字符"));
    }
    if req.items.is_empty() {
        return Err(ApiError::field("items", "required", "至少需要一个检查项"));
    }
    for (i, it) in req.items.iter().enumerate() {
        if state.cases.workflows.get(&it.case_type).is_none() {
            return Err(ApiError::field(
                &format!("items[{i}].type"),
                "unknown_type",
                "未知的事件类型",
            ));
        }
        if state.cases.catalogue.category(&it.category).is_none() {
            return Err(ApiError::field(
                &format!("items[{i}].category"),
                "unknown_category",
                "未知的二级分类",
            ));
        }
        if it.id.trim().is_empty() || it.name.trim().is_empty() {
            return Err(ApiError::field(
                &format!("items[{i}].name"),
                "required",
                "检查项须有 id 和名称",
            ));
        }
    }
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let items = serde_json::to_string(&req.items).map_err(ApiError::internal)?;
    let id = fieldwork::upsert_template(&mut tx, name, &items).await?;
    let region = caller
        .regions
        .first()
        .map(|r| r.to_string())
        .unwrap_or_default();
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "patrol_template.save",
            "patrol_template",
            id,
            &region,
            json!({"name": name}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(TemplateView {
            id,
            name: name.to_string(),
            items: req.items,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    pub grid_code: String,
    pub template_id: i64,
    /// How often the grid is to be patrolled, in days (1 = daily).
    pub every_days: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub id: i64,
    pub grid_code: String,
    pub template_id: i64,
    pub every_days: i64,
}

fn grid(field: &str, s: &str) -> ApiResult<RegionCode> {
    let c = RegionCode::parse(field, s)?;
    if c.level() != Level::Grid {
        return Err(ApiError::field(field, "not_a_grid", "须为网格代码（15位）"));
    }
    Ok(c)
}

/// 为网格设定巡查计划（频次）。
#[utoipa::path(post, path = "/api/v1/patrol-plans", tag = "fieldwork", request_body = NewPlan,
    responses((status = 201, body = PlanView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn add_plan(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewPlan>,
) -> ApiResult<(StatusCode, Json<PlanView>)> {
    let g = grid("grid_code", &req.grid_code)?;
    if !(1..=365).contains(&req.every_days) {
        return Err(ApiError::field(
            "every_days",
            "out_of_range",
            "巡查周期应为1至365天",
        ));
    }
    caller.authorize(Permission::ManageGrids, g.as_str())?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    if let Err(StoreError::NotFound) = regions::get(&mut tx, g.as_str()).await {
        return Err(ApiError::field("grid_code", "region_unknown", "网格不存在"));
    }
    if let Err(StoreError::NotFound) = fieldwork::template(&mut tx, req.template_id).await {
        return Err(ApiError::field(
            "template_id",
            "unknown_template",
            "巡查模板不存在",
        ));
    }
    let id = fieldwork::add_plan(&mut tx, g.as_str(), req.template_id, req.every_days, now).await?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "patrol_plan.create",
            "patrol_plan",
            id,
            g.as_str(),
            json!({"every_days": req.every_days}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(PlanView {
            id,
            grid_code: g.to_string(),
            template_id: req.template_id,
            every_days: req.every_days,
        }),
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemAnswer {
    pub item_id: String,
    /// normal (正常) or abnormal (异常).
    pub result: String,
    pub note: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPatrol {
    pub grid_code: String,
    pub plan_id: Option<i64>,
    pub template_id: i64,
    /// RFC 3339.
    pub started_at: String,
    pub ended_at: String,
    /// Track points [lng, lat, unix milliseconds].
    #[serde(default)]
    pub track: Vec<[f64; 3]>,
    pub items: Vec<ItemAnswer>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemView {
    pub id: i64,
    pub item_id: String,
    pub item_name: String,
    pub result: String,
    pub note: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// The case an 异常 answer raised.
    pub case_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PatrolView {
    pub id: i64,
    pub grid_code: String,
    pub plan_id: Option<i64>,
    pub template_id: i64,
    pub worker_id: i64,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub track_points: usize,
    pub items: Vec<ItemView>,
}

fn time_ms(field: &str, s: &str) -> ApiResult<i64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            ApiError::field(
                field,
                "invalid_time",
                "时间格式应为 RFC 3339，如 2026-03-02T09:00:00+08:00",
            )
        })?;
    Ok((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// 提交一次巡查记录（起止时间、轨迹、各检查项正常/异常）；每个异常项自动生成预填好的事件，并与巡查记录互相关联。
/// 带 `Idempotency-Key` 头重试时返回同一条巡查记录（异常项事件未登记成功的，重试时补登），绝不重复记录。
#[utoipa::path(post, path = "/api/v1/patrols", tag = "fieldwork", request_body = NewPatrol,
    params(("Idempotency-Key" = Option<String>, Header, description = "客户端生成的唯一键；重试时原样带上")),
    responses((status = 201, body = PatrolView),
        (status = 422, description = "输入有误，或该 Idempotency-Key 已用于另一个请求", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(req): ApiJson<NewPatrol>,
) -> ApiResult<(StatusCode, HeaderMap, Json<PatrolView>)> {
    let g = grid("grid_code", &req.grid_code)?;
    caller.authorize(Permission::FieldWork, g.as_str())?;
    let now = state.clock.now_ms();
    let started = time_ms("started_at", &req.started_at)?;
    let ended = time_ms("ended_at", &req.ended_at)?;
    if ended < started {
        return Err(ApiError::field(
            "ended_at",
            "before_start",
            "结束时间早于开始时间",
        ));
    }
    if started > now + 5 * 60_000 {
        return Err(ApiError::field(
            "started_at",
            "in_future",
            "开始时间晚于当前时间",
        ));
    }
    for (i, p) in req.track.iter().enumerate() {
        if !(-180.0..=180.0).contains(&p[0]) || !(-90.0..=90.0).contains(&p[1]) {
            return Err(ApiError::field(
                &format!("track[{i}]"),
                "out_of_range",
                "轨迹点经纬度超出范围",
            ));
        }
    }
    let mut conn = state.store.read().await?;
    let template = match fieldwork::template(&mut conn, req.template_id).await {
        Ok(t) => template_view(t)?,
        Err(StoreError::NotFound) => {
            return Err(ApiError::field(
                "template_id",
                "unknown_template",
                "巡查模板不存在",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(pid) = req.plan_id {
        match fieldwork::plan(&mut conn, pid).await {
            Ok(p) if p.grid_code == g.as_str() => {}
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(ApiError::field(
                    "plan_id",
                    "unknown_plan",
                    "该网格没有这个巡查计划",
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    drop(conn);
    let mut answers = Vec::new();
    for (i, a) in req.items.iter().enumerate() {
        let Some(item) = template.items.iter().find(|t| t.id == a.item_id) else {
            return Err(ApiError::field(
                &format!("items[{i}].item_id"),
                "unknown_item",
                "模板中没有这个检查项",
            ));
        };
        if a.result != "normal" && a.result != "abnormal" {
            return Err(ApiError::field(
                &format!("items[{i}].result"),
                "invalid_value",
                "结果应为 normal（正常）或 abnormal（异常）",
            ));
        }
        if a.result == "abnormal" && a.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
            return Err(ApiError::field(
                &format!("items[{i}].note"),
                "required",
                "异常项须说明情况",
            ));
        }
        answers.push((item.clone(), a));
    }
    let key = idempotency::from_headers(&headers, "patrol.submit", "", &req)?;
    let earlier = {
        let mut conn = state.store.read().await?;
        idempotency::seen(&mut conn, caller.user_id, key.as_ref()).await?
    };
    let (pid, replayed) = match earlier {
        Some(id) => (id, true),
        None => {
            let row = PatrolRow {
                id: 0,
                grid_code: g.to_string(),
                plan_id: req.plan_id,
                template_id: req.template_id,
                worker_id: caller.user_id,
                started_at: started,
                ended_at: Some(ended),
                track: serde_json::to_string(&req.track).map_err(ApiError::internal)?,
                created_at: now,
            };
            let outcome = insert_patrol(&state, &caller, &row, &answers, key.as_ref()).await;
            idempotency::settle(&state, caller.user_id, key.as_ref(), outcome).await?
        }
    };
    raise_patrol_cases(&state, &caller, pid, &g, &template).await?;
    Ok((
        StatusCode::CREATED,
        idempotency::replay_headers(replayed),
        Json(patrol_detail(&state, pid).await?),
    ))
}

async fn insert_patrol(
    state: &AppState,
    caller: &Caller,
    row: &PatrolRow,
    answers: &[(CheckItem, &ItemAnswer)],
    key: Option<&RequestKey>,
) -> ApiResult<i64> {
    let now = row.created_at;
    let mut tx = state.store.begin().await?;
    if let Err(StoreError::NotFound) = regions::get(&mut tx, &row.grid_code).await {
        return Err(ApiError::field("grid_code", "region_unknown", "网格不存在"));
    }
    let pid = fieldwork::add_patrol(&mut tx, row).await?;
    idempotency::remember(&mut tx, caller.user_id, key, pid, now).await?;
    for (item, a) in answers {
        fieldwork::add_item(
            &mut tx,
            &PatrolItemRow {
                id: 0,
                patrol_id: pid,
                item_id: item.id.clone(),
                item_name: item.name.clone(),
                result: a.result.clone(),
                note: a.note.clone(),
                lat: a.lat,
                lng: a.lng,
                case_id: None,
            },
        )
        .await?;
    }
    let abnormal = answers
        .iter()
        .filter(|(_, a)| a.result == "abnormal")
        .count();
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "patrol.submit",
            "patrol",
            pid,
            &row.grid_code,
            json!({"items": answers.len(), "abnormal": abnormal}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(pid)
}

/// Each 异常 item without a case raises a pre-filled one, in its own command, linked both
/// ways. The case's idempotency key is named after the item, so a retry of the patrol
/// (after a lost answer, or a case that failed) raises each case once.
async fn raise_patrol_cases(
    state: &AppState,
    caller: &Caller,
    pid: i64,
    g: &RegionCode,
    template: &TemplateView,
) -> ApiResult<()> {
    let items = {
        let mut conn = state.store.read().await?;
        fieldwork::items(&mut conn, pid).await?
    };
    for it in items {
        if it.result != "abnormal" || it.case_id.is_some() {
            continue;
        }
        let (case_type, category) = match template.items.iter().find(|t| t.id == it.item_id) {
            Some(t) => (t.case_type.clone(), t.category.clone()),
            None => continue,
        };
        let req = NewCaseRequest {
            case_type,
            category,
            source: "grid_report".into(),
            region_code: g.to_string(),
            title: format!("巡查发现：{}异常", it.item_name),
            description: it.note.clone().unwrap_or_default(),
            lat: it.lat,
            lng: it.lng,
            priority: None,
            reporter_name: None,
            reporter_phone: None,
            parties: Vec::new(),
            dispute: None,
        };
        let key = format!("patrol-item:{}", it.id);
        let created = create_case_from(
            state,
            caller,
            &req,
            Some(&key),
            Some(&format!("patrol:{pid}")),
        )
        .await?;
        let mut tx = state.store.begin().await?;
        fieldwork::set_item_case(&mut tx, it.id, created.id).await?;
        tx.commit().await?;
    }
    Ok(())
}

async fn patrol_detail(state: &AppState, id: i64) -> ApiResult<PatrolView> {
    let mut conn = state.store.read().await?;
    let p = fieldwork::patrol(&mut conn, id).await?;
    let items = fieldwork::items(&mut conn, id).await?;
    let points: Vec<serde_json::Value> = serde_json::from_str(&p.track).unwrap_or_default();
    Ok(PatrolView {
        id: p.id,
        grid_code: p.grid_code,
        plan_id: p.plan_id,
        template_id: p.template_id,
        worker_id: p.worker_id,
        started_at: rfc3339(p.started_at),
        ended_at: p.ended_at.map(rfc3339),
        track_points: points.len(),
        items: items
            .into_iter()
            .map(|i| ItemView {
                id: i.id,
                item_id: i.item_id,
                item_name: i.item_name,
                result: i.result,
                note: i.note,
                lat: i.lat,
                lng: i.lng,
                case_id: i.case_id,
            })
            .collect(),
    })
}

/// 查看巡查记录。
#[utoipa::path(get, path = "/api/v1/patrols/{id}", tag = "fieldwork", params(("id" = i64, Path)),
    responses((status = 200, body = PatrolView), (status = 404, body = ErrorBody)), security(("bearer" = []), ("session_cookie" = [])))]
pub async fn get_patrol(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<PatrolView>> {
    let grid_code = {
        let mut conn = state.store.read().await?;
        fieldwork::patrol(&mut conn, id).await?.grid_code
    };
    caller.authorize(Permission::ReadRegions, &grid_code)?;
    Ok(Json(patrol_detail(&state, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    pub region: String,
    /// First day, YYYY-MM-DD.
    pub from: String,
    /// Last day, YYYY-MM-DD (inclusive).
    pub to: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GridCompletion {
    pub grid_code: String,
    /// Patrols the plans call for in the period.
    pub planned: i64,
    pub done: i64,
    /// done / planned (capped at 1); absent without a plan.
    pub completion_rate: Option<f64>,
    pub abnormal_items: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkerCompletion {
    pub worker_id: i64,
    pub name: String,
    pub patrols: i64,
    pub abnormal_items: i64,
    pub cases_raised: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PatrolStats {
    pub region: String,
    pub from: String,
    pub to: String,
    pub planned: i64,
    pub done: i64,
    pub completion_rate: Option<f64>,
    pub grids: Vec<GridCompletion>,
    pub workers: Vec<WorkerCompletion>,
}

/// 巡查完成率：按网格（计划次数、完成次数）与按网格员。
#[utoipa::path(get, path = "/api/v1/patrols/stats", tag = "fieldwork", params(StatsQuery),
    responses((status = 200, body = PatrolStats), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Json<PatrolStats>> {
    let region = RegionCode::parse("region", &q.region)?;
    caller.authorize(Permission::ReadRegions, region.as_str())?;
    let from = Date::parse_iso(&q.from)
        .ok_or_else(|| ApiError::field("from", "invalid_date", "日期格式应为 YYYY-MM-DD"))?;
    let to = Date::parse_iso(&q.to)
        .ok_or_else(|| ApiError::field("to", "invalid_date", "日期格式应为 YYYY-MM-DD"))?;
    if to < from || to.to_days() - from.to_days() > 366 {
        return Err(ApiError::field(
            "to",
            "out_of_range",
            "结束日期须不早于开始日期，且区间不超过一年",
        ));
    }
    let days = to.to_days() - from.to_days() + 1;
    let start_ms = from.to_days() * 86_400_000 - 8 * 3_600_000;
    let end_ms = start_ms + days * 86_400_000;
    let (lo, hi) = region.subtree_range();
    let mut conn = state.store.read().await?;
    let mut grids: BTreeMap<String, GridCompletion> = BTreeMap::new();
    for p in fieldwork::plans(&mut conn, &lo, &hi).await? {
        let g = grids.entry(p.grid_code.clone()).or_insert(GridCompletion {
            grid_code: p.grid_code.clone(),
            planned: 0,
            done: 0,
            completion_rate: None,
            abnormal_items: 0,
        });
        g.planned += (days + p.every_days - 1) / p.every_days;
    }
    let mut workers: BTreeMap<i64, WorkerCompletion> = BTreeMap::new();
    for p in fieldwork::patrols(&mut conn, &lo, &hi, start_ms, end_ms).await? {
        let items = fieldwork::items(&mut conn, p.id).await?;
        let abnormal = items.iter().filter(|i| i.result == "abnormal").count() as i64;
        let raised = items.iter().filter(|i| i.case_id.is_some()).count() as i64;
        let g = grids.entry(p.grid_code.clone()).or_insert(GridCompletion {
            grid_code: p.grid_code.clone(),
            planned: 0,
            done: 0,
            completion_rate: None,
            abnormal_items: 0,
        });
        g.done += 1;
        g.abnormal_items += abnormal;
        let w = workers.entry(p.worker_id).or_insert(WorkerCompletion {
            worker_id: p.worker_id,
            name: String::new(),
            patrols: 0,
            abnormal_items: 0,
            cases_raised: 0,
        });
        w.patrols += 1;
        w.abnormal_items += abnormal;
        w.cases_raised += raised;
    }
    for w in workers.values_mut() {
        w.name = wangge_store::users::by_id(&mut conn, w.worker_id)
            .await
            .map(|u| u.row.display_name)
            .unwrap_or_default();
    }
    let rate =
        |done: i64, planned: i64| (planned > 0).then(|| (done as f64 / planned as f64).min(1.0));
    let mut planned = 0;
    let mut done = 0;
    let grids: Vec<GridCompletion> = grids
        .into_values()
        .map(|mut g| {
            planned += g.planned;
            done += g.done;
            g.completion_rate = rate(g.done, g.planned);
            g
        })
        .collect();
    Ok(Json(PatrolStats {
        region: region.to_string(),
        from: q.from,
        to: q.to,
        planned,
        done,
        completion_rate: rate(done, planned),
        grids,
        workers: workers.into_values().collect(),
    }))
}
