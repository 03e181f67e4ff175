//! The OpenAPI document is generated from the same handler annotations and types the
//! router uses (utoipa-axum), so what it describes is what the server accepts.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::routes::{
    agreement, attachments, audit, auth, case_people, cases, catalogue, dashboard, disputes,
    family, fieldwork, grids, households, notifications, patrols, regions, residents, scorecard,
    stats, users,
};
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "wangge API",
        description = "网格化基层治理平台 API。所有错误均返回 {code, message, details}。",
        version = "1"
    ),
    modifiers(&Security),
    components(schemas(crate::error::ErrorBody)),
    tags(
        (name = "auth", description = "登录、会话与令牌"),
        (name = "regions", description = "行政区划与网格"),
        (name = "users", description = "用户与权限范围"),
        (name = "residents", description = "居民（个人信息加密、脱敏）"),
        (name = "audit", description = "审计日志"),
        (name = "cases", description = "事件：登记、流转、督办、合并、附件"),
        (name = "stats", description = "统计：三率与事件数量"),
        (name = "grids", description = "网格、三长、户与名册导入、覆盖情况"),
        (name = "fieldwork", description = "巡查、走访、民情日记、家庭档案"),
        (name = "disputes", description = "矛盾纠纷调解：卷宗、调解、法律咨询、协议书、回访、风险预警、统计")
    )
)]
pub struct ApiDoc;

/// Transport limit for uploads; the configured `max_attachment_bytes` is checked inside.
pub const ATTACHMENT_BODY_LIMIT: usize = 64 * 1024 * 1024;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::access::SESSION_COOKIE,
            ))),
        );
    }
}

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::csrf))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::create_token))
        .routes(routes!(regions::scope_roots, regions::create_region))
        .routes(routes!(regions::get_region))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::get_user))
        .routes(routes!(
            residents::list_residents,
            residents::create_resident
        ))
        .routes(routes!(residents::get_resident, residents::update_resident))
        .routes(routes!(residents::reveal_resident))
        .routes(routes!(audit::list_audit))
        .routes(routes!(audit::verify_audit))
        .routes(routes!(cases::intake, cases::list_cases))
        .routes(routes!(cases::get_case))
        .routes(routes!(cases::transition))
        .routes(routes!(cases::duplicates))
        .routes(routes!(cases::merge))
        .routes(routes!(case_people::assignees))
        .routes(routes!(case_people::reveal_case))
        .routes(routes!(attachments::download))
        .routes(routes!(catalogue::case_types))
        .routes(routes!(catalogue::categories))
        .routes(routes!(catalogue::sources))
        .routes(routes!(stats::rates))
        .routes(routes!(stats::case_counts))
        .routes(routes!(dashboard::dashboard))
        .routes(routes!(dashboard::map))
        .routes(routes!(scorecard::scorecard))
        .routes(routes!(scorecard::scorecard_xlsx))
        .routes(routes!(notifications::inbox))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(notifications::list_rules, notifications::add_rule))
        .routes(routes!(notifications::sweep))
        .routes(routes!(grids::put_boundary))
        .routes(routes!(grids::export))
        .routes(routes!(grids::import))
        .routes(routes!(grids::locate))
        .routes(routes!(grids::add_post, grids::list_posts))
        .routes(routes!(grids::remove_post))
        .routes(routes!(grids::coverage))
        .routes(routes!(
            households::list_households,
            households::create_household
        ))
        .routes(routes!(households::get_household))
        .routes(routes!(households::import_status))
        .routes(routes!(households::import_errors))
        .routes(routes!(patrols::templates, patrols::save_template))
        .routes(routes!(patrols::add_plan))
        .routes(routes!(patrols::submit))
        .routes(routes!(patrols::get_patrol))
        .routes(routes!(patrols::stats))
        .routes(routes!(
            fieldwork::list_assignments,
            fieldwork::create_assignment
        ))
        .routes(routes!(fieldwork::list_visits, fieldwork::create_visit))
        .routes(routes!(fieldwork::get_visit))
        .routes(routes!(fieldwork::list_diary, fieldwork::create_diary))
        .routes(routes!(fieldwork::diary_done))
        .routes(routes!(fieldwork::diary_to_case))
        .routes(routes!(fieldwork::diary_stats))
        .routes(routes!(family::get_family_file, family::put_family_file))
        .routes(routes!(family::due_family_files))
        .routes(routes!(disputes::create_dispute))
        .routes(routes!(disputes::get_dispute))
        .routes(routes!(disputes::add_session))
        .routes(routes!(disputes::ask))
        .routes(routes!(disputes::answer))
        .routes(routes!(disputes::refer))
        .routes(routes!(disputes::outcomes))
        .routes(routes!(disputes::watchlist))
        .routes(routes!(disputes::dispute_stats))
        .routes(routes!(agreement::put_agreement))
        .routes(routes!(agreement::agreement_pdf))
        .routes(routes!(agreement::agreement_html))
        .routes(routes!(agreement::sign))
        .routes(routes!(agreement::judicial))
        .routes(routes!(agreement::followup))
        // Uploads may be larger than the JSON body limit.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(attachments::upload))
                .routes(routes!(households::start_import))
                .layer(axum::extract::DefaultBodyLimit::max(ATTACHMENT_BODY_LIMIT)),
        )
}

/// The document as served at `/api/v1/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    api_router().split_for_parts().1
}
