//! 家庭家事档案 (党建带家建): a household's circumstances and family-conflict risk factors,
//! encrypted at rest; the risk level and the next review date stay in the clear so the
//! review list can be drawn without decrypting anything. Every read of a file is audited
//! (`family_file.read`); the review list shows no circumstances.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use wangge_core::date::Date;
use wangge_core::region::RegionCode;
use wangge_core::role::Permission;
use wangge_crypto::FieldCipher;
use wangge_store::family::{self, FamilyFileRow};
use wangge_store::households::{self, HouseholdRow};
use wangge_store::{audit, StoreError};

use super::fieldwork::{limit, text};
use crate::access::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::views::rfc3339;
use crate::AppState;

const CIRCUMSTANCES_FIELD: &str = "family_circumstances";
const RISK_FACTORS_FIELD: &str = "family_risk_factors";
pub const RISK_LEVELS: [(&str, &str); 3] = [("low", "低"), ("medium", "中"), ("high", "高")];
const MAX_RISK_FACTORS: usize = 30;

fn risk_name(level: &str) -> String {
    RISK_LEVELS
        .iter()
        .find(|(l, _)| *l == level)
        .map(|(_, n)| n.to_string())
        .unwrap_or_default()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FamilyFileView {
    pub household_id: i64,
    pub household_no: String,
    pub address: String,
    pub region_code: String,
    /// Decrypted. This read was written to the audit log.
    pub circumstances: String,
    /// `low`, `medium` or `high`.
    pub risk_level: String,
    /// 低 / 中 / 高.
    pub risk_level_name: String,
    pub risk_factors: Vec<String>,
    /// YYYY-MM-DD.
    pub next_review_date: String,
    /// Send back with updates (optimistic concurrency).
    pub version: i64,
    pub updated_by: Option<i64>,
    pub updated_at: String,
}

fn view(cipher: &FieldCipher, h: &HouseholdRow, f: FamilyFileRow) -> ApiResult<FamilyFileView> {
    let circumstances = cipher
        .decrypt(CIRCUMSTANCES_FIELD, &f.circumstances)
        .map_err(ApiError::internal)?;
    let factors = cipher
        .decrypt(RISK_FACTORS_FIELD, &f.risk_factors)
        .map_err(ApiError::internal)?;
    let risk_factors: Vec<String> = serde_json::from_str(&factors).map_err(ApiError::internal)?;
    Ok(FamilyFileView {
        household_id: h.id,
        household_no: h.household_no.clone(),
        address: h.address.clone(),
        region_code: h.region_code.clone(),
        circumstances,
        risk_level_name: risk_name(&f.risk_level),
        risk_level: f.risk_level,
        risk_factors,
        next_review_date: f.next_review_date,
        version: f.version,
        updated_by: f.updated_by,
        updated_at: rfc3339(f.updated_at),
    })
}

fn no_file() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "该户尚未建立家庭家事档案",
    )
}

/// 查看家庭家事档案（每次查看都记入审计日志）。
#[utoipa::path(get, path = "/api/v1/households/{id}/family-file", tag = "fieldwork",
    params(("id" = i64, Path, description = "户 id")),
    responses((status = 200, body = FamilyFileView), (status = 403, body = ErrorBody),
        (status = 404, description = "户不存在、不在范围内，或尚未建档", body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn get_family_file(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<FamilyFileView>> {
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let h = households::get(&mut tx, id).await?;
    caller.authorize(Permission::FamilyFiles, &h.region_code)?;
    let f = family::by_household(&mut tx, id)
        .await?
        .ok_or_else(no_file)?;
    let file_id = f.id;
    let out = view(&state.cipher, &h, f)?;
    // The answer leaves only once its audit entry is committed.
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "family_file.read",
            "family_file",
            file_id,
            &h.region_code,
            json!({"household_id": h.id, "household_no": h.household_no}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FamilyFileInput {
    /// The family's circumstances (encrypted at rest).
    pub circumstances: String,
    /// `low`, `medium` or `high`.
    pub risk_level: String,
    /// Family-conflict risk factors, e.g. “长期分居”, “赡养纠纷” (encrypted at rest).
    pub risk_factors: Vec<String>,
    /// Next review (YYYY-MM-DD), today or later.
    pub next_review_date: String,
    /// Required when the file exists: the version last read.
    pub version: Option<i64>,
}

struct Checked {
    circumstances: String,
    risk_level: String,
    risk_factors: Vec<String>,
    next_review_date: Date,
}

fn check(input: &FamilyFileInput, today: Date) -> ApiResult<Checked> {
    let circumstances = text("circumstances", &input.circumstances, 4000, "家庭情况")?;
    if !RISK_LEVELS.iter().any(|(l, _)| *l == input.risk_level) {
        return Err(ApiError::field(
            "risk_level",
            "invalid_value",
            "风险等级应为 low（低）、medium（中）、high（高）之一",
        ));
    }
    if input.risk_factors.len() > MAX_RISK_FACTORS {
        return Err(ApiError::field(
            "risk_factors",
            "too_many",
            format!("风险因素最多{MAX_RISK_FACTORS}项"),
        ));
    }
    let mut risk_factors: Vec<String> = Vec::new();
    for (i, f) in input.risk_factors.iter().enumerate() {
        let f = text(&format!("risk_factors[{i}]"), f, 100, "每项风险因素")?;
        if !risk_factors.contains(&f) {
            risk_factors.push(f);
        }
    }
    let next_review_date = Date::parse_iso(input.next_review_date.trim()).ok_or_else(|| {
        ApiError::field(
            "next_review_date",
            "invalid_date",
            "日期格式应为 YYYY-MM-DD",
        )
    })?;
    if next_review_date < today {
        return Err(ApiError::field(
            "next_review_date",
            "in_past",
            "下次复核日期不能早于今天",
        ));
    }
    Ok(Checked {
        circumstances,
        risk_level: input.risk_level.clone(),
        risk_factors,
        next_review_date,
    })
}

fn save_conflict(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(c) => {
            let message = if c == "version" {
                "该档案已被他人修改，请刷新后重试"
            } else {
                "该户档案已被他人建立，请刷新后重试"
            };
            ApiError::new(StatusCode::CONFLICT, "version_conflict", message)
                .with_details(json!({"field": "version", "reason": "version_conflict"}))
        }
        other => other.into(),
    }
}

/// 建立或修改家庭家事档案（已建档时须带上次读取的 version）。
#[utoipa::path(put, path = "/api/v1/households/{id}/family-file", tag = "fieldwork",
    params(("id" = i64, Path, description = "户 id")), request_body = FamilyFileInput,
    responses((status = 200, description = "已修改", body = FamilyFileView), (status = 201, description = "已建档", body = FamilyFileView),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn put_family_file(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<FamilyFileInput>,
) -> ApiResult<(StatusCode, Json<FamilyFileView>)> {
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let h = households::get(&mut tx, id).await?;
    caller.authorize(Permission::FamilyFiles, &h.region_code)?;
    let c = check(&input, Date::from_unix_millis_cst(now))?;
    let existing = family::by_household(&mut tx, id).await?;
    // A version sent for a file that does not exist yet is ignored: files are never
    // deleted, so there is nothing it could protect.
    let expected = match (&existing, input.version) {
        (Some(_), None) => {
            return Err(ApiError::field(
                "version",
                "required",
                "该户已建档，修改时须提供 version",
            ))
        }
        (Some(_), Some(v)) => Some(v),
        (None, _) => None,
    };
    let factors_json = serde_json::to_string(&c.risk_factors).map_err(ApiError::internal)?;
    let row = FamilyFileRow {
        id: existing.as_ref().map_or(0, |f| f.id),
        household_id: id,
        region_code: h.region_code.clone(),
        circumstances: state.cipher.encrypt(CIRCUMSTANCES_FIELD, &c.circumstances),
        risk_level: c.risk_level.clone(),
        risk_factors: state.cipher.encrypt(RISK_FACTORS_FIELD, &factors_json),
        next_review_date: c.next_review_date.to_string(),
        version: 0,
        updated_by: Some(caller.user_id),
        updated_at: now,
    };
    let file_id = family::save(&mut tx, &row, expected)
        .await
        .map_err(save_conflict)?;
    let saved = family::by_household(&mut tx, id)
        .await?
        .ok_or_else(no_file)?;
    let (status, action) = if existing.is_some() {
        (StatusCode::OK, "family_file.update")
    } else {
        (StatusCode::CREATED, "family_file.create")
    };
    // Neither circumstances nor risk factors go into the log.
    audit::append(
        &mut tx,
        caller.audit(
            now,
            action,
            "family_file",
            file_id,
            &h.region_code,
            json!({"household_id": id, "risk_level": c.risk_level,
                   "next_review_date": row.next_review_date, "version": saved.version}),
        ),
    )
    .await?;
    let out = view(&state.cipher, &h, saved)?;
    tx.commit().await?;
    Ok((status, Json(out)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DueQuery {
    /// Only this region subtree (must lie in the caller's scope).
    pub region: Option<String>,
    /// Due on or before this date (YYYY-MM-DD); default today.
    pub date: Option<String>,
    /// 1–500, default 200; soonest first.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DueFileView {
    pub household_id: i64,
    pub household_no: String,
    pub region_code: String,
    pub risk_level: String,
    pub risk_level_name: String,
    pub next_review_date: String,
    /// The review date has passed (before today).
    pub overdue: bool,
}

/// 待复核的家庭家事档案（复核日期不晚于 date；不含家庭情况）。
#[utoipa::path(get, path = "/api/v1/family-files/due", tag = "fieldwork", params(DueQuery),
    responses((status = 200, body = Vec<DueFileView>), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn due_family_files(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DueQuery>,
) -> ApiResult<Json<Vec<DueFileView>>> {
    let region = q
        .region
        .as_deref()
        .map(|r| RegionCode::parse("region", r))
        .transpose()?;
    let own;
    let scope = match &region {
        Some(r) => {
            caller.authorize(Permission::FamilyFiles, r.as_str())?;
            own = [r.subtree_range()];
            Some(&own[..])
        }
        None => {
            caller.authorize_role(Permission::FamilyFiles)?;
            caller.scope()
        }
    };
    let today = Date::from_unix_millis_cst(state.clock.now_ms());
    let date = match q.date.as_deref() {
        Some(d) => Date::parse_iso(d.trim())
            .ok_or_else(|| ApiError::field("date", "invalid_date", "日期格式应为 YYYY-MM-DD"))?,
        None => today,
    };
    let today = today.to_string();
    let mut conn = state.store.read().await?;
    let rows = family::due_for_review(
        &mut conn,
        scope,
        &date.to_string(),
        limit(q.limit, 200, 500),
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for f in rows {
        let h = households::get(&mut conn, f.household_id).await?;
        out.push(DueFileView {
            household_id: h.id,
            household_no: h.household_no,
            region_code: h.region_code,
            risk_level_name: risk_name(&f.risk_level),
            risk_level: f.risk_level,
            overdue: f.next_review_date < today,
            next_review_date: f.next_review_date,
        });
    }
    Ok(Json(out))
}
