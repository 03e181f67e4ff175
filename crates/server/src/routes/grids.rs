//! Grids: boundaries (GeoJSON in and out), point → grid lookup, the 网格员 and 三长 posts,
//! and the coverage report.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};
use wangge_core::geo::{feature_collection, parse_feature_collection, Boundary};
use wangge_core::phone::Phone;
use wangge_core::region::{Level, RegionCode};
use wangge_core::role::Permission;
use wangge_store::grids::{self, GridRow, PostRow};
use wangge_store::{audit, regions, StoreError};

use crate::access::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::grids::bump_version;
use crate::AppState;

fn grid_code(field: &str, s: &str) -> ApiResult<RegionCode> {
    let c = RegionCode::parse(field, s)?;
    if c.level() != Level::Grid {
        return Err(ApiError::field(field, "not_a_grid", "须为网格代码（15位）"));
    }
    Ok(c)
}

fn grid_row(code: &str, b: &Boundary, now: i64) -> GridRow {
    let (min, max) = b.bbox();
    GridRow {
        code: code.to_string(),
        boundary: b.to_geojson_geometry().to_string(),
        min_lng: min.lng,
        min_lat: min.lat,
        max_lng: max.lng,
        max_lat: max.lat,
        area_m2: b.area_m2(),
        updated_at: now,
    }
}

async fn require_grid(tx: &mut wangge_store::Tx, field: &str, code: &str) -> ApiResult<()> {
    match regions::get(tx, code).await {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound) => Err(ApiError::field(
            field,
            "region_unknown",
            format!("区划{code}不存在，请先新增"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// 设置网格边界（GeoJSON Polygon 或 MultiPolygon，经纬度 WGS84）。
#[utoipa::path(put, path = "/api/v1/grids/{code}/boundary", tag = "grids", params(("code" = String, Path)),
    request_body(content = Object, description = "GeoJSON geometry"),
    responses((status = 200, body = Object), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn put_boundary(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiJson(geometry): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let code = grid_code("code", &code)?;
    caller.authorize(Permission::ManageGrids, code.as_str())?;
    let b = Boundary::from_geojson_geometry(&geometry).map_err(|e| {
        ApiError::field(
            &format!("geometry.{}", e.path),
            "geometry_invalid",
            e.message,
        )
    })?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    require_grid(&mut tx, "code", code.as_str()).await?;
    grids::put_boundary(&mut tx, &grid_row(code.as_str(), &b, now)).await?;
    bump_version(&mut tx, now).await?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "grid.boundary",
            "grid",
            code.as_str(),
            code.as_str(),
            json!({"area_m2": b.area_m2().round()}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(
        json!({"code": code.as_str(), "area_m2": b.area_m2(), "geometry": b.to_geojson_geometry()}),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RegionQuery {
    /// Region subtree (must lie in the caller's scope).
    pub region: String,
}

/// 导出网格边界（GeoJSON FeatureCollection，properties 含 code 与 name）。
#[utoipa::path(get, path = "/api/v1/grids", tag = "grids", params(RegionQuery),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RegionQuery>,
) -> ApiResult<Json<Value>> {
    let region = RegionCode::parse("region", &q.region)?;
    caller.authorize(Permission::ReadRegions, region.as_str())?;
    let (lo, hi) = region.subtree_range();
    let mut conn = state.store.read().await?;
    let mut items = Vec::new();
    for g in grids::boundaries(&mut conn, &lo, &hi).await? {
        let v: Value = serde_json::from_str(&g.boundary).map_err(ApiError::internal)?;
        let b = Boundary::from_geojson_geometry(&v).map_err(ApiError::internal)?;
        let name = regions::get(&mut conn, &g.code)
            .await
            .map(|r| r.name)
            .unwrap_or_default();
        items.push((g.code, name, b));
    }
    Ok(Json(feature_collection(&items)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub imported: usize,
}

/// 批量导入网格边界（GeoJSON FeatureCollection，每个要素的 properties.code 为网格代码）；全部成功或全部不导入。
#[utoipa::path(post, path = "/api/v1/grids/import", tag = "grids",
    request_body(content = Object, description = "GeoJSON FeatureCollection"),
    responses((status = 200, body = ImportReport), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(fc): ApiJson<Value>,
) -> ApiResult<Json<ImportReport>> {
    caller.authorize_role(Permission::ManageGrids)?;
    let features = parse_feature_collection(&fc)
        .map_err(|e| ApiError::field(&e.path, "geometry_invalid", e.message))?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    for (i, (code, _, b)) in features.iter().enumerate() {
        let field = format!("features[{i}].properties.code");
        let c = grid_code(&field, code)?;
        caller.authorize(Permission::ManageGrids, c.as_str())?;
        require_grid(&mut tx, &field, c.as_str()).await?;
        grids::put_boundary(&mut tx, &grid_row(c.as_str(), b, now)).await?;
    }
    bump_version(&mut tx, now).await?;
    let first = features.first().map(|f| f.0.clone()).unwrap_or_default();
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "grid.import",
            "grid",
            &first,
            &first,
            json!({"features": features.len()}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(ImportReport {
        imported: features.len(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LocateQuery {
    pub lng: f64,
    pub lat: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Located {
    /// The grid containing the point; absent when the point lies in no grid (or in a grid outside your scope).
    pub grid: Option<String>,
    pub name: Option<String>,
    pub village: Option<String>,
}

/// 坐标定位网格（登记事件时据此自动填写区划）。
#[utoipa::path(get, path = "/api/v1/grids/locate", tag = "grids", params(LocateQuery),
    responses((status = 200, body = Located), (status = 400, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn locate(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<LocateQuery>,
) -> ApiResult<Json<Located>> {
    caller.authorize_role(Permission::ReadRegions)?;
    if !(-180.0..=180.0).contains(&q.lng) {
        return Err(ApiError::field(
            "lng",
            "out_of_range",
            "经度应在-180至180之间",
        ));
    }
    if !(-90.0..=90.0).contains(&q.lat) {
        return Err(ApiError::field(
            "lat",
            "out_of_range",
            "纬度应在-90至90之间",
        ));
    }
    let found = state
        .grid_index
        .locate(&state.store, q.lng, q.lat)
        .await?
        .filter(|g| caller.covers(g));
    let Some(code) = found else {
        return Ok(Json(Located {
            grid: None,
            name: None,
            village: None,
        }));
    };
    let mut conn = state.store.read().await?;
    let name = regions::get(&mut conn, &code).await.ok().map(|r| r.name);
    Ok(Json(Located {
        village: Some(code[..12].to_string()),
        grid: Some(code),
        name,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPost {
    /// A grid (网格员, deputy) or a 片/组/邻 node (片长, 组长, 邻长).
    pub region_code: String,
    /// grid_worker, deputy, block_leader, group_leader or neighbor_leader.
    pub post: String,
    /// 网格员: full_time (专职) or part_time (兼职).
    pub employment: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    /// The wangge user holding the post, if they have an account.
    pub user_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostView {
    pub id: i64,
    pub region_code: String,
    pub post: String,
    pub employment: Option<String>,
    pub name: String,
    /// Masked.
    pub phone: Option<String>,
    pub user_id: Option<i64>,
}

fn post_view(state: &AppState, p: PostRow) -> PostView {
    PostView {
        id: p.id,
        region_code: p.region_code,
        post: p.post,
        employment: p.employment,
        name: p.name,
        phone: p
            .phone_enc
            .and_then(|e| state.cipher.decrypt("phone", &e).ok())
            .map(|s| wangge_core::phone::mask(&s)),
        user_id: p.user_id,
    }
}

fn post_name(post: &str) -> &'static str {
    match post {
        "block_leader" => "片长",
        "group_leader" => "组长",
        "neighbor_leader" => "邻长",
        "deputy" => "副网格员",
        _ => "网格员",
    }
}

/// The node level each post belongs to.
fn post_level(post: &str) -> Option<Level> {
    match post {
        "grid_worker" | "deputy" => Some(Level::Grid),
        "block_leader" => Some(Level::Block),
        "group_leader" => Some(Level::Group),
        "neighbor_leader" => Some(Level::Neighbor),
        _ => None,
    }
}

/// 任命网格员或三长（片长、组长、邻长）。
#[utoipa::path(post, path = "/api/v1/posts", tag = "grids", request_body = NewPost,
    responses((status = 201, body = PostView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn add_post(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewPost>,
) -> ApiResult<(StatusCode, Json<PostView>)> {
    let region = RegionCode::parse("region_code", &req.region_code)?;
    let level = post_level(&req.post).ok_or_else(|| {
        ApiError::field(
            "post",
            "invalid_value",
            "职务应为 grid_worker、deputy、block_leader、group_leader、neighbor_leader 之一",
        )
    })?;
    if region.level() != level {
        return Err(ApiError::field(
            "region_code",
            "level_mismatch",
            format!("该职务须任命在“{}”一级", level.name_zh()),
        ));
    }
    let employment = match (req.post.as_str(), req.employment.as_deref()) {
        ("grid_worker" | "deputy", Some(e @ ("full_time" | "part_time"))) => Some(e.to_string()),
        ("grid_worker" | "deputy", None) => Some("full_time".to_string()),
        (_, None) => None,
        _ => {
            return Err(ApiError::field(
                "employment",
                "invalid_value",
                "专兼职应为 full_time 或 part_time，且仅用于网格员",
            ))
        }
    };
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(ApiError::field("name", "length", "姓名须为1至50个字符"));
    }
    let phone = req
        .phone
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|p| Phone::parse("phone", p))
        .transpose()?;
    caller.authorize(Permission::ManageGrids, region.as_str())?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    require_grid(&mut tx, "region_code", region.as_str()).await?;
    if let Some(uid) = req.user_id {
        if let Err(StoreError::NotFound) = wangge_store::users::by_id(&mut tx, uid).await {
            return Err(ApiError::field("user_id", "unknown_user", "用户不存在"));
        }
    }
    let row = PostRow {
        id: 0,
        region_code: region.to_string(),
        post: req.post.clone(),
        employment,
        name: name.to_string(),
        phone_enc: phone
            .as_ref()
            .map(|p| state.cipher.encrypt("phone", p.as_str())),
        user_id: req.user_id,
        created_at: now,
    };
    // One 片长 per 片, one 组长 per 组, one 邻长 per 邻: each household answers to exactly one 邻长.
    let single = matches!(
        req.post.as_str(),
        "block_leader" | "group_leader" | "neighbor_leader"
    );
    if single && grids::has_post(&mut tx, region.as_str(), &req.post).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "post_taken",
            format!(
                "该{}已有{}，请先免去原任",
                level.name_zh(),
                post_name(&req.post)
            ),
        )
        .with_details(json!({"field": "post", "reason": "post_taken"})));
    }
    let id = grids::add_post(&mut tx, &row).await?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "post.create",
            "post",
            id,
            region.as_str(),
            json!({"post": req.post, "name": name}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(post_view(&state, PostRow { id, ..row })),
    ))
}

/// 免去职务。
#[utoipa::path(delete, path = "/api/v1/posts/{id}", tag = "grids", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn remove_post(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let p = grids::post(&mut tx, id).await?;
    caller.authorize(Permission::ManageGrids, &p.region_code)?;
    grids::delete_post(&mut tx, id).await?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "post.delete",
            "post",
            id,
            &p.region_code,
            json!({"post": p.post, "name": p.name}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 网格员与三长名单。
#[utoipa::path(get, path = "/api/v1/posts", tag = "grids", params(RegionQuery),
    responses((status = 200, body = Vec<PostView>), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn list_posts(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RegionQuery>,
) -> ApiResult<Json<Vec<PostView>>> {
    let region = RegionCode::parse("region", &q.region)?;
    caller.authorize(Permission::ReadRegions, region.as_str())?;
    let (lo, hi) = region.subtree_range();
    let mut conn = state.store.read().await?;
    Ok(Json(
        grids::posts(&mut conn, &lo, &hi)
            .await?
            .into_iter()
            .map(|p| post_view(&state, p))
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CoverageQuery {
    pub region: String,
    /// Most households one 邻长 should cover (default 15).
    pub cap: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdRef {
    pub id: i64,
    pub household_no: String,
    pub region_code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Overloaded {
    pub region_code: String,
    pub households: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageView {
    pub region: String,
    pub cap: i64,
    pub grids: i64,
    pub grids_with_boundary: i64,
    pub grid_workers: i64,
    pub block_leaders: i64,
    pub group_leaders: i64,
    pub neighbor_leaders: i64,
    pub households: i64,
    /// Households linked to a 邻长.
    pub households_covered: i64,
    pub residents: i64,
    pub residents_covered: i64,
    /// Up to 200 of each list.
    pub grids_without_worker: Vec<String>,
    pub households_without_leader: Vec<HouseholdRef>,
    pub overloaded_neighbors: Vec<Overloaded>,
}

/// 三长制覆盖情况：缺邻长的户、超额的邻长、缺网格员的网格，以及汇报常用的合计数。
#[utoipa::path(get, path = "/api/v1/coverage", tag = "grids", params(CoverageQuery),
    responses((status = 200, body = CoverageView), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn coverage(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CoverageQuery>,
) -> ApiResult<Json<CoverageView>> {
    let region = RegionCode::parse("region", &q.region)?;
    caller.authorize(Permission::ReadRegions, region.as_str())?;
    let cap = q.cap.unwrap_or(15);
    if !(1..=1000).contains(&cap) {
        return Err(ApiError::field(
            "cap",
            "out_of_range",
            "邻长户数上限应在1至1000之间",
        ));
    }
    let (lo, hi) = region.subtree_range();
    let mut conn = state.store.read().await?;
    let c = grids::coverage(&mut conn, &lo, &hi, cap, 200).await?;
    Ok(Json(CoverageView {
        region: region.to_string(),
        cap,
        grids: c.grids,
        grids_with_boundary: c.grids_with_boundary,
        grid_workers: c.grid_workers,
        block_leaders: c.block_leaders,
        group_leaders: c.group_leaders,
        neighbor_leaders: c.neighbor_leaders,
        households: c.households,
        households_covered: c.households_covered,
        residents: c.residents,
        residents_covered: c.residents_covered,
        grids_without_worker: c.grids_without_worker,
        households_without_leader: c
            .households_without_leader
            .into_iter()
            .map(|(id, household_no, region_code)| HouseholdRef {
                id,
                household_no,
                region_code,
            })
            .collect(),
        overloaded_neighbors: c
            .overloaded_neighbors
            .into_iter()
            .map(|(region_code, households)| Overloaded {
                region_code,
                households,
            })
            .collect(),
    }))
}
