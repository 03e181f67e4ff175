//! The in-app inbox, routing rules, and the operations endpoint that runs escalation now.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use wangge_core::region::RegionCode;
use wangge_core::role::Permission;
use wangge_store::{audit, notify, users, StoreError};

use crate::access::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::views::rfc3339;
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    pub case_id: Option<i64>,
    pub kind: String,
    pub message: String,
    pub created_at: String,
    pub read: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    pub unread: Option<bool>,
}

/// 我的消息（派单、退单、督办、上报、办结提醒）。
#[utoipa::path(get, path = "/api/v1/notifications", tag = "cases", params(InboxQuery),
    responses((status = 200, body = Vec<NotificationView>), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn inbox(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> ApiResult<Json<Vec<NotificationView>>> {
    let mut conn = state.store.read().await?;
    let rows = notify::inbox(&mut conn, caller.user_id, q.unread.unwrap_or(false), 200).await?;
    Ok(Json(
        rows.into_iter()
            .map(|n| NotificationView {
                id: n.id,
                case_id: n.case_id,
                kind: n.kind,
                message: n.message,
                created_at: rfc3339(n.created_at),
                read: n.read_at.is_some(),
            })
            .collect(),
    ))
}

/// 标记消息已读（只能是自己的消息）。
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "cases", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn mark_read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let mut conn = state.store.read().await?;
    notify::mark_read(&mut conn, caller.user_id, id, state.clock.now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoutingRuleView {
    pub id: i64,
    pub category_prefix: String,
    pub region_code: String,
    pub assignee_user_id: i64,
}

/// 分拨规则（分类 × 区划 → 承办人），派遣时未指定承办人则按最具体的规则分拨。
#[utoipa::path(get, path = "/api/v1/routing-rules", tag = "cases",
    responses((status = 200, body = Vec<RoutingRuleView>), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn list_rules(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<RoutingRuleView>>> {
    caller.authorize_role(Permission::ManageRouting)?;
    let mut conn = state.store.read().await?;
    let rules = notify::rules(&mut conn).await?;
    Ok(Json(
        rules
            .into_iter()
            .filter(|r| caller.covers(&r.region_code))
            .map(|r| RoutingRuleView {
                id: r.id,
                category_prefix: r.category_prefix,
                region_code: r.region_code,
                assignee_user_id: r.assignee_user_id,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRuleRequest {
    /// A category id or first-level prefix, e.g. `facilities` or `facilities.hydrant`.
    pub category_prefix: String,
    pub region_code: String,
    pub assignee_user_id: i64,
}

/// 新增分拨规则。
#[utoipa::path(post, path = "/api/v1/routing-rules", tag = "cases", request_body = NewRuleRequest,
    responses((status = 201, body = RoutingRuleView), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn add_rule(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewRuleRequest>,
) -> ApiResult<(StatusCode, Json<RoutingRuleView>)> {
    let region = RegionCode::parse("region_code", &req.region_code)?;
    caller.authorize(Permission::ManageRouting, region.as_str())?;
    let known = state.cases.catalogue.categories.iter().any(|p| {
        p.id == req.category_prefix || p.children.iter().any(|c| c.id == req.category_prefix)
    });
    if !known {
        return Err(ApiError::field(
            "category_prefix",
            "unknown_category",
            "未知的分类",
        ));
    }
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let assignee = match users::by_id(&mut tx, req.assignee_user_id).await {
        Ok(u) => u,
        Err(StoreError::NotFound) => {
            return Err(ApiError::field(
                "assignee_user_id",
                "unknown_user",
                "承办人不存在",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    if !assignee
        .regions
        .iter()
        .any(|r| RegionCode::parse("r", r).is_ok_and(|c| region.as_str().starts_with(c.prefix())))
    {
        return Err(ApiError::field(
            "assignee_user_id",
            "assignee_out_of_scope",
            "承办人的管辖范围不包含该区划",
        ));
    }
    let id = notify::add_rule(
        &mut tx,
        &req.category_prefix,
        region.as_str(),
        req.assignee_user_id,
        now,
    )
    .await?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "routing_rule.create",
            "routing_rule",
            id,
            region.as_str(),
            json!({"category_prefix": req.category_prefix, "assignee": req.assignee_user_id}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(RoutingRuleView {
            id,
            category_prefix: req.category_prefix,
            region_code: region.to_string(),
            assignee_user_id: req.assignee_user_id,
        }),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SweepView {
    /// Cases escalated because their level's time limit passed.
    pub escalated: usize,
}

/// 立即执行超时自动上报（服务器每分钟自动执行一次）。
#[utoipa::path(post, path = "/api/v1/system/sweep", tag = "cases",
    responses((status = 200, body = SweepView), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn sweep(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<SweepView>> {
    caller.authorize_role(Permission::RunSweep)?;
    Ok(Json(SweepView {
        escalated: crate::cases::escalate::sweep(&state).await?,
    }))
}
