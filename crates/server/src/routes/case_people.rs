//! The people around a case, for the console: whom a dispatcher may send it to, and the
//! unmasked phone numbers and 身份证号 of its reporter and parties (reason asked, audited)
//! for those who must phone or visit them.

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use wangge_core::region::RegionCode;
use wangge_core::role::{Permission, Role};
use wangge_core::workflow::{Effect, Field};
use wangge_store::{audit, cases, users};

use crate::access::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::routes::cases::load_visible;
use crate::routes::residents::RevealRequest;
use crate::AppState;

/// The most candidates one answer lists (a county has a few hundred handlers at most).
const MAX_CANDIDATES: i64 = 500;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AssigneeQuery {
    /// The action that needs an assignee (派遣 `dispatch`, 分派 `assign`…); default: the
    /// first such action the caller may take now.
    pub action: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssigneeView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub role_name: String,
    /// Region subtrees the user is scoped to.
    pub regions: Vec<String>,
}

/// 可派遣的承办人：其角色能办理派遣后的环节、管辖范围包含该事件所在区划（仅对当前可派遣的人开放）。
#[utoipa::path(get, path = "/api/v1/cases/{id}/assignees", tag = "cases",
    params(("id" = i64, Path), AssigneeQuery),
    responses((status = 200, body = Vec<AssigneeView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn assignees(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<AssigneeQuery>,
) -> ApiResult<Json<Vec<AssigneeView>>> {
    let mut conn = state.store.read().await?;
    let case = load_visible(&mut conn, &caller, id).await?;
    let wf = state
        .cases
        .workflows
        .get(&case.case_type)
        .ok_or_else(|| ApiError::internal("unknown case type"))?;
    if case.merged_into.is_some() {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "case_merged",
            "该事件已合并到其他事件，请在主事件上办理",
        ));
    }
    // Only someone who may dispatch now learns whom to: the list follows the workflow.
    let allowed = wf.allowed(&case.state, caller.role);
    let action = match q.action.as_deref() {
        Some(a) => {
            if wf.action(a).is_none_or(|x| !x.requires(Field::Assignee)) {
                return Err(ApiError::field(
                    "action",
                    "invalid_value",
                    format!("动作“{a}”不需要指定承办人"),
                ));
            }
            allowed.into_iter().find(|x| x.id == a)
        }
        None => allowed.into_iter().find(|x| x.requires(Field::Assignee)),
    }
    .ok_or_else(|| ApiError::forbidden("在当前环节派遣该事件"))?;
    // Whoever works the state the case lands in: the roles of the actions leading on from it.
    let target = action.to.as_deref().unwrap_or(&case.state);
    let mut roles: Vec<&str> = Vec::new();
    for a in wf
        .actions
        .iter()
        .filter(|a| a.fires_from(target) && a.to.is_some())
    {
        if matches!(
            a.effect,
            Effect::Dispatch
                | Effect::Reassign
                | Effect::Escalate
                | Effect::Supervise
                | Effect::Cancel
        ) {
            continue;
        }
        for r in &a.roles {
            if !roles.contains(&r.as_str()) {
                roles.push(r.as_str());
            }
        }
    }
    // The case's region and every region above it: users scoped there cover the case.
    let mut codes = Vec::new();
    let mut code = RegionCode::parse("region_code", &case.region_code).ok();
    while let Some(c) = code {
        codes.push(c.as_str().to_string());
        code = c.parent();
    }
    let list = users::covering(&mut conn, &codes, &roles, MAX_CANDIDATES).await?;
    Ok(Json(
        list.into_iter()
            .filter_map(|u| {
                let role = Role::parse(&u.row.role)?;
                Some(AssigneeView {
                    id: u.row.id,
                    username: u.row.username,
                    display_name: u.row.display_name,
                    role,
                    role_name: role.name_zh().to_string(),
                    regions: u.regions,
                })
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevealedParty {
    pub id: i64,
    pub role: String,
    pub name: String,
    /// Unmasked. This view was written to the audit log.
    pub id_number: Option<String>,
    /// Unmasked. This view was written to the audit log.
    pub phone: Option<String>,
    pub uscc: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevealedCase {
    pub id: i64,
    pub reporter_name: Option<String>,
    /// Unmasked. This view was written to the audit log.
    pub reporter_phone: Option<String>,
    pub parties: Vec<RevealedParty>,
}

fn decrypt(state: &AppState, field: &str, data: Option<&Vec<u8>>) -> ApiResult<Option<String>> {
    data.map(|d| state.cipher.decrypt(field, d).map_err(ApiError::internal))
        .transpose()
}

/// 查看事件反映人和当事人的完整电话、身份证号（须说明原因；每次查看都记入审计日志）。
#[utoipa::path(post, path = "/api/v1/cases/{id}/reveal", tag = "cases",
    params(("id" = i64, Path)), request_body = RevealRequest,
    responses((status = 200, body = RevealedCase), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn reveal_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<RevealRequest>,
) -> ApiResult<Json<RevealedCase>> {
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let case = load_visible(&mut tx, &caller, id).await?;
    caller.authorize(Permission::RevealPersonalData, &case.region_code)?;
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(ApiError::field(
            "reason",
            "required",
            "请填写查看原因（1至200个字符）",
        ));
    }
    let mut parties = Vec::new();
    for p in cases::parties(&mut tx, id).await? {
        parties.push(RevealedParty {
            id: p.id,
            role: p.role,
            name: p.name,
            id_number: decrypt(&state, "id_number", p.id_number_enc.as_ref())?,
            phone: decrypt(&state, "phone", p.phone_enc.as_ref())?,
            uscc: p.uscc,
        });
    }
    let out = RevealedCase {
        id,
        reporter_name: case.reporter_name.clone(),
        reporter_phone: decrypt(&state, "phone", case.reporter_phone_enc.as_ref())?,
        parties,
    };
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "case.reveal",
            "case",
            id,
            &case.region_code,
            json!({"reason": reason, "fields": ["reporter_phone", "parties.id_number", "parties.phone"]}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(out))
}
