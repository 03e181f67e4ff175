//! The region tree: a node with its children, the caller's roots, and adding grids and
//! the 片/组/邻 levels below a village.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use wangge_core::region::{Level, RegionCode};
use wangge_core::role::Permission;
use wangge_store::regions::{self, Region};
use wangge_store::{audit, StoreError};

use crate::access::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct RegionSummary {
    pub code: String,
    pub name: String,
    pub level: Level,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegionView {
    pub code: String,
    pub name: String,
    pub level: Level,
    /// 层级中文名，如“乡镇/街道”。
    pub level_name: String,
    pub parent_code: Option<String>,
    /// Direct children, ordered by code.
    pub children: Vec<RegionSummary>,
}

fn level_of(r: &Region) -> Level {
    Level::parse(&r.level).unwrap_or(Level::Village)
}

fn summary(r: Region) -> RegionSummary {
    RegionSummary {
        level: level_of(&r),
        code: r.code,
        name: r.name,
    }
}

/// 某个区划及其直接下级。
#[utoipa::path(get, path = "/api/v1/regions/{code}", tag = "regions",
    params(("code" = String, Path, description = "12位区划代码（网格15位，片17位，组19位，邻21位）；也接受2/4/6/9位简写")),
    responses((status = 200, body = RegionView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn get_region(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<Json<RegionView>> {
    let code = RegionCode::parse("code", &code)?;
    caller.authorize(Permission::ReadRegions, code.as_str())?;
    let mut conn = state.store.read().await?;
    let r = regions::get(&mut conn, code.as_str()).await?;
    let children = regions::children(&mut conn, code.as_str()).await?;
    let level = level_of(&r);
    Ok(Json(RegionView {
        code: r.code,
        name: r.name,
        level,
        level_name: level.name_zh().to_string(),
        parent_code: r.parent_code,
        children: children.into_iter().map(summary).collect(),
    }))
}

/// 当前用户权限范围内的顶层区划。
#[utoipa::path(get, path = "/api/v1/regions", tag = "regions",
    responses((status = 200, body = Vec<RegionSummary>), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn scope_roots(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<RegionSummary>>> {
    caller.authorize_role(Permission::ReadRegions)?;
    let mut conn = state.store.read().await?;
    let mut out = Vec::new();
    for code in &caller.regions {
        match regions::get(&mut conn, code.as_str()).await {
            Ok(r) => out.push(summary(r)),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRegionRequest {
    /// The new node's code; its parent must exist and lie in the caller's scope.
    pub code: String,
    pub name: String,
}

/// 新增或更名区划节点（如网格、片、组、邻）。
#[utoipa::path(post, path = "/api/v1/regions", tag = "regions",
    request_body = CreateRegionRequest,
    responses((status = 201, body = RegionSummary), (status = 200, description = "已存在，已更名", body = RegionSummary),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn create_region(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateRegionRequest>,
) -> ApiResult<(StatusCode, Json<RegionSummary>)> {
    let code = RegionCode::parse("code", &req.code)?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::field("name", "length", "名称须为1至100个字符"));
    }
    let parent = code.parent().ok_or_else(|| {
        ApiError::field("code", "region_is_root", "不能新增省级区划，请用导入命令")
    })?;
    // Both the node and its parent must be inside the caller's subtrees.
    caller.authorize(Permission::ManageRegions, code.as_str())?;
    caller.authorize(Permission::ManageRegions, parent.as_str())?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    match regions::get(&mut tx, parent.as_str()).await {
        Err(StoreError::NotFound) => {
            return Err(ApiError::field(
                "code",
                "parent_missing",
                format!("上级区划{parent}不存在"),
            ))
        }
        r => r?,
    };
    let region = Region {
        code: code.to_string(),
        name: name.to_string(),
        level: code.level().as_str().to_string(),
        parent_code: Some(parent.to_string()),
    };
    let created = regions::upsert(&mut tx, &region, now).await?;
    let action = if created {
        "region.create"
    } else {
        "region.rename"
    };
    audit::append(
        &mut tx,
        caller.audit(
            now,
            action,
            "region",
            &region.code,
            &region.code,
            json!({"name": name}),
        ),
    )
    .await?;
    tx.commit().await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(summary(region))))
}
