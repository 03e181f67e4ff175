//! Who is calling, and the one place that decides what they may touch.
//!
//! [`Caller`] is extracted from every authenticated request (bearer token or session
//! cookie). Handlers never compare regions or roles themselves: they call
//! [`Caller::authorize`] with the permission and the region of the object, or pass
//! [`Caller::scope`] to the store so lists only ever contain what the caller may see.
//! Anything outside the caller's regions answers 404, so its existence does not leak.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use serde_json::Value;
use wangge_core::audit::AuditEntry;
use wangge_core::region::RegionCode;
use wangge_core::role::{Permission, Role};
use wangge_store::{sessions, users, StoreError};

use crate::error::ApiError;
use crate::{AppState, REQUEST_ID};

pub const SESSION_COOKIE: &str = "wangge_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const SESSION_PREFIX: &str = "wgs";
pub const API_TOKEN_PREFIX: &str = "wgt";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// A web session (bearer or cookie); subject to idle timeout.
    Session,
    /// A long-lived API token for integrations and devices.
    ApiToken,
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    pub regions: Vec<RegionCode>,
    ranges: Vec<(String, String)>,
    pub auth: AuthKind,
    /// SHA-256 of the session token, for logout.
    pub session_hash: Option<String>,
    pub ctx: RequestCtx,
}

/// Where a request came from, for audit entries.
#[derive(Debug, Clone, Default)]
pub struct RequestCtx {
    pub ip: String,
    pub request_id: String,
}

impl RequestCtx {
    pub fn from_parts(parts: &Parts) -> Self {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "local".into());
        let request_id = parts
            .headers
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        Self { ip, request_id }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestCtx {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestCtx::from_parts(parts))
    }
}

/// What a permission is called in a refusal ("您的角色无权…").
fn describe(p: Permission) -> &'static str {
    match p {
        Permission::ReadRegions => "查看区划",
        Permission::ManageRegions => "维护区划与网格",
        Permission::ManageUsers => "管理用户",
        Permission::ReadPeople => "查看人员信息",
        Permission::WritePeople => "维护人员信息",
        Permission::RevealPersonalData => "查看完整的身份证号和电话",
        Permission::ReadAudit => "查看审计日志",
        Permission::ReadCases => "查看事件",
        Permission::CreateCases => "登记事件",
        Permission::MergeCases => "合并重复事件",
        Permission::ManageRouting => "维护分拨规则",
        Permission::ReadStats => "查看统计",
        Permission::RunSweep => "执行超时升级",
        Permission::ManageGrids => "维护网格、三长与巡查计划",
        Permission::FieldWork => "记录走访、巡查和民情日记",
        Permission::FamilyFiles => "查看或维护家庭家事档案",
        Permission::Mediate => "调解纠纷",
        Permission::GiveLegalAdvice => "提供法律意见",
    }
}

impl Caller {
    pub fn new(
        user: &users::User,
        role: Role,
        auth: AuthKind,
        session_hash: Option<String>,
        ctx: RequestCtx,
    ) -> Self {
        let regions: Vec<RegionCode> = user
            .regions
            .iter()
            .filter_map(|c| RegionCode::parse("region", c).ok())
            .collect();
        let ranges = regions.iter().map(RegionCode::subtree_range).collect();
        Self {
            user_id: user.row.id,
            username: user.row.username.clone(),
            role,
            regions,
            ranges,
            auth,
            session_hash,
            ctx,
        }
    }

    /// Whether `code` lies in one of the caller's region subtrees.
    pub fn covers(&self, code: &str) -> bool {
        self.ranges
            .iter()
            .any(|(lo, hi)| code >= lo.as_str() && code < hi.as_str())
    }

    /// The check every read and write of a region-bound object passes: outside the
    /// caller's regions → 404; inside but not allowed to the role → 403.
    pub fn authorize(&self, permission: Permission, region_code: &str) -> Result<(), ApiError> {
        if !self.covers(region_code) {
            return Err(ApiError::not_found());
        }
        self.authorize_role(permission)
    }

    /// For lists and other requests not bound to one object; the store then filters by
    /// [`Caller::scope`].
    pub fn authorize_role(&self, permission: Permission) -> Result<(), ApiError> {
        if self.role.may(permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden(describe(permission)))
        }
    }

    /// The caller's subtrees as key ranges, for store queries.
    pub fn scope(&self) -> Option<&[(String, String)]> {
        Some(&self.ranges)
    }

    /// An audit entry by this caller; sealed onto the chain by the store.
    pub fn audit(
        &self,
        now_ms: i64,
        action: &str,
        target_type: &str,
        target_id: impl ToString,
        region_code: &str,
        details: Value,
    ) -> AuditEntry {
        audit_entry(
            &self.ctx,
            &self.username,
            now_ms,
            action,
            target_type,
            &target_id.to_string(),
            region_code,
            details,
        )
    }
}

#[allow(clippy::too_many_arguments)]
pub fn audit_entry(
    ctx: &RequestCtx,
    actor: &str,
    now_ms: i64,
    action: &str,
    target_type: &str,
    target_id: &str,
    region_code: &str,
    details: Value,
) -> AuditEntry {
    AuditEntry {
        seq: 0,
        chain: 0,
        chain_seq: 0,
        at_ms: now_ms,
        actor: actor.to_string(),
        action: action.to_string(),
        target_type: target_type.to_string(),
        target_id: target_id.to_string(),
        region_code: region_code.to_string(),
        ip: ctx.ip.clone(),
        request_id: ctx.request_id.clone(),
        details: details.to_string(),
        prev_hash: String::new(),
        hash: String::new(),
    }
}

fn cookie_value<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Paths a user who must change the initial password may still use.
const ALLOWED_BEFORE_PASSWORD_CHANGE: [&str; 4] = [
    "/api/v1/auth/password",
    "/api/v1/auth/me",
    "/api/v1/auth/csrf",
    "/api/v1/auth/logout",
];

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ctx = RequestCtx::from_parts(parts);
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        let (token, from_cookie) = match (bearer, cookie_value(parts, SESSION_COOKIE)) {
            (Some(t), _) => (t.to_string(), false),
            (None, Some(c)) => (c.to_string(), true),
            (None, None) => {
                return Err(ApiError::unauthorized("unauthenticated", "请先登录"));
            }
        };
        let digest = wangge_crypto::token::digest(&token);
        let now = state.clock.now_ms();
        let mut conn = state.store.read().await?;
        let (user_id, auth, session_hash) = if token.starts_with(SESSION_PREFIX) {
            let s = match sessions::session(&mut conn, &digest).await {
                Ok(s) => s,
                Err(StoreError::NotFound) => {
                    return Err(ApiError::unauthorized(
                        "invalid_token",
                        "登录已失效，请重新登录",
                    ))
                }
                Err(e) => return Err(e.into()),
            };
            let idle_ms = state.settings.idle_timeout_minutes * 60_000;
            if now - s.last_seen_at > idle_ms {
                sessions::delete_session(&mut conn, &digest).await?;
                return Err(ApiError::unauthorized(
                    "session_expired",
                    "长时间未操作，登录已超时，请重新登录",
                ));
            }
            let unsafe_method =
                !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            if from_cookie && unsafe_method {
                let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
                let ok = sent.is_some_and(|t| {
                    wangge_crypto::token::digest(t) == wangge_crypto::token::digest(&s.csrf_token)
                });
                if !ok {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "csrf_failed",
                        "请求缺少有效的CSRF令牌，请刷新页面后重试",
                    ));
                }
            }
            // Idle time is kept to the minute; skipping the write otherwise keeps reads
            // from queueing behind the write lock (SQLite takes it even for an UPDATE that
            // changes nothing).
            if now - s.last_seen_at >= 60_000 {
                sessions::touch_session(&mut conn, &digest, now).await?;
            }
            (s.user_id, AuthKind::Session, Some(digest))
        } else if token.starts_with(API_TOKEN_PREFIX) {
            match sessions::token_user(&mut conn, &digest).await {
                Ok(uid) => (uid, AuthKind::ApiToken, None),
                Err(StoreError::NotFound) => {
                    return Err(ApiError::unauthorized(
                        "invalid_token",
                        "API令牌无效或已吊销",
                    ))
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            return Err(ApiError::unauthorized("invalid_token", "令牌格式无效"));
        };
        let user = users::by_id(&mut conn, user_id).await?;
        if user.row.disabled != 0 {
            return Err(ApiError::unauthorized("account_disabled", "账户已停用"));
        }
        let role = Role::parse(&user.row.role)
            .ok_or_else(|| ApiError::internal(format!("unknown role {}", user.row.role)))?;
        // API tokens too: an account still on its initial password acts nowhere (create
        // integration accounts with a changed password, or `user add --no-password-change`).
        if user.row.must_change_password != 0
            && !ALLOWED_BEFORE_PASSWORD_CHANGE.contains(&parts.uri.path())
        {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "首次登录须先修改初始密码",
            ));
        }
        Ok(Caller::new(&user, role, auth, session_hash, ctx))
    }
}

/// Whether an account may act at all (used where a caller is built outside the extractor,
/// such as Open311's `api_key`).
pub fn may_act(user: &users::User) -> bool {
    user.row.disabled == 0 && user.row.must_change_password == 0
}
