//! Users and their scopes. Administrators manage users only inside their own regions.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use wangge_core::password::check_strength;
use wangge_core::region::RegionCode;
use wangge_core::role::{Permission, Role};
use wangge_store::users::{self, NewUser, User};
use wangge_store::{audit, regions, StoreError};

use crate::access::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::views::{rfc3339, Page, PageQuery};
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// 角色中文名。
    pub role_name: String,
    /// Region subtrees the user is scoped to.
    pub regions: Vec<String>,
    pub must_change_password: bool,
    pub disabled: bool,
    pub created_at: String,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        let role = Role::parse(&u.row.role).unwrap_or(Role::Enterprise);
        Self {
            id: u.row.id,
            username: u.row.username.clone(),
            display_name: u.row.display_name.clone(),
            role,
            role_name: role.name_zh().to_string(),
            regions: u.regions.clone(),
            must_change_password: u.row.must_change_password != 0,
            disabled: u.row.disabled != 0,
            created_at: rfc3339(u.row.created_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserListQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// 用户列表（本级及下级范围内）。
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserListQuery),
    responses((status = 200, body = Page<UserView>), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<UserListQuery>,
) -> ApiResult<Json<Page<UserView>>> {
    caller.authorize_role(Permission::ManageUsers)?;
    let (limit, offset) = PageQuery::limit_offset(q.page, q.per_page);
    let mut conn = state.store.read().await?;
    let list = users::list(&mut conn, caller.scope(), limit, offset).await?;
    let items: Vec<UserView> = list
        .iter()
        .filter(|u| user_visible(&caller, u))
        .map(UserView::from)
        .collect();
    Ok(Json(Page {
        total: items.len() as i64,
        items,
        page: q.page.unwrap_or(1).max(1),
        per_page: limit,
    }))
}

/// A user is visible when every region of theirs lies in the caller's scope, so an
/// administrator of one village never sees (or changes) a county-wide account.
fn user_visible(caller: &Caller, u: &User) -> bool {
    !u.regions.is_empty() && u.regions.iter().all(|r| caller.covers(r))
}

/// 查看用户。
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = i64, Path)),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<UserView>> {
    let mut conn = state.store.read().await?;
    let u = users::by_id(&mut conn, id).await?;
    if !user_visible(&caller, &u) {
        return Err(ApiError::not_found());
    }
    caller.authorize_role(Permission::ManageUsers)?;
    Ok(Json(UserView::from(&u)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub username: String,
    pub display_name: String,
    /// 初始密码：≥8位，含大写、小写、数字、符号中至少三类；用户首次登录须修改。
    pub password: String,
    pub role: Role,
    /// 权限范围：一个或多个区划代码（必须在创建者的范围内）。
    pub regions: Vec<String>,
}

/// 新增用户（首次登录须修改初始密码）。
#[utoipa::path(post, path = "/api/v1/users", tag = "users",
    request_body = CreateUserRequest,
    responses((status = 201, body = UserView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let username = req.username.trim();
    let valid_name = (3..=32).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
    if !valid_name {
        return Err(ApiError::field(
            "username",
            "username_format",
            "用户名须为3至32位字母、数字、下划线、点或连字符",
        ));
    }
    let display_name = req.display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 50 {
        return Err(ApiError::field(
            "display_name",
            "length",
            "姓名须为1至50个字符",
        ));
    }
    check_strength("password", &req.password, username)?;
    if req.regions.is_empty() {
        return Err(ApiError::field(
            "regions",
            "required",
            "至少指定一个权限范围区划",
        ));
    }
    let mut codes = Vec::new();
    for (i, c) in req.regions.iter().enumerate() {
        let code = RegionCode::parse(&format!("regions[{i}]"), c)?;
        caller.authorize(Permission::ManageUsers, code.as_str())?;
        codes.push(code.to_string());
    }
    let password = req.password.clone();
    let hash = tokio::task::spawn_blocking(move || wangge_crypto::password::hash(&password))
        .await
        .map_err(ApiError::internal)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    for (i, c) in codes.iter().enumerate() {
        if let Err(StoreError::NotFound) = regions::get(&mut tx, c).await {
            return Err(ApiError::field(
                &format!("regions[{i}]"),
                "region_unknown",
                format!("区划{c}不存在"),
            ));
        }
    }
    let new = NewUser {
        username,
        display_name,
        role: req.role.as_str(),
        password_hash: &hash,
        must_change_password: true,
        regions: &codes,
    };
    let id = match users::create(&mut tx, &new, now).await {
        Err(StoreError::Conflict(_)) => {
            return Err(
                ApiError::new(StatusCode::CONFLICT, "username_taken", "用户名已存在")
                    .with_details(json!({"field": "username", "reason": "username_taken"})),
            )
        }
        r => r?,
    };
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "user.create",
            "user",
            id,
            &codes[0],
            json!({"username": username, "role": req.role.as_str(), "regions": codes}),
        ),
    )
    .await?;
    let u = users::by_id(&mut tx, id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&u))))
}
