//! Reading and verifying the audit log.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use wangge_core::role::Permission;
use wangge_store::audit::{self, AuditFilter, Verdict};

use crate::access::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::views::rfc3339;
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub seq: i64,
    /// The hash chain the entry is sealed onto (one per writing server process).
    pub chain: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub region_code: String,
    pub ip: String,
    pub request_id: String,
    #[schema(value_type = Object)]
    pub details: Value,
    pub hash: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// Entries with a sequence number below this (paging backwards).
    pub before: Option<i64>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

/// 审计日志（新到旧；本级及下级范围内）。
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Vec<AuditView>), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditView>>> {
    caller.authorize_role(Permission::ReadAudit)?;
    let filter = AuditFilter {
        actor: q.actor.as_deref(),
        target_type: q.target_type.as_deref(),
        target_id: q.target_id.as_deref(),
        action: q.action.as_deref(),
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let mut conn = state.store.read().await?;
    let entries = audit::list(&mut conn, caller.scope(), &filter, limit, q.before).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AuditView {
                seq: e.seq,
                chain: e.chain,
                at: rfc3339(e.at_ms),
                details: serde_json::from_str(&e.details).unwrap_or(Value::String(e.details)),
                actor: e.actor,
                action: e.action,
                target_type: e.target_type,
                target_id: e.target_id,
                region_code: e.region_code,
                ip: e.ip,
                request_id: e.request_id,
                hash: e.hash,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyView {
    pub intact: bool,
    pub entries: Option<u64>,
    /// The sequence number of the entry where a chain breaks (none when it is missing).
    pub first_bad_seq: Option<i64>,
    /// The chain that breaks, and the position on it.
    pub chain: Option<i64>,
    pub position: Option<i64>,
    pub reason: Option<String>,
}

/// 校验审计日志哈希链是否完整。
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = VerifyView), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn verify_audit(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<VerifyView>> {
    caller.authorize_role(Permission::ReadAudit)?;
    let mut conn = state.store.read().await?;
    let store_key = state.store.audit_key();
    Ok(Json(match audit::verify(&mut conn, store_key).await? {
        Verdict::Intact { entries } => VerifyView {
            intact: true,
            entries: Some(entries),
            first_bad_seq: None,
            chain: None,
            position: None,
            reason: None,
        },
        Verdict::Broken(b) => VerifyView {
            intact: false,
            entries: None,
            first_bad_seq: b.seq,
            chain: Some(b.chain),
            position: Some(b.position),
            reason: Some(b.reason.to_string()),
        },
    }))
}
