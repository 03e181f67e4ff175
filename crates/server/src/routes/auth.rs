//! Login, logout, the current user, password change and API tokens.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use wangge_core::password::check_strength;
use wangge_store::{audit, sessions, users, StoreError};

use crate::access::{
    audit_entry, AuthKind, Caller, RequestCtx, API_TOKEN_PREFIX, SESSION_COOKIE, SESSION_PREFIX,
};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::routes::users::UserView;
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Session token: send as `Authorization: Bearer …`. Browsers get it as an HttpOnly cookie too.
    pub token: String,
    /// Send as `X-CSRF-Token` on writes authenticated by the cookie.
    pub csrf_token: String,
    /// The session ends after this many seconds without a request.
    pub idle_timeout_seconds: i64,
    pub must_change_password: bool,
    pub user: UserView,
}

fn session_cookie(state: &AppState, token: &str, max_age: Option<i64>) -> HeaderValue {
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let age = max_age
        .map(|a| format!("; Max-Age={a}"))
        .unwrap_or_default();
    let v = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}{age}");
    HeaderValue::from_str(&v).unwrap_or(HeaderValue::from_static(""))
}

async fn open_session(
    state: &AppState,
    user_id: i64,
    tx: &mut wangge_store::Tx,
) -> ApiResult<(String, String)> {
    let token = wangge_crypto::token::generate(SESSION_PREFIX);
    let csrf = wangge_crypto::token::generate("csrf");
    let digest = wangge_crypto::token::digest(&token);
    sessions::create_session(tx, &digest, user_id, &csrf, state.clock.now_ms()).await?;
    Ok((token, csrf))
}

/// 登录：用户名和密码换取会话令牌。
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "用户名或密码错误", body = ErrorBody),
        (status = 423, description = "失败次数过多，账户暂时锁定", body = ErrorBody),
        (status = 422, description = "字段缺失或无效", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ctx: RequestCtx,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let now = state.clock.now_ms();
    let window_ms = state.settings.lockout_window_minutes * 60_000;
    let username = req.username.trim().to_string();
    if username.is_empty() {
        return Err(ApiError::field("username", "required", "请输入用户名"));
    }
    let mut conn = state.store.read().await?;
    let (failures, _) =
        sessions::login_failures_since(&mut conn, &username, now - window_ms).await?;
    if failures >= state.settings.lockout_threshold {
        return Err(ApiError::new(
            StatusCode::LOCKED,
            "account_locked",
            format!(
                "登录失败次数过多，账户已锁定，请{}分钟后再试",
                state.settings.lockout_window_minutes
            ),
        )
        .with_details(json!({"retry_after_seconds": window_ms / 1000})));
    }
    let user = match users::by_username(&mut conn, &username).await {
        Ok(u) => Some(u),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    drop(conn);
    // Verify against a dummy hash for unknown users, so timing does not reveal usernames.
    let hash = user
        .as_ref()
        .map(|u| u.row.password_hash.clone())
        .unwrap_or_else(|| wangge_crypto::password::dummy_hash().to_string());
    let password = req.password.clone();
    let ok = tokio::task::spawn_blocking(move || wangge_crypto::password::verify(&password, &hash))
        .await
        .map_err(ApiError::internal)?;
    let region = user
        .as_ref()
        .and_then(|u| u.regions.first().cloned())
        .unwrap_or_default();
    let mut tx = state.store.begin().await?;
    match user {
        Some(u) if ok && u.row.disabled == 0 => {
            sessions::clear_login_failures(&mut tx, &username).await?;
            let (token, csrf) = open_session(&state, u.row.id, &mut tx).await?;
            audit::append(
                &mut tx,
                audit_entry(
                    &ctx,
                    &username,
                    now,
                    "auth.login",
                    "user",
                    &u.row.id.to_string(),
                    &region,
                    json!({}),
                ),
            )
            .await?;
            tx.commit().await?;
            let body = LoginResponse {
                token: token.clone(),
                csrf_token: csrf,
                idle_timeout_seconds: state.settings.idle_timeout_minutes * 60,
                must_change_password: u.row.must_change_password != 0,
                user: UserView::from(&u),
            };
            let mut headers = HeaderMap::new();
            headers.insert(header::SET_COOKIE, session_cookie(&state, &token, None));
            Ok((headers, Json(body)).into_response())
        }
        _ => {
            sessions::record_login_failure(&mut tx, &username, &ctx.ip, now).await?;
            audit::append(
                &mut tx,
                audit_entry(
                    &ctx,
                    &username,
                    now,
                    "auth.login_failed",
                    "user",
                    "",
                    &region,
                    json!({}),
                ),
            )
            .await?;
            tx.commit().await?;
            Err(ApiError::unauthorized(
                "invalid_credentials",
                "用户名或密码错误",
            ))
        }
    }
}

/// 退出登录：结束当前会话。
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    let mut tx = state.store.begin().await?;
    if let Some(h) = &caller.session_hash {
        sessions::delete_session(&mut tx, h).await?;
    }
    let now = state.clock.now_ms();
    let region = caller
        .regions
        .first()
        .map(|r| r.to_string())
        .unwrap_or_default();
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "auth.logout",
            "user",
            caller.user_id,
            &region,
            json!({}),
        ),
    )
    .await?;
    tx.commit().await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, session_cookie(&state, "", Some(0)));
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

/// 当前用户。
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<UserView>> {
    let mut conn = state.store.read().await?;
    let u = users::by_id(&mut conn, caller.user_id).await?;
    Ok(Json(UserView::from(&u)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CsrfResponse {
    /// Send as `X-CSRF-Token` on writes authenticated by the session cookie.
    pub csrf_token: String,
}

/// 当前会话的CSRF令牌（网页刷新后取回；跨站页面读不到本站的应答，所以令牌不外泄）。
#[utoipa::path(get, path = "/api/v1/auth/csrf", tag = "auth",
    responses((status = 200, body = CsrfResponse), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn csrf(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<CsrfResponse>> {
    let Some(digest) = caller.session_hash.as_deref() else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "not_a_session",
            "API令牌不使用CSRF令牌",
        ));
    };
    let mut conn = state.store.read().await?;
    let s = sessions::session(&mut conn, digest).await?;
    Ok(Json(CsrfResponse {
        csrf_token: s.csrf_token,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub old_password: String,
    pub new_password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePasswordResponse {
    /// A fresh session: all earlier sessions of the user have ended.
    pub token: String,
    pub csrf_token: String,
}

/// 修改密码（首次登录须先修改初始密码）。
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth",
    request_body = ChangePasswordRequest,
    responses((status = 200, body = ChangePasswordResponse), (status = 422, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> ApiResult<Response> {
    check_strength("new_password", &req.new_password, &caller.username)?;
    if req.new_password == req.old_password {
        return Err(ApiError::field(
            "new_password",
            "password_unchanged",
            "新密码不能与原密码相同",
        ));
    }
    let mut conn = state.store.read().await?;
    let u = users::by_id(&mut conn, caller.user_id).await?;
    drop(conn);
    let (old, stored, new) = (
        req.old_password.clone(),
        u.row.password_hash.clone(),
        req.new_password.clone(),
    );
    let (ok, new_hash) = tokio::task::spawn_blocking(move || {
        (
            wangge_crypto::password::verify(&old, &stored),
            wangge_crypto::password::hash(&new),
        )
    })
    .await
    .map_err(ApiError::internal)?;
    if !ok {
        return Err(ApiError::field(
            "old_password",
            "password_incorrect",
            "原密码不正确",
        ));
    }
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    users::set_password(&mut tx, caller.user_id, &new_hash, false, now).await?;
    sessions::delete_user_sessions(&mut tx, caller.user_id).await?;
    let (token, csrf) = open_session(&state, caller.user_id, &mut tx).await?;
    let region = caller
        .regions
        .first()
        .map(|r| r.to_string())
        .unwrap_or_default();
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "auth.password_changed",
            "user",
            caller.user_id,
            &region,
            json!({}),
        ),
    )
    .await?;
    tx.commit().await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, session_cookie(&state, &token, None));
    Ok((
        headers,
        Json(ChangePasswordResponse {
            token,
            csrf_token: csrf,
        }),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    /// What the token is for, e.g. "12345 对接" or a device name.
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreateTokenResponse {
    pub id: i64,
    pub label: String,
    /// Shown once. Works as `Authorization: Bearer …` and as an Open311 `api_key`.
    pub token: String,
}

/// 为自己创建一个API令牌（供系统对接、设备使用；只显示一次）。
#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "auth",
    request_body = CreateTokenRequest,
    responses((status = 201, body = CreateTokenResponse), (status = 422, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateTokenRequest>,
) -> ApiResult<(StatusCode, Json<CreateTokenResponse>)> {
    let label = req.label.trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(ApiError::field(
            "label",
            "length",
            "令牌用途须为1至100个字符",
        ));
    }
    if caller.auth == AuthKind::ApiToken {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "API令牌不能再创建令牌，请登录后操作",
        ));
    }
    let now = state.clock.now_ms();
    let token = wangge_crypto::token::generate(API_TOKEN_PREFIX);
    let mut tx = state.store.begin().await?;
    let id = sessions::create_token(
        &mut tx,
        caller.user_id,
        label,
        &wangge_crypto::token::digest(&token),
        now,
    )
    .await?;
    let region = caller
        .regions
        .first()
        .map(|r| r.to_string())
        .unwrap_or_default();
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "token.create",
            "api_token",
            id,
            &region,
            json!({"label": label}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(CreateTokenResponse {
            id,
            label: label.to_string(),
            token,
        }),
    ))
}
