//! Work in the field: 包干 assignments (party members, 机关 cadres and police tied to a
//! village or grid), visits (走访) — where a problem found becomes a case in the same
//! request, linked back — and the 民情日记, whose entries are crossed off when done or
//! turned into cases.
//!
//! Raising a case from a visit or a diary entry goes through the case engine's own
//! `create_case_from`, which opens its own transaction. A visit is therefore written and
//! committed first (so the case can carry its origin `visit:{id}`), then the case is
//! created, then a second transaction sets the visit's `case_id`. The case request is
//! checked before the visit is written, so a refused category or type writes nothing; if
//! the case still fails, the visit is kept and the error names it (`details.visit_id`).
//! A diary entry exists already, so there the case comes first and the entry is crossed
//! off with its `case_id` afterwards.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use wangge_core::phone::{self, Phone};
use wangge_core::region::{Level, RegionCode};
use wangge_core::role::Permission;
use wangge_crypto::FieldCipher;
use wangge_store::fieldwork::{self, AssignmentRow, DiaryRow, VisitRow};
use wangge_store::{audit, cases, households, regions, users, AnyConnection, StoreError};

use crate::access::Caller;
use crate::cases::create::{create_case_from, NewCaseRequest};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::idempotency::{self, RequestKey};
use crate::views::rfc3339;
use crate::AppState;

const PHONE_FIELD: &str = "phone";
/// A phone's clock may run a little ahead of the server's; a visit "in the future" by
/// less than this is accepted.
const CLOCK_SKEW_MS: i64 = 5 * 60_000;

/// Assignment kinds and their names.
pub const ASSIGNMENT_KINDS: [(&str, &str); 3] = [
    ("party_member", "党员"),
    ("cadre", "机关干部"),
    ("police_officer", "民警"),
];

// ---------------------------------------------------------------------------------------
// Shared helpers (also used by `routes::family`).

/// A required free-text field: trimmed, 1 to `max` characters.
pub(crate) fn text(field: &str, value: &str, max: usize, what: &str) -> ApiResult<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(ApiError::field(
            field,
            "length",
            format!("{what}须为1至{max}个字符"),
        ));
    }
    Ok(v.to_string())
}

/// The region must exist (the code may be well-formed but unknown).
pub(crate) async fn require_region(
    conn: &mut AnyConnection,
    field: &str,
    code: &RegionCode,
) -> ApiResult<()> {
    match regions::get(conn, code.as_str()).await {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound) => Err(ApiError::field(
            field,
            "region_unknown",
            format!("区划{code}不存在"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// `limit` of a list: 1 to `max`, `default` when absent.
pub(crate) fn limit(value: Option<i64>, default: i64, max: i64) -> i64 {
    value.unwrap_or(default).clamp(1, max)
}

/// Whether `code` lies in the subtree of `region`.
fn within(region: &RegionCode, code: &str) -> bool {
    code.starts_with(region.prefix())
}

/// Passes when the caller holds any of `perms` at `region` (or by role, for lists):
/// outside the caller's regions → 404; no such permission → 403 naming the first.
fn authorize_any(caller: &Caller, perms: &[Permission], region: Option<&str>) -> ApiResult<()> {
    let mut first = None;
    for p in perms {
        let r = match region {
            Some(r) => caller.authorize(*p, r),
            None => caller.authorize_role(*p),
        };
        match r {
            Ok(()) => return Ok(()),
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    Err(first.unwrap_or_else(ApiError::not_found))
}

fn decrypt(cipher: &FieldCipher, field: &str, data: &Option<Vec<u8>>) -> ApiResult<Option<String>> {
    data.as_ref()
        .map(|d| cipher.decrypt(field, d).map_err(ApiError::internal))
        .transpose()
}

/// Display names of users, for views; an unknown id shows as `用户{id}`.
async fn display_names(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> ApiResult<HashMap<i64, (String, String)>> {
    let mut out = HashMap::new();
    for &id in ids {
        if out.contains_key(&id) {
            continue;
        }
        let names = match users::by_id(conn, id).await {
            Ok(u) => (u.row.username, u.row.display_name),
            Err(StoreError::NotFound) => (String::new(), format!("用户{id}")),
            Err(e) => return Err(e.into()),
        };
        out.insert(id, names);
    }
    Ok(out)
}

fn name_of(names: &HashMap<i64, (String, String)>, id: i64) -> String {
    names
        .get(&id)
        .map(|n| n.1.clone())
        .unwrap_or_else(|| format!("用户{id}"))
}

/// The first `n` characters, with an ellipsis when cut.
fn first_chars(s: &str, n: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

fn parse_region_opt(field: &str, v: Option<&str>) -> ApiResult<Option<RegionCode>> {
    Ok(v.map(|r| RegionCode::parse(field, r)).transpose()?)
}

// ---------------------------------------------------------------------------------------
// 包干 assignments.

#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentView {
    pub id: i64,
    /// The village or grid the person is tied to.
    pub region_code: String,
    /// `party_member`, `cadre` or `police_officer`.
    pub kind: String,
    /// 党员 / 机关干部 / 民警.
    pub kind_name: String,
    pub name: String,
    /// 机关单位 or 派出所.
    pub agency: String,
    /// Masked, e.g. `138****5678`.
    pub phone: Option<String>,
    /// The person's own account, if any.
    pub user_id: Option<i64>,
    pub active: bool,
    pub created_at: String,
}

fn kind_name(kind: &str) -> Option<&'static str> {
    ASSIGNMENT_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, n)| *n)
}

fn assignment_view(cipher: &FieldCipher, a: AssignmentRow) -> ApiResult<AssignmentView> {
    Ok(AssignmentView {
        phone: decrypt(cipher, PHONE_FIELD, &a.phone_enc)?.map(|p| phone::mask(&p)),
        kind_name: kind_name(&a.kind).unwrap_or_default().to_string(),
        id: a.id,
        region_code: a.region_code,
        kind: a.kind,
        name: a.name,
        agency: a.agency,
        user_id: a.user_id,
        active: a.active != 0,
        created_at: rfc3339(a.created_at),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentInput {
    /// The village (社区) or grid the person is tied to (包干).
    pub region_code: String,
    /// `party_member` (党员), `cadre` (机关干部) or `police_officer` (民警).
    pub kind: String,
    pub name: String,
    /// The person's unit: a 机关单位, or the 派出所 of a police officer.
    pub agency: String,
    /// Encrypted at rest, shown masked.
    pub phone: Option<String>,
    /// The person's own account, if they have one (it must lie in the caller's scope).
    pub user_id: Option<i64>,
}

/// 新增包干关系（党员、机关干部、民警联系到村或网格）。
#[utoipa::path(post, path = "/api/v1/assignments", tag = "fieldwork",
    request_body = AssignmentInput,
    responses((status = 201, body = AssignmentView), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn create_assignment(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<AssignmentInput>,
) -> ApiResult<(StatusCode, Json<AssignmentView>)> {
    let region = RegionCode::parse("region_code", &input.region_code)?;
    caller.authorize(Permission::ManageGrids, region.as_str())?;
    if !matches!(region.level(), Level::Village | Level::Grid) {
        return Err(ApiError::field(
            "region_code",
            "invalid_level",
            "包干对象须为村（社区）或网格",
        ));
    }
    if kind_name(&input.kind).is_none() {
        return Err(ApiError::field(
            "kind",
            "invalid_value",
            "包干类型应为 party_member（党员）、cadre（机关干部）、police_officer（民警）之一",
        ));
    }
    let name = text("name", &input.name, 50, "姓名")?;
    let agency = text("agency", &input.agency, 100, "所在单位")?;
    let phone = input
        .phone
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .map(|p| Phone::parse(PHONE_FIELD, p))
        .transpose()?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    require_region(&mut tx, "region_code", &region).await?;
    if let Some(uid) = input.user_id {
        let user = match users::by_id(&mut tx, uid).await {
            Ok(u) => Some(u),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        // The same visibility rule as the user endpoints: all of the user's regions lie in
        // the caller's scope, so nothing about users elsewhere leaks.
        let visible = user.is_some_and(|u| {
            u.row.disabled == 0
                && !u.regions.is_empty()
                && u.regions.iter().all(|r| caller.covers(r))
        });
        if !visible {
            return Err(ApiError::field(
                "user_id",
                "unknown_user",
                "该用户不存在或不在您的管辖范围内",
            ));
        }
    }
    let row = AssignmentRow {
        id: 0,
        region_code: region.to_string(),
        kind: input.kind.clone(),
        name,
        agency,
        phone_enc: phone
            .as_ref()
            .map(|p| state.cipher.encrypt(PHONE_FIELD, p.as_str())),
        user_id: input.user_id,
        active: 1,
        created_at: now,
    };
    let id = fieldwork::add_assignment(&mut tx, &row).await?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "assignment.create",
            "assignment",
            id,
            region.as_str(),
            json!({"kind": row.kind, "name": row.name, "agency": row.agency, "user_id": row.user_id}),
        ),
    )
    .await?;
    let saved = fieldwork::assignment(&mut tx, id).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(assignment_view(&state.cipher, saved)?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AssignmentQuery {
    /// Only this region subtree (must lie in the caller's scope).
    pub region: Option<String>,
}

/// 包干关系列表（本人范围内，最多1000条）。
#[utoipa::path(get, path = "/api/v1/assignments", tag = "fieldwork", params(AssignmentQuery),
    responses((status = 200, body = Vec<AssignmentView>), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn list_assignments(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AssignmentQuery>,
) -> ApiResult<Json<Vec<AssignmentView>>> {
    let region = parse_region_opt("region", q.region.as_deref())?;
    authorize_any(
        &caller,
        &[Permission::FieldWork, Permission::ManageGrids],
        region.as_ref().map(RegionCode::as_str),
    )?;
    let range = region.as_ref().map(RegionCode::subtree_range);
    let mut conn = state.store.read().await?;
    let rows = fieldwork::assignments(
        &mut conn,
        caller.scope(),
        range.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|a| assignment_view(&state.cipher, a))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(items))
}

// ---------------------------------------------------------------------------------------
// Visits (走访).

#[derive(Debug, Serialize, ToSchema)]
pub struct VisitView {
    pub id: i64,
    /// The 包干 assignment the visit was made under, if any.
    pub assignment_id: Option<i64>,
    /// The user who recorded the visit.
    pub visitor_id: i64,
    pub visitor_name: String,
    pub region_code: String,
    pub household_id: Option<i64>,
    pub visited_at: String,
    pub place: String,
    pub whom: String,
    pub findings: String,
    /// The case raised from this visit (its `origin` is `visit:{id}`).
    pub case_id: Option<i64>,
    pub created_at: String,
}

fn visit_view(names: &HashMap<i64, (String, String)>, v: VisitRow) -> VisitView {
    VisitView {
        visitor_name: name_of(names, v.visitor_id),
        id: v.id,
        assignment_id: v.assignment_id,
        visitor_id: v.visitor_id,
        region_code: v.region_code,
        household_id: v.household_id,
        visited_at: rfc3339(v.visited_at),
        place: v.place,
        whom: v.whom,
        findings: v.findings,
        case_id: v.case_id,
        created_at: rfc3339(v.created_at),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RaiseCaseInput {
    /// Second-level category id, see `GET /api/v1/categories`.
    pub category: String,
    /// Defaults to `走访发现：` and the start of the findings.
    pub title: Option<String>,
    /// Defaults to the findings.
    pub description: Option<String>,
    /// Case type, default `general`.
    #[serde(rename = "type")]
    pub case_type: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitInput {
    /// The 包干 assignment this visit is made under (in scope; its village or grid and the
    /// visit's region must lie one within the other).
    pub assignment_id: Option<i64>,
    /// Where the visit took place: village, grid or deeper.
    pub region_code: String,
    /// The household visited (in scope, inside `region_code`).
    pub household_id: Option<i64>,
    /// When, in RFC 3339 (e.g. `2026-03-02T09:30:00+08:00`); not in the future.
    pub visited_at: String,
    pub place: String,
    /// Whom the visitor met.
    pub whom: String,
    /// What was found.
    pub findings: String,
    /// A problem found: raise it as a case (source `grid_report`) in the same request.
    pub raise_case: Option<RaiseCaseInput>,
}

fn parse_instant(field: &str, s: &str, now: i64) -> ApiResult<i64> {
    let t = time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
        ApiError::field(
            field,
            "invalid_datetime",
            "时间格式应为 RFC 3339，如 2026-03-02T09:30:00+08:00",
        )
    })?;
    let ms = i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    if ms > now + CLOCK_SKEW_MS {
        return Err(ApiError::field(
            field,
            "in_future",
            "走访时间不能晚于当前时间",
        ));
    }
    Ok(ms)
}

/// The case a visit raises, checked before the visit is written so that a refused case
/// request writes nothing. Field names are reported under `raise_case.`.
fn visit_case(
    state: &AppState,
    caller: &Caller,
    region: &RegionCode,
    findings: &str,
    r: &RaiseCaseInput,
) -> ApiResult<NewCaseRequest> {
    caller.authorize(Permission::CreateCases, region.as_str())?;
    let cfg = &state.cases;
    let case_type = r.case_type.clone().unwrap_or_else(|| "general".into());
    if cfg.workflows.get(&case_type).is_none() {
        let ids: Vec<_> = cfg
            .workflows
            .types()
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        return Err(ApiError::field(
            "raise_case.type",
            "unknown_type",
            format!("未知的事件类型“{case_type}”，可选：{}", ids.join("、")),
        ));
    }
    if cfg.catalogue.category(&r.category).is_none() {
        return Err(ApiError::field(
            "raise_case.category",
            "unknown_category",
            format!("未知的二级分类“{}”", r.category),
        ));
    }
    let title = match r.title.as_deref() {
        Some(t) => text("raise_case.title", t, 200, "事件标题")?,
        None => format!("走访发现：{}", first_chars(findings, 40)),
    };
    let description = match r.description.as_deref() {
        Some(d) if d.chars().count() > 4000 => {
            return Err(ApiError::field(
                "raise_case.description",
                "length",
                "描述不能超过4000个字符",
            ))
        }
        Some(d) if !d.trim().is_empty() => d.to_string(),
        _ => findings.to_string(),
    };
    match (r.lat, r.lng) {
        (Some(lat), _) if !(-90.0..=90.0).contains(&lat) => {
            return Err(ApiError::field(
                "raise_case.lat",
                "out_of_range",
                "纬度应在-90至90之间",
            ))
        }
        (_, Some(lng)) if !(-180.0..=180.0).contains(&lng) => {
            return Err(ApiError::field(
                "raise_case.lng",
                "out_of_range",
                "经度应在-180至180之间",
            ))
        }
        (Some(_), None) => {
            return Err(ApiError::field(
                "raise_case.lng",
                "required",
                "提供纬度时须同时提供经度",
            ))
        }
        (None, Some(_)) => {
            return Err(ApiError::field(
                "raise_case.lat",
                "required",
                "提供经度时须同时提供纬度",
            ))
        }
        _ => {}
    }
    Ok(NewCaseRequest {
        case_type,
        category: r.category.clone(),
        source: "grid_report".into(),
        region_code: region.to_string(),
        title,
        description,
        lat: r.lat,
        lng: r.lng,
        priority: None,
        reporter_name: None,
        reporter_phone: None,
        parties: Vec::new(),
        dispute: None,
    })
}

/// An assignment named by a visit: visible to the caller, active, and its village or
/// grid and the visit's region lie one within the other.
async fn check_assignment(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: i64,
    region: &RegionCode,
) -> ApiResult<()> {
    let a = match fieldwork::assignment(conn, id).await {
        Ok(a) if caller.covers(&a.region_code) => a,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(ApiError::field(
                "assignment_id",
                "unknown_assignment",
                "该包干关系不存在或无权访问",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    if a.active == 0 {
        return Err(ApiError::field(
            "assignment_id",
            "assignment_inactive",
            "该包干关系已停用",
        ));
    }
    let a_region = RegionCode::parse("assignment_id", &a.region_code)?;
    if !within(region, &a.region_code) && !within(&a_region, region.as_str()) {
        return Err(ApiError::field(
            "assignment_id",
            "region_mismatch",
            format!("走访区划与该包干关系的区划（{}）不符", a.region_code),
        ));
    }
    Ok(())
}

/// A household named by a visit: visible to the caller and inside the visit's region.
async fn check_household(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: i64,
    region: &RegionCode,
) -> ApiResult<()> {
    let h = match households::get(conn, id).await {
        Ok(h) if caller.covers(&h.region_code) => h,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(ApiError::field(
                "household_id",
                "unknown_household",
                "该户不存在或无权访问",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    if !within(region, &h.region_code) {
        return Err(ApiError::field(
            "household_id",
            "region_mismatch",
            format!("该户（{}）不在所填区划内", h.household_no),
        ));
    }
    Ok(())
}

async fn load_visit_view(state: &AppState, id: i64) -> ApiResult<VisitView> {
    let mut conn = state.store.read().await?;
    let v = fieldwork::visit(&mut conn, id).await?;
    let names = display_names(&mut conn, &[v.visitor_id]).await?;
    Ok(visit_view(&names, v))
}

/// 记录走访；发现问题时可带 raise_case，同一请求登记为事件（来源“网格上报”）并与走访关联。
/// 带 `Idempotency-Key` 头重试时返回同一条走访（事件未登记成功的，重试时补登），绝不重复记录。
#[utoipa::path(post, path = "/api/v1/visits", tag = "fieldwork",
    request_body = VisitInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "客户端生成的唯一键；重试时原样带上")),
    responses((status = 201, body = VisitView),
        (status = 422, description = "输入有误，或该 Idempotency-Key 已用于另一个请求；若走访已保存而事件登记失败，details.visit_id 为已保存的走访", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn create_visit(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<VisitInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<VisitView>)> {
    let region = RegionCode::parse("region_code", &input.region_code)?;
    caller.authorize(Permission::FieldWork, region.as_str())?;
    let now = state.clock.now_ms();
    let visited_at = parse_instant("visited_at", &input.visited_at, now)?;
    let place = text("place", &input.place, 200, "走访地点")?;
    let whom = text("whom", &input.whom, 100, "走访对象")?;
    let findings = text("findings", &input.findings, 2000, "走访情况")?;
    let case_req = input
        .raise_case
        .as_ref()
        .map(|r| visit_case(&state, &caller, &region, &findings, r))
        .transpose()?;
    let key = idempotency::from_headers(&headers, "visit.create", "", &input)?;
    let earlier = {
        let mut conn = state.store.read().await?;
        idempotency::seen(&mut conn, caller.user_id, key.as_ref()).await?
    };
    let (id, replayed) = match earlier {
        Some(id) => (id, true),
        None => {
            let row = VisitRow {
                id: 0,
                assignment_id: input.assignment_id,
                visitor_id: caller.user_id,
                region_code: region.to_string(),
                household_id: input.household_id,
                visited_at,
                place,
                whom,
                findings,
                case_id: None,
                created_at: now,
            };
            let outcome = insert_visit(
                &state,
                &caller,
                &region,
                &row,
                case_req.is_some(),
                key.as_ref(),
            )
            .await;
            idempotency::settle(&state, caller.user_id, key.as_ref(), outcome).await?
        }
    };
    if let Some(req) = case_req {
        raise_visit_case(&state, &caller, id, &region, &req).await?;
    }
    Ok((
        StatusCode::CREATED,
        idempotency::replay_headers(replayed),
        Json(load_visit_view(&state, id).await?),
    ))
}

async fn insert_visit(
    state: &AppState,
    caller: &Caller,
    region: &RegionCode,
    row: &VisitRow,
    raise_case: bool,
    key: Option<&RequestKey>,
) -> ApiResult<i64> {
    let now = row.created_at;
    let mut tx = state.store.begin().await?;
    require_region(&mut tx, "region_code", region).await?;
    if let Some(a) = row.assignment_id {
        check_assignment(&mut tx, caller, a, region).await?;
    }
    if let Some(h) = row.household_id {
        check_household(&mut tx, caller, h, region).await?;
    }
    let id = fieldwork::add_visit(&mut tx, row).await?;
    idempotency::remember(&mut tx, caller.user_id, key, id, now).await?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "visit.create",
            "visit",
            id,
            region.as_str(),
            json!({"assignment_id": row.assignment_id, "household_id": row.household_id,
                   "visited_at": rfc3339(row.visited_at), "raise_case": raise_case}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Raises the visit's case unless it has one. The case's own idempotency key is named
/// after the visit, so a retry after a lost answer (or two at once) makes one case.
async fn raise_visit_case(
    state: &AppState,
    caller: &Caller,
    id: i64,
    region: &RegionCode,
    req: &NewCaseRequest,
) -> ApiResult<()> {
    {
        let mut conn = state.store.read().await?;
        if fieldwork::visit(&mut conn, id).await?.case_id.is_some() {
            return Ok(());
        }
    }
    let origin = format!("visit:{id}");
    let created = match create_case_from(state, caller, req, Some(&origin), Some(&origin)).await {
        Ok(c) => c,
        Err(mut e) => {
            // The visit is kept; say so, and which one, so the case can be raised again.
            if let Some(d) = e.details.as_object_mut() {
                d.insert("visit_id".into(), json!(id));
            }
            e.message = format!("走访记录已保存（编号{id}），但事件未能登记：{}", e.message);
            return Err(e);
        }
    };
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    fieldwork::set_visit_case(&mut tx, id, created.id).await?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "visit.raise_case",
            "visit",
            id,
            region.as_str(),
            json!({"case_id": created.id}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VisitQuery {
    /// Only this region subtree (must lie in the caller's scope).
    pub region: Option<String>,
    /// 1–200, default 50; newest visits first.
    pub limit: Option<i64>,
}

/// 走访记录列表（新到旧，本人范围内）。
#[utoipa::path(get, path = "/api/v1/visits", tag = "fieldwork", params(VisitQuery),
    responses((status = 200, body = Vec<VisitView>), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn list_visits(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<VisitQuery>,
) -> ApiResult<Json<Vec<VisitView>>> {
    let region = parse_region_opt("region", q.region.as_deref())?;
    match &region {
        Some(r) => caller.authorize(Permission::FieldWork, r.as_str())?,
        None => caller.authorize_role(Permission::FieldWork)?,
    }
    let range = region.as_ref().map(RegionCode::subtree_range);
    let mut conn = state.store.read().await?;
    let rows = fieldwork::visits(
        &mut conn,
        caller.scope(),
        range.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
        limit(q.limit, 50, 200),
    )
    .await?;
    let visitors: Vec<i64> = rows.iter().map(|v| v.visitor_id).collect();
    let names = display_names(&mut conn, &visitors).await?;
    Ok(Json(
        rows.into_iter().map(|v| visit_view(&names, v)).collect(),
    ))
}

/// 查看走访记录。
#[utoipa::path(get, path = "/api/v1/visits/{id}", tag = "fieldwork", params(("id" = i64, Path)),
    responses((status = 200, body = VisitView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn get_visit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<VisitView>> {
    let mut conn = state.store.read().await?;
    let v = fieldwork::visit(&mut conn, id).await?;
    caller.authorize(Permission::FieldWork, &v.region_code)?;
    let names = display_names(&mut conn, &[v.visitor_id]).await?;
    Ok(Json(visit_view(&names, v)))
}

// ---------------------------------------------------------------------------------------
// 民情日记.

#[derive(Debug, Serialize, ToSchema)]
pub struct DiaryView {
    pub id: i64,
    pub author_id: i64,
    pub author_name: String,
    pub region_code: String,
    /// Who made the request.
    pub resident: String,
    pub request: String,
    pub created_at: String,
    /// Crossed off (销号).
    pub done: bool,
    pub done_at: Option<String>,
    pub done_note: Option<String>,
    /// The case the entry was turned into (its `origin` is `diary:{id}`).
    pub case_id: Option<i64>,
}

fn diary_view(names: &HashMap<i64, (String, String)>, d: DiaryRow) -> DiaryView {
    DiaryView {
        author_name: name_of(names, d.author_id),
        id: d.id,
        author_id: d.author_id,
        region_code: d.region_code,
        resident: d.resident,
        request: d.request,
        created_at: rfc3339(d.created_at),
        done: d.done_at.is_some(),
        done_at: d.done_at.map(rfc3339),
        done_note: d.done_note,
        case_id: d.case_id,
    }
}

async fn one_diary_view(conn: &mut AnyConnection, d: DiaryRow) -> ApiResult<DiaryView> {
    let names = display_names(conn, &[d.author_id]).await?;
    Ok(diary_view(&names, d))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiaryInput {
    /// Where the resident lives (village, grid or deeper).
    pub region_code: String,
    /// Who made the request (a name, as told).
    pub resident: String,
    /// What they asked for.
    pub request: String,
}

/// 记一条民情日记（记录人为本人）。带 `Idempotency-Key` 头重试时返回同一条，绝不重复记录。
#[utoipa::path(post, path = "/api/v1/diary", tag = "fieldwork",
    request_body = DiaryInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "客户端生成的唯一键；重试时原样带上")),
    responses((status = 201, body = DiaryView),
        (status = 422, description = "输入有误，或该 Idempotency-Key 已用于另一个请求", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn create_diary(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<DiaryInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<DiaryView>)> {
    let region = RegionCode::parse("region_code", &input.region_code)?;
    caller.authorize(Permission::FieldWork, region.as_str())?;
    let resident = text("resident", &input.resident, 50, "群众姓名")?;
    let request = text("request", &input.request, 2000, "诉求内容")?;
    let key = idempotency::from_headers(&headers, "diary.create", "", &input)?;
    let earlier = {
        let mut conn = state.store.read().await?;
        idempotency::seen(&mut conn, caller.user_id, key.as_ref()).await?
    };
    let (id, replayed) = match earlier {
        Some(id) => (id, true),
        None => {
            let outcome =
                insert_diary(&state, &caller, &region, resident, request, key.as_ref()).await;
            idempotency::settle(&state, caller.user_id, key.as_ref(), outcome).await?
        }
    };
    let mut conn = state.store.read().await?;
    let saved = fieldwork::diary(&mut conn, id).await?;
    let view = one_diary_view(&mut conn, saved).await?;
    Ok((
        StatusCode::CREATED,
        idempotency::replay_headers(replayed),
        Json(view),
    ))
}

async fn insert_diary(
    state: &AppState,
    caller: &Caller,
    region: &RegionCode,
    resident: String,
    request: String,
    key: Option<&RequestKey>,
) -> ApiResult<i64> {
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    require_region(&mut tx, "region_code", region).await?;
    let row = DiaryRow {
        id: 0,
        author_id: caller.user_id,
        region_code: region.to_string(),
        resident,
        request,
        created_at: now,
        done_at: None,
        done_note: None,
        case_id: None,
    };
    let id = fieldwork::add_diary(&mut tx, &row).await?;
    idempotency::remember(&mut tx, caller.user_id, key, id, now).await?;
    audit::append(
        &mut tx,
        caller.audit(now, "diary.create", "diary", id, region.as_str(), json!({})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DiaryQuery {
    /// `true` (default): only the caller's own entries; `false`: everyone's in the region.
    pub mine: Option<bool>,
    /// Only this region subtree (must lie in the caller's scope).
    pub region: Option<String>,
    /// 1–200, default 100; newest first.
    pub limit: Option<i64>,
}

/// 民情日记列表：默认本人所记；mine=false 时为区划内所有人所记。
#[utoipa::path(get, path = "/api/v1/diary", tag = "fieldwork", params(DiaryQuery),
    responses((status = 200, body = Vec<DiaryView>), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn list_diary(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DiaryQuery>,
) -> ApiResult<Json<Vec<DiaryView>>> {
    let region = parse_region_opt("region", q.region.as_deref())?;
    match &region {
        Some(r) => caller.authorize(Permission::FieldWork, r.as_str())?,
        None => caller.authorize_role(Permission::FieldWork)?,
    }
    let author = q.mine.unwrap_or(true).then_some(caller.user_id);
    let range = region.as_ref().map(RegionCode::subtree_range);
    let mut conn = state.store.read().await?;
    let rows = fieldwork::diaries(
        &mut conn,
        author,
        caller.scope(),
        range.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
        limit(q.limit, 100, 200),
    )
    .await?;
    let authors: Vec<i64> = rows.iter().map(|d| d.author_id).collect();
    let names = display_names(&mut conn, &authors).await?;
    Ok(Json(
        rows.into_iter().map(|d| diary_view(&names, d)).collect(),
    ))
}

/// An entry the caller may cross off: in scope (else 404), their own (else 403), still
/// open (else 409).
async fn own_open_entry(conn: &mut AnyConnection, caller: &Caller, id: i64) -> ApiResult<DiaryRow> {
    let d = fieldwork::diary(conn, id).await?;
    caller.authorize(Permission::FieldWork, &d.region_code)?;
    if d.author_id != caller.user_id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "只有记录人本人可以销号",
        ));
    }
    if let Some(done_at) = d.done_at {
        return Err(already_done(done_at, d.case_id));
    }
    Ok(d)
}

fn already_done(done_at: i64, case_id: Option<i64>) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "already_done",
        format!("该条民情已于{}销号", rfc3339(done_at)),
    )
    .with_details(json!({"done_at": rfc3339(done_at), "case_id": case_id}))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiaryDoneInput {
    /// How the request was settled.
    pub note: String,
}

/// 销号：诉求已办好（仅记录人本人；重复销号返回409）。
#[utoipa::path(post, path = "/api/v1/diary/{id}/done", tag = "fieldwork", params(("id" = i64, Path)),
    request_body = DiaryDoneInput,
    responses((status = 200, body = DiaryView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn diary_done(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<DiaryDoneInput>,
) -> ApiResult<Json<DiaryView>> {
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let d = own_open_entry(&mut tx, &caller, id).await?;
    let note = text("note", &input.note, 500, "办理情况")?;
    fieldwork::close_diary(&mut tx, id, now, Some(&note), None).await?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "diary.done",
            "diary",
            id,
            &d.region_code,
            json!({"note": note}),
        ),
    )
    .await?;
    let saved = fieldwork::diary(&mut tx, id).await?;
    let view = one_diary_view(&mut tx, saved).await?;
    tx.commit().await?;
    Ok(Json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiaryCaseInput {
    /// Second-level category id, see `GET /api/v1/categories`.
    pub category: String,
    /// Case type, default `general`.
    #[serde(rename = "type")]
    pub case_type: Option<String>,
    /// Defaults to `民情日记：` and the start of the request.
    pub title: Option<String>,
}

/// 转为事件：登记事件（来源“民情日记”）并销号，日记记下事件编号（仅记录人本人）。
#[utoipa::path(post, path = "/api/v1/diary/{id}/case", tag = "fieldwork", params(("id" = i64, Path)),
    request_body = DiaryCaseInput,
    responses((status = 201, body = DiaryView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn diary_to_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<DiaryCaseInput>,
) -> ApiResult<(StatusCode, Json<DiaryView>)> {
    let d = {
        let mut conn = state.store.read().await?;
        own_open_entry(&mut conn, &caller, id).await?
    };
    let req = NewCaseRequest {
        case_type: input.case_type.clone().unwrap_or_else(|| "general".into()),
        category: input.category.clone(),
        source: "diary".into(),
        region_code: d.region_code.clone(),
        title: input
            .title
            .clone()
            .unwrap_or_else(|| format!("民情日记：{}", first_chars(&d.request, 40))),
        description: format!("{}反映：{}", d.resident, d.request),
        lat: None,
        lng: None,
        priority: None,
        reporter_name: Some(d.resident.clone()),
        reporter_phone: None,
        parties: Vec::new(),
        dispute: None,
    };
    // The case engine commits the case in its own transaction; the entry is crossed off
    // after. Should that fail, the case still names the entry (`origin`).
    let created =
        create_case_from(&state, &caller, &req, None, Some(&format!("diary:{id}"))).await?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let current = fieldwork::diary(&mut tx, id).await?;
    if let Some(done_at) = current.done_at {
        // Crossed off meanwhile (a second click): the case exists; say which.
        return Err(already_done(done_at, current.case_id).with_details(
            json!({"done_at": rfc3339(done_at), "case_id": current.case_id, "new_case_id": created.id}),
        ));
    }
    let number = cases::get(&mut tx, created.id).await?.number;
    let note = format!("已转为事件{number}");
    fieldwork::close_diary(&mut tx, id, now, Some(&note), Some(created.id)).await?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "diary.to_case",
            "diary",
            id,
            &d.region_code,
            json!({"case_id": created.id, "case_number": number}),
        ),
    )
    .await?;
    let saved = fieldwork::diary(&mut tx, id).await?;
    let view = one_diary_view(&mut tx, saved).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DiaryStatsQuery {
    /// Region subtree (must lie in the caller's scope); default: the caller's whole scope.
    pub region: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiaryAuthorCount {
    pub author_id: i64,
    pub username: String,
    pub display_name: String,
    /// Entries not yet crossed off.
    pub open: i64,
    /// Entries crossed off (including those turned into cases).
    pub done: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiaryStats {
    /// The region asked for, if any.
    pub region: Option<String>,
    pub authors: Vec<DiaryAuthorCount>,
    pub open: i64,
    pub done: i64,
    pub total: i64,
}

/// Ranges with those inside another dropped, so nested scopes are not counted twice.
fn outermost(ranges: &[(String, String)]) -> Vec<(String, String)> {
    ranges
        .iter()
        .enumerate()
        .filter(|(i, (lo, hi))| {
            !ranges.iter().enumerate().any(|(j, (olo, ohi))| {
                j != *i && olo <= lo && hi <= ohi && ((olo, ohi) != (lo, hi) || j < *i)
            })
        })
        .map(|(_, r)| r.clone())
        .collect()
}

/// 民情日记统计：每位记录人的未销号、已销号条数及合计。
#[utoipa::path(get, path = "/api/v1/diary/stats", tag = "fieldwork", params(DiaryStatsQuery),
    responses((status = 200, body = DiaryStats), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn diary_stats(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DiaryStatsQuery>,
) -> ApiResult<Json<DiaryStats>> {
    let region = parse_region_opt("region", q.region.as_deref())?;
    let ranges = match &region {
        Some(r) => {
            caller.authorize(Permission::FieldWork, r.as_str())?;
            vec![r.subtree_range()]
        }
        None => {
            caller.authorize_role(Permission::FieldWork)?;
            outermost(caller.scope().unwrap_or_default())
        }
    };
    let mut conn = state.store.read().await?;
    let mut counts: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for (lo, hi) in &ranges {
        for (author, open, done) in fieldwork::diary_counts(&mut conn, lo, hi).await? {
            let c = counts.entry(author).or_default();
            c.0 += open;
            c.1 += done;
        }
    }
    let ids: Vec<i64> = counts.keys().copied().collect();
    let names = display_names(&mut conn, &ids).await?;
    let authors: Vec<_> = counts
        .into_iter()
        .map(|(id, (open, done))| {
            let (username, display_name) = names
                .get(&id)
                .cloned()
                .unwrap_or_else(|| (String::new(), format!("用户{id}")));
            DiaryAuthorCount {
                author_id: id,
                username,
                display_name,
                open,
                done,
            }
        })
        .collect();
    let open = authors.iter().map(|a| a.open).sum();
    let done = authors.iter().map(|a| a.done).sum();
    Ok(Json(DiaryStats {
        region: region.map(|r| r.to_string()),
        authors,
        open,
        done,
        total: open + done,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_scopes_are_counted_once() {
        let r = |a: &str, b: &str| (a.to_string(), b.to_string());
        let got = outermost(&[
            r("431027100001", "431027100002"),
            r("431027100001001", "431027100001002"),
            r("431027100202", "431027100203"),
            r("431027100202", "431027100203"),
        ]);
        assert_eq!(
            got,
            vec![
                r("431027100001", "431027100002"),
                r("431027100202", "431027100203")
            ]
        );
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(first_chars("  短  ", 4), "短");
        assert_eq!(first_chars("一二三四五", 4), "一二三四…");
    }
}
