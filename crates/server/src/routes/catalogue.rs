//! What `type`, `category` and `source` take: the workflows and the catalogue.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use wangge_core::calendar::TimeLimit;
use wangge_core::catalogue::{Category, Source};
use wangge_core::role::Role;
use wangge_core::workflow::{Effect, Field};

use crate::access::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct StateView {
    pub id: String,
    pub name: String,
    pub terminal: bool,
    pub time_limit: Option<TimeLimit>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDefView {
    pub id: String,
    pub name: String,
    pub from: Vec<String>,
    /// Absent: the case stays in its state.
    pub to: Option<String>,
    pub roles: Vec<Role>,
    pub requires: Vec<Field>,
    pub effect: Effect,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseTypeView {
    pub id: String,
    pub name: String,
    pub initial: String,
    pub states: Vec<StateView>,
    pub actions: Vec<ActionDefView>,
}

/// 事件类型（工作流）：状态、动作、角色与时限。
#[utoipa::path(get, path = "/api/v1/case-types", tag = "cases",
    responses((status = 200, body = Vec<CaseTypeView>), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn case_types(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<Json<Vec<CaseTypeView>>> {
    Ok(Json(
        state
            .cases
            .workflows
            .types()
            .iter()
            .map(|t| CaseTypeView {
                id: t.id.clone(),
                name: t.name.clone(),
                initial: t.initial.clone(),
                states: t
                    .states
                    .iter()
                    .map(|s| StateView {
                        id: s.id.clone(),
                        name: s.name.clone(),
                        terminal: s.terminal,
                        time_limit: s.time_limit,
                    })
                    .collect(),
                actions: t
                    .actions
                    .iter()
                    .map(|a| ActionDefView {
                        id: a.id.clone(),
                        name: a.name.clone(),
                        from: a.from.clone(),
                        to: a.to.clone(),
                        roles: a.roles.clone(),
                        requires: a.requires.clone(),
                        effect: a.effect,
                    })
                    .collect(),
            })
            .collect(),
    ))
}

/// 事件分类（两级；事件取二级分类的 id）。
#[utoipa::path(get, path = "/api/v1/categories", tag = "cases",
    responses((status = 200, body = Vec<Category>), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn categories(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<Json<Vec<Category>>> {
    Ok(Json(state.cases.catalogue.categories.clone()))
}

/// 来源渠道。
#[utoipa::path(get, path = "/api/v1/sources", tag = "cases",
    responses((status = 200, body = Vec<Source>), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn sources(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<Json<Vec<Source>>> {
    Ok(Json(state.cases.catalogue.sources.clone()))
}
