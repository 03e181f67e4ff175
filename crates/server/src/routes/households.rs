//! Households (户) with their members, and the roster import with progress.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use wangge_core::date::Date;
use wangge_core::region::RegionCode;
use wangge_core::role::Permission;
use wangge_store::{audit, households, regions, StoreError};

use crate::access::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::grids::roster::{self, Mode, Outcome};
use crate::views::{rfc3339, Page, PageQuery};
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub id: i64,
    pub name: String,
    /// head (户主), spouse, son, daughter, parent, grandparent, grandchild, sibling, other.
    pub relation: Option<String>,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    /// Masked.
    pub id_number: Option<String>,
    /// Masked.
    pub phone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdView {
    pub id: i64,
    pub household_no: String,
    pub region_code: String,
    pub address: String,
    pub version: i64,
    pub updated_at: String,
    /// Present on the detail view.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<MemberView>>,
}

fn view(h: households::HouseholdRow, members: Option<Vec<MemberView>>) -> HouseholdView {
    HouseholdView {
        id: h.id,
        household_no: h.household_no,
        region_code: h.region_code,
        address: h.address,
        version: h.version,
        updated_at: rfc3339(h.updated_at),
        members,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HouseholdQuery {
    pub region: String,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// 户列表（某区划下）。
#[utoipa::path(get, path = "/api/v1/households", tag = "grids", params(HouseholdQuery),
    responses((status = 200, body = Page<HouseholdView>), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn list_households(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<HouseholdQuery>,
) -> ApiResult<Json<Page<HouseholdView>>> {
    let region = RegionCode::parse("region", &q.region)?;
    caller.authorize(Permission::ReadPeople, region.as_str())?;
    let (lo, hi) = region.subtree_range();
    let (limit, offset) = PageQuery::limit_offset(q.page, q.per_page);
    let mut conn = state.store.read().await?;
    let (rows, total) = households::list(&mut conn, &lo, &hi, limit, offset).await?;
    Ok(Json(Page {
        items: rows.into_iter().map(|h| view(h, None)).collect(),
        total,
        page: q.page.unwrap_or(1).max(1),
        per_page: limit,
    }))
}

/// 查看一户及其成员（身份证号、电话脱敏）。
#[utoipa::path(get, path = "/api/v1/households/{id}", tag = "grids", params(("id" = i64, Path)),
    responses((status = 200, body = HouseholdView), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn get_household(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<HouseholdView>> {
    let mut conn = state.store.read().await?;
    let h = households::get(&mut conn, id).await?;
    caller.authorize(Permission::ReadPeople, &h.region_code)?;
    let members = households::members(&mut conn, id)
        .await?
        .into_iter()
        .map(|m| MemberView {
            id: m.id,
            name: m.name,
            relation: m.relation,
            sex: m.sex,
            birth_date: m.birth_date,
            id_number: m
                .id_number_enc
                .and_then(|e| state.cipher.decrypt("id_number", &e).ok())
                .map(|s| wangge_core::id_number::mask(&s)),
            phone: m
                .phone_enc
                .and_then(|e| state.cipher.decrypt("phone", &e).ok())
                .map(|s| wangge_core::phone::mask(&s)),
        })
        .collect();
    Ok(Json(view(h, Some(members))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHousehold {
    /// 户编号, unique.
    pub household_no: String,
    /// The 邻 (or other node) the household belongs to.
    pub region_code: String,
    pub address: String,
}

/// 新增一户。
#[utoipa::path(post, path = "/api/v1/households", tag = "grids", request_body = NewHousehold,
    responses((status = 201, body = HouseholdView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn create_household(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewHousehold>,
) -> ApiResult<(StatusCode, Json<HouseholdView>)> {
    let region = RegionCode::parse("region_code", &req.region_code)?;
    let no = req.household_no.trim();
    if no.is_empty() || no.chars().count() > 50 {
        return Err(ApiError::field(
            "household_no",
            "length",
            "户编号须为1至50个字符",
        ));
    }
    let address = req.address.trim();
    if address.is_empty() || address.chars().count() > 200 {
        return Err(ApiError::field("address", "length", "地址须为1至200个字符"));
    }
    caller.authorize(Permission::WritePeople, region.as_str())?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    if let Err(StoreError::NotFound) = regions::get(&mut tx, region.as_str()).await {
        return Err(ApiError::field(
            "region_code",
            "region_unknown",
            format!("区划{region}不存在"),
        ));
    }
    if households::by_no(&mut tx, no).await?.is_some() {
        return Err(
            ApiError::new(StatusCode::CONFLICT, "household_no_taken", "户编号已存在")
                .with_details(json!({"field": "household_no", "reason": "household_no_taken"})),
        );
    }
    let (id, _) = households::upsert(&mut tx, no, region.as_str(), address, now).await?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "household.create",
            "household",
            id,
            region.as_str(),
            json!({"household_no": no}),
        ),
    )
    .await?;
    let h = households::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view(h, Some(Vec::new())))))
}

/// A finished import: its outcome and the XLSX error report, or why it failed.
pub type ImportResult = Result<(Outcome, Vec<u8>), String>;

/// A roster import running in the background, for its progress and error report.
pub struct ImportJob {
    pub owner: i64,
    pub total: usize,
    pub done: AtomicUsize,
    pub result: std::sync::Mutex<Option<ImportResult>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `valid_rows` (default) or `all_or_nothing`.
    pub mode: Option<String>,
    /// The file's name (its extension tells XLSX from CSV when the bytes do not).
    pub filename: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportStarted {
    pub id: String,
    pub total_rows: usize,
    pub status_url: String,
}

/// 导入户籍名册（XLSX 或 CSV，请求体为文件本身）：后台执行，可查询进度并下载错误报告。
#[utoipa::path(post, path = "/api/v1/imports/roster", tag = "grids", params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 202, body = ImportStarted), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn start_import(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ImportStarted>)> {
    caller.authorize_role(Permission::WritePeople)?;
    let mode = match q.mode.as_deref() {
        None => Mode::ValidRows,
        Some(m) => Mode::parse(m).ok_or_else(|| {
            ApiError::field(
                "mode",
                "invalid_value",
                "mode 应为 valid_rows 或 all_or_nothing",
            )
        })?,
    };
    let format = wangge_importers::detect_format(&q.filename, &body).ok_or_else(|| {
        ApiError::field(
            "filename",
            "unsupported_format",
            "只支持 .xlsx 与 .csv 文件",
        )
    })?;
    let today = Date::from_unix_millis_cst(state.clock.now_ms());
    let parsed = wangge_importers::parse_roster(format, &body, today)
        .map_err(|e| ApiError::field("file", "roster_unreadable", e.to_string()))?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let job = Arc::new(ImportJob {
        owner: caller.user_id,
        total: parsed.rows.len(),
        done: AtomicUsize::new(0),
        result: std::sync::Mutex::new(None),
    });
    let total_rows = parsed.total_rows;
    if let Ok(mut jobs) = state.imports.lock() {
        jobs.insert(id.clone(), job.clone());
    }
    let s = state.clone();
    tokio::spawn(async move {
        let progress = |done: usize, _total: usize| job.done.store(done, Ordering::Relaxed);
        let now = s.clock.now_ms();
        let r = roster::import(
            &s.store,
            &s.cipher,
            parsed,
            mode,
            caller.scope(),
            &caller.username,
            &caller.ctx,
            now,
            &progress,
        )
        .await;
        let r = match r {
            Ok(outcome) => wangge_importers::error_report_xlsx(&outcome.errors, outcome.total_rows)
                .map(|x| (outcome, x))
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.message),
        };
        if let Ok(mut slot) = job.result.lock() {
            *slot = Some(r);
        }
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(ImportStarted {
            status_url: format!("/api/v1/imports/{id}"),
            id,
            total_rows,
        }),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportStatus {
    /// running, done or failed.
    pub state: String,
    pub rows_written: usize,
    pub rows_to_write: usize,
    pub outcome: Option<Outcome>,
    pub error: Option<String>,
    pub report_url: Option<String>,
}

fn job(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Arc<ImportJob>> {
    let jobs = state
        .imports
        .lock()
        .map_err(|_| ApiError::internal("import jobs lock"))?;
    match jobs.get(id) {
        Some(j) if j.owner == caller.user_id => Ok(j.clone()),
        _ => Err(ApiError::not_found()),
    }
}

/// 查询导入进度与结果。
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "grids", params(("id" = String, Path)),
    responses((status = 200, body = ImportStatus), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn import_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ImportStatus>> {
    let j = job(&state, &caller, &id)?;
    let done = j.done.load(Ordering::Relaxed);
    let result = j
        .result
        .lock()
        .map_err(|_| ApiError::internal("import job lock"))?;
    Ok(Json(match result.as_ref() {
        None => ImportStatus {
            state: "running".into(),
            rows_written: done,
            rows_to_write: j.total,
            outcome: None,
            error: None,
            report_url: None,
        },
        Some(Ok((o, _))) => ImportStatus {
            state: "done".into(),
            rows_written: if o.written { o.valid_rows } else { 0 },
            rows_to_write: j.total,
            report_url: (!o.errors.is_empty()).then(|| format!("/api/v1/imports/{id}/errors")),
            outcome: Some(o.clone()),
            error: None,
        },
        Some(Err(e)) => ImportStatus {
            state: "failed".into(),
            rows_written: 0,
            rows_to_write: j.total,
            outcome: None,
            error: Some(e.clone()),
            report_url: None,
        },
    }))
}

/// 下载错误报告（XLSX：行号、列、值（已脱敏）、原因）。
#[utoipa::path(get, path = "/api/v1/imports/{id}/errors", tag = "grids", params(("id" = String, Path)),
    responses((status = 200, description = "XLSX"), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn import_errors(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let j = job(&state, &caller, &id)?;
    let result = j
        .result
        .lock()
        .map_err(|_| ApiError::internal("import job lock"))?;
    match result.as_ref() {
        Some(Ok((_, xlsx))) => Ok((
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"roster-errors.xlsx\"".to_string(),
                ),
            ],
            xlsx.clone(),
        )
            .into_response()),
        _ => Err(ApiError::not_found()),
    }
}
