//! Residents (居民). 身份证号 and phone are validated, encrypted at rest, shown masked, and
//! revealed only to roles that may — each reveal is audited with its reason.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use wangge_core::date::Date;
use wangge_core::id_number::{self, IdNumber, Sex};
use wangge_core::phone::{self, Phone};
use wangge_core::region::RegionCode;
use wangge_core::role::Permission;
use wangge_crypto::FieldCipher;
use wangge_store::residents::{self, ResidentFields, ResidentFilter, ResidentRow};
use wangge_store::{audit, regions, StoreError};

use crate::access::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::views::{rfc3339, Page, PageQuery};
use crate::AppState;

const ID_FIELD: &str = "id_number";
const PHONE_FIELD: &str = "phone";

#[derive(Debug, Serialize, ToSchema)]
pub struct ResidentView {
    pub id: i64,
    pub region_code: String,
    pub name: String,
    /// `male` / `female`, from the 身份证号.
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    /// Masked, e.g. `4310**********1234`.
    pub id_number: Option<String>,
    /// Masked, e.g. `138****5678`.
    pub phone: Option<String>,
    /// Send back with updates (optimistic concurrency).
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevealedResident {
    pub id: i64,
    pub name: String,
    /// Unmasked. This view was written to the audit log.
    pub id_number: Option<String>,
    /// Unmasked. This view was written to the audit log.
    pub phone: Option<String>,
}

fn decrypt(cipher: &FieldCipher, field: &str, data: &Option<Vec<u8>>) -> ApiResult<Option<String>> {
    data.as_ref()
        .map(|d| cipher.decrypt(field, d).map_err(ApiError::internal))
        .transpose()
}

fn view(cipher: &FieldCipher, r: ResidentRow) -> ApiResult<ResidentView> {
    let id_number = decrypt(cipher, ID_FIELD, &r.id_number_enc)?.map(|s| id_number::mask(&s));
    let phone = decrypt(cipher, PHONE_FIELD, &r.phone_enc)?.map(|s| phone::mask(&s));
    Ok(ResidentView {
        id: r.id,
        region_code: r.region_code,
        name: r.name,
        sex: r.sex,
        birth_date: r.birth_date,
        id_number,
        phone,
        version: r.version,
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResidentInput {
    /// The deepest known region (village, grid, or 片/组/邻).
    pub region_code: String,
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    /// Required on update: the version last read.
    pub version: Option<i64>,
    // On update, an absent id_number or phone keeps the stored value; "" clears it.
}

struct Parsed {
    region: RegionCode,
    fields: ResidentFields,
}

fn parse_input(state: &AppState, input: &ResidentInput) -> ApiResult<Parsed> {
    let region = RegionCode::parse("region_code", &input.region_code)?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(ApiError::field("name", "length", "姓名须为1至50个字符"));
    }
    let today = Date::from_unix_millis_cst(state.clock.now_ms());
    let id = input
        .id_number
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| IdNumber::parse(ID_FIELD, s, today))
        .transpose()?;
    let phone = input
        .phone
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| Phone::parse(PHONE_FIELD, s))
        .transpose()?;
    let c = &state.cipher;
    let fields = ResidentFields {
        region_code: region.to_string(),
        name: name.to_string(),
        sex: id.as_ref().map(|i| match i.sex() {
            Sex::Male => "male".to_string(),
            Sex::Female => "female".to_string(),
        }),
        birth_date: id.as_ref().map(|i| i.birth_date().to_string()),
        id_number_enc: id.as_ref().map(|i| c.encrypt(ID_FIELD, i.as_str())),
        id_number_hash: id.as_ref().map(|i| c.search_hash(ID_FIELD, i.as_str())),
        phone_enc: phone.as_ref().map(|p| c.encrypt(PHONE_FIELD, p.as_str())),
        phone_hash: phone
            .as_ref()
            .map(|p| c.search_hash(PHONE_FIELD, p.as_str())),
    };
    Ok(Parsed { region, fields })
}

async fn require_region(tx: &mut wangge_store::Tx, code: &RegionCode) -> ApiResult<()> {
    match regions::get(tx, code.as_str()).await {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound) => Err(ApiError::field(
            "region_code",
            "region_unknown",
            format!("区划{code}不存在"),
        )),
        Err(e) => Err(e.into()),
    }
}

fn duplicate_id(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(c) if c.contains("id_number") => ApiError::new(
            StatusCode::CONFLICT,
            "duplicate_id_number",
            "该身份证号已登记",
        )
        .with_details(json!({"field": ID_FIELD, "reason": "duplicate_id_number"})),
        StoreError::Conflict(c) if c == "version" => ApiError::new(
            StatusCode::CONFLICT,
            "version_conflict",
            "该记录已被他人修改，请刷新后重试",
        )
        .with_details(json!({"field": "version", "reason": "version_conflict"})),
        other => other.into(),
    }
}

/// 登记居民。
#[utoipa::path(post, path = "/api/v1/residents", tag = "residents",
    request_body = ResidentInput,
    responses((status = 201, body = ResidentView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn create_resident(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<ResidentInput>,
) -> ApiResult<(StatusCode, Json<ResidentView>)> {
    let p = parse_input(&state, &input)?;
    caller.authorize(Permission::WritePeople, p.region.as_str())?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    require_region(&mut tx, &p.region).await?;
    let id = residents::create(&mut tx, &p.fields, now)
        .await
        .map_err(duplicate_id)?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "resident.create",
            "resident",
            id,
            p.region.as_str(),
            json!({"name": p.fields.name}),
        ),
    )
    .await?;
    let row = residents::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view(&state.cipher, row)?)))
}

/// 修改居民信息（须带上次读取的 version）。
#[utoipa::path(put, path = "/api/v1/residents/{id}", tag = "residents",
    params(("id" = i64, Path)), request_body = ResidentInput,
    responses((status = 200, body = ResidentView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn update_resident(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ResidentInput>,
) -> ApiResult<Json<ResidentView>> {
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let current = residents::get(&mut tx, id).await?;
    caller.authorize(Permission::WritePeople, &current.region_code)?;
    let current_hashes = residents::hashes(&mut tx, id).await?;
    let version = input
        .version
        .ok_or_else(|| ApiError::field("version", "required", "修改时须提供 version"))?;
    let mut p = parse_input(&state, &input)?;
    // An absent 身份证号 or phone keeps what is stored (views only ever show them masked,
    // so a client cannot send them back); an empty string clears it.
    if input.id_number.is_none() {
        p.fields.id_number_enc = current.id_number_enc.clone();
        p.fields.id_number_hash = current_hashes.0.clone();
        p.fields.sex = current.sex.clone();
        p.fields.birth_date = current.birth_date.clone();
    }
    if input.phone.is_none() {
        p.fields.phone_enc = current.phone_enc.clone();
        p.fields.phone_hash = current_hashes.1.clone();
    }
    // Moving a resident needs the right to write at the destination too.
    caller.authorize(Permission::WritePeople, p.region.as_str())?;
    require_region(&mut tx, &p.region).await?;
    residents::update(&mut tx, id, version, &p.fields, now)
        .await
        .map_err(duplicate_id)?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "resident.update",
            "resident",
            id,
            p.region.as_str(),
            json!({"from_region": current.region_code}),
        ),
    )
    .await?;
    let row = residents::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(view(&state.cipher, row)?))
}

/// 查看居民（身份证号、电话脱敏）。
#[utoipa::path(get, path = "/api/v1/residents/{id}", tag = "residents",
    params(("id" = i64, Path)),
    responses((status = 200, body = ResidentView), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn get_resident(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<ResidentView>> {
    let mut conn = state.store.read().await?;
    let row = residents::get(&mut conn, id).await?;
    caller.authorize(Permission::ReadPeople, &row.region_code)?;
    Ok(Json(view(&state.cipher, row)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// 查看原因（写入审计日志），如“电话回访”。
    pub reason: String,
}

/// 查看完整身份证号和电话（须说明原因；每次查看都记入审计日志）。
#[utoipa::path(post, path = "/api/v1/residents/{id}/reveal", tag = "residents",
    params(("id" = i64, Path)), request_body = RevealRequest,
    responses((status = 200, body = RevealedResident), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn reveal_resident(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<RevealRequest>,
) -> ApiResult<Json<RevealedResident>> {
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let row = residents::get(&mut tx, id).await?;
    caller.authorize(Permission::RevealPersonalData, &row.region_code)?;
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(ApiError::field(
            "reason",
            "required",
            "请填写查看原因（1至200个字符）",
        ));
    }
    let out = RevealedResident {
        id: row.id,
        name: row.name.clone(),
        id_number: decrypt(&state.cipher, ID_FIELD, &row.id_number_enc)?,
        phone: decrypt(&state.cipher, PHONE_FIELD, &row.phone_enc)?,
    };
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "resident.reveal",
            "resident",
            id,
            &row.region_code,
            json!({"reason": reason, "fields": ["id_number", "phone"]}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(out))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ResidentQuery {
    /// Only this region subtree (must lie in the caller's scope).
    pub region: Option<String>,
    /// Exact 身份证号 (found by keyed hash; never stored in clear).
    pub id_number: Option<String>,
    /// Exact phone number.
    pub phone: Option<String>,
    /// Exact name.
    pub name: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// 居民列表与精确查找（按身份证号、电话、姓名）。
#[utoipa::path(get, path = "/api/v1/residents", tag = "residents", params(ResidentQuery),
    responses((status = 200, body = Page<ResidentView>), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn list_residents(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ResidentQuery>,
) -> ApiResult<Json<Page<ResidentView>>> {
    let region = q
        .region
        .as_deref()
        .map(|r| RegionCode::parse("region", r))
        .transpose()?;
    match &region {
        Some(r) => caller.authorize(Permission::ReadPeople, r.as_str())?,
        None => caller.authorize_role(Permission::ReadPeople)?,
    }
    let today = Date::from_unix_millis_cst(state.clock.now_ms());
    let id_hash = q
        .id_number
        .as_deref()
        .map(|s| {
            IdNumber::parse(ID_FIELD, s, today)
                .map(|i| state.cipher.search_hash(ID_FIELD, i.as_str()))
        })
        .transpose()?;
    let phone_hash = q
        .phone
        .as_deref()
        .map(|s| {
            Phone::parse(PHONE_FIELD, s).map(|p| state.cipher.search_hash(PHONE_FIELD, p.as_str()))
        })
        .transpose()?;
    let range = region.as_ref().map(RegionCode::subtree_range);
    let filter = ResidentFilter {
        region: range.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
        id_number_hash: id_hash.as_deref(),
        phone_hash: phone_hash.as_deref(),
        name: q.name.as_deref(),
    };
    let (limit, offset) = PageQuery::limit_offset(q.page, q.per_page);
    let mut conn = state.store.read().await?;
    let (rows, total) = residents::list(&mut conn, caller.scope(), &filter, limit, offset).await?;
    let items = rows
        .into_iter()
        .map(|r| view(&state.cipher, r))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(Page {
        items,
        total,
        page: q.page.unwrap_or(1).max(1),
        per_page: limit,
    }))
}
