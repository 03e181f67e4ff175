//! Case endpoints. Each handler parses, passes the scope check, and calls the case engine
//! in `crate::cases`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use wangge_core::duplicate::{duplicate_score, CaseSketch};
use wangge_core::region::RegionCode;
use wangge_core::role::{Permission, Role};
use wangge_store::audit;
use wangge_store::cases::{self, CaseFilter, CaseRow, CaseSort, EventRow};

use crate::access::Caller;
use crate::cases::create::{create_case, NewCaseRequest};
use crate::cases::transition::{self, TransitionRequest};
use crate::cases::view::{
    attachment_view, case_view, event_view, party_view, CaseDetail, CaseView,
};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::views::{Page, PageQuery};
use crate::AppState;

/// The one place a case is loaded for a caller: outside their regions → 404; enterprises
/// see only the cases they raised.
pub async fn load_visible(
    conn: &mut wangge_store::AnyConnection,
    caller: &Caller,
    id: i64,
) -> ApiResult<CaseRow> {
    let c = cases::get(conn, id).await?;
    caller.authorize(Permission::ReadCases, &c.region_code)?;
    if caller.role == Role::Enterprise && c.created_by != Some(caller.user_id) {
        return Err(ApiError::not_found());
    }
    Ok(c)
}

pub async fn detail(state: &AppState, caller: &Caller, id: i64) -> ApiResult<CaseDetail> {
    let mut conn = state.store.read().await?;
    let c = load_visible(&mut conn, caller, id).await?;
    let cfg = &state.cases;
    let now = state.clock.now_ms();
    let timeline = cases::events(&mut conn, id)
        .await?
        .into_iter()
        .map(|e: EventRow| event_view(cfg, &c.case_type, e))
        .collect();
    let parties = cases::parties(&mut conn, id)
        .await?
        .into_iter()
        .map(|p| party_view(&state.cipher, p))
        .collect();
    let attachments = cases::attachments(&mut conn, id)
        .await?
        .into_iter()
        .map(attachment_view)
        .collect();
    let merged_cases = cases::merged_children(&mut conn, id)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    Ok(CaseDetail {
        case: case_view(cfg, &state.cipher, &c, caller.role, now),
        timeline,
        parties,
        attachments,
        merged_cases,
    })
}

/// 登记事件（各渠道统一入口）。带 `Idempotency-Key` 头重试时返回同一事件，绝不重复登记。
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases",
    request_body = NewCaseRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "客户端生成的唯一键；重试时原样带上")),
    responses((status = 201, body = CaseDetail), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn intake(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(req): ApiJson<NewCaseRequest>,
) -> ApiResult<Response> {
    let key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::trim))
        .transpose()
        .map_err(|_| {
            ApiError::field(
                "Idempotency-Key",
                "invalid_value",
                "Idempotency-Key 须为可见ASCII字符",
            )
        })?;
    let created = create_case(&state, &caller, &req, key).await?;
    let body = detail(&state, &caller, created.id).await?;
    let mut h = HeaderMap::new();
    if created.replayed {
        h.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok((StatusCode::CREATED, h, Json(body)).into_response())
}

/// 查看事件（含完整时间线、当事人、附件）。
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = CaseDetail), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn get_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<CaseDetail>> {
    Ok(Json(detail(&state, &caller, id).await?))
}

/// 办理：触发一个流转动作（派遣、签收、退单、上报、督办、延期、办结、回访……）。
#[utoipa::path(post, path = "/api/v1/cases/{id}/transitions", tag = "cases", params(("id" = i64, Path)),
    request_body = TransitionRequest,
    responses((status = 200, body = CaseDetail), (status = 409, description = "当前不允许该动作；details.allowed 列出允许的动作", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<TransitionRequest>,
) -> ApiResult<Json<CaseDetail>> {
    transition::fire(&state, &caller, id, &req).await?;
    Ok(Json(detail(&state, &caller, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    /// Region subtree (must lie in the caller's scope).
    pub region: Option<String>,
    pub state: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub case_type: Option<String>,
    /// A first- or second-level category id.
    pub category: Option<String>,
    pub source: Option<String>,
    /// User id of the assignee; `me` for the caller.
    pub assignee: Option<String>,
    /// Only open cases past their deadline.
    pub overdue: Option<bool>,
    /// Only open cases.
    pub open: Option<bool>,
    /// Created on or after this date (YYYY-MM-DD, China time).
    pub from: Option<String>,
    /// Created before the end of this date (YYYY-MM-DD).
    pub to: Option<String>,
    /// Full-text search in title and description (Chinese works).
    pub q: Option<String>,
    /// `deadline` (the queue, default) or `newest`.
    pub sort: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

fn day_start_ms(field: &str, s: &str) -> ApiResult<i64> {
    let parts: Vec<_> = s.split('-').collect();
    let date = match parts.as_slice() {
        [y, m, d] => match (y.parse(), m.parse(), d.parse()) {
            (Ok(y), Ok(m), Ok(d)) => wangge_core::date::Date::new(y, m, d),
            _ => None,
        },
        _ => None,
    };
    let d =
        date.ok_or_else(|| ApiError::field(field, "invalid_date", "日期格式应为 YYYY-MM-DD"))?;
    Ok(d.to_days() * 86_400_000 - 8 * 3_600_000)
}

/// 事件列表与队列：按区划、状态、类型、分类、来源、承办人、超期、日期筛选，支持中文全文检索。
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseQuery),
    responses((status = 200, body = Page<CaseView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn list_cases(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> ApiResult<Json<Page<CaseView>>> {
    let region = q
        .region
        .as_deref()
        .map(|r| RegionCode::parse("region", r))
        .transpose()?;
    match &region {
        Some(r) => caller.authorize(Permission::ReadCases, r.as_str())?,
        None => caller.authorize_role(Permission::ReadCases)?,
    }
    let range = region.as_ref().map(RegionCode::subtree_range);
    let now = state.clock.now_ms();
    let mut assignee =
        match q.assignee.as_deref() {
            None => None,
            Some("me") => Some(caller.user_id),
            Some(s) => Some(s.parse::<i64>().map_err(|_| {
                ApiError::field("assignee", "invalid_value", "承办人应为用户id或 me")
            })?),
        };
    if caller.role == Role::Enterprise {
        assignee = None;
    }
    let sort = match q.sort.as_deref() {
        None | Some("deadline") => CaseSort::Deadline,
        Some("newest") => CaseSort::Newest,
        Some(_) => {
            return Err(ApiError::field(
                "sort",
                "invalid_value",
                "排序应为 deadline 或 newest",
            ))
        }
    };
    let filter = CaseFilter {
        region: range.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
        state: q.state.as_deref(),
        case_type: q.case_type.as_deref(),
        category: q.category.as_deref(),
        source: q.source.as_deref(),
        assignee_user_id: assignee,
        overdue_at: q.overdue.unwrap_or(false).then_some(now),
        open_only: q.open.unwrap_or(false),
        created_from: q
            .from
            .as_deref()
            .map(|s| day_start_ms("from", s))
            .transpose()?,
        created_to: q
            .to
            .as_deref()
            .map(|s| day_start_ms("to", s).map(|t| t + 86_400_000))
            .transpose()?,
        text: q.q.as_deref(),
        hide_merged: false,
        created_by: (caller.role == Role::Enterprise).then_some(caller.user_id),
    };
    let (limit, offset) = PageQuery::limit_offset(q.page, q.per_page);
    let mut conn = state.store.read().await?;
    let (rows, total) = cases::list(
        &mut conn,
        state.store.backend(),
        caller.scope(),
        &filter,
        sort,
        limit,
        offset,
    )
    .await?;
    let items = rows
        .iter()
        .map(|c| case_view(&state.cases, &state.cipher, c, caller.role, now))
        .collect();
    Ok(Json(Page {
        items,
        total,
        page: q.page.unwrap_or(1).max(1),
        per_page: limit,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateView {
    pub score: f64,
    pub case: CaseView,
}

/// 疑似重复事件（同类、相近地点、相近时间、描述相似的未办结事件）。
#[utoipa::path(get, path = "/api/v1/cases/{id}/duplicates", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<DuplicateView>), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn duplicates(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<DuplicateView>>> {
    let mut conn = state.store.read().await?;
    let c = load_visible(&mut conn, &caller, id).await?;
    let cfg = &state.cases;
    let now = state.clock.now_ms();
    let since = c.created_at - cfg.duplicates.window_days * 86_400_000;
    let text = format!("{} {}", c.title, c.description);
    let me = CaseSketch {
        category: &c.category,
        region_code: &c.region_code,
        lat: c.lat,
        lng: c.lng,
        created_ms: c.created_at,
        text: &text,
    };
    let mut out = Vec::new();
    for o in
        cases::duplicate_candidates(&mut conn, &c.category, &c.rollup_region, since, id).await?
    {
        if !caller.covers(&o.region_code) {
            continue;
        }
        let ot = format!("{} {}", o.title, o.description);
        let other = CaseSketch {
            category: &o.category,
            region_code: &o.region_code,
            lat: o.lat,
            lng: o.lng,
            created_ms: o.created_at,
            text: &ot,
        };
        if let Some(score) = duplicate_score(&me, &other, &cfg.duplicates) {
            out.push(DuplicateView {
                score,
                case: case_view(cfg, &state.cipher, &o, caller.role, now),
            });
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(Json(out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The case this one repeats; they close together and keep both timelines.
    pub into: i64,
}

/// 合并重复事件：本事件并入主事件，随主事件一同办结，两条时间线都保留。
#[utoipa::path(post, path = "/api/v1/cases/{id}/merge", tag = "cases", params(("id" = i64, Path)),
    request_body = MergeRequest,
    responses((status = 200, body = CaseDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn merge(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<MergeRequest>,
) -> ApiResult<Json<CaseDetail>> {
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let mut child = load_visible(&mut tx, &caller, id).await?;
    caller.authorize(Permission::MergeCases, &child.region_code)?;
    let primary = load_visible(&mut tx, &caller, req.into)
        .await
        .map_err(|e| {
            if e.code == "not_found" {
                ApiError::field("into", "unknown_case", "要并入的事件不存在或无权访问")
            } else {
                e
            }
        })?;
    let refuse = |reason: &str, msg: &str| {
        Err(ApiError::new(StatusCode::CONFLICT, reason, msg.to_string())
            .with_details(json!({"field": "into", "reason": reason})))
    };
    if child.id == primary.id {
        return refuse("merge_self", "不能与自身合并");
    }
    if child.case_type != primary.case_type {
        return refuse("merge_type_mismatch", "只能合并同一类型的事件");
    }
    if child.terminal != 0 || primary.terminal != 0 {
        return refuse("merge_closed", "已办结的事件不能合并");
    }
    if child.merged_into.is_some() || primary.merged_into.is_some() {
        return refuse("merge_chain", "该事件已合并过，请并入其主事件");
    }
    if !cases::merged_children(&mut tx, child.id).await?.is_empty() {
        return refuse(
            "merge_has_children",
            "该事件已有并入的事件，请把其他事件并入它",
        );
    }
    child.merged_into = Some(primary.id);
    child.updated_at = now;
    cases::save(&mut tx, &child)
        .await
        .map_err(|_| transition::version_conflict())?;
    for (case_id, action, other) in [
        (child.id, "merge_into", primary.id),
        (primary.id, "merged_from", child.id),
    ] {
        let state_now = if case_id == child.id {
            child.state.clone()
        } else {
            primary.state.clone()
        };
        cases::append_event(
            &mut tx,
            &EventRow {
                id: 0,
                case_id,
                at: now,
                actor: caller.username.clone(),
                actor_user_id: Some(caller.user_id),
                action: action.into(),
                effect: "none".into(),
                from_state: state_now.clone(),
                to_state: state_now,
                note: None,
                data: json!({"other": other}).to_string(),
            },
        )
        .await?;
    }
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "case.merge",
            "case",
            child.id,
            &child.region_code,
            json!({"into": primary.id}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(detail(&state, &caller, primary.id).await?))
}
