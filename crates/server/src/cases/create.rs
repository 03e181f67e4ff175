//! Raising a case from any channel: validate, number it, start its clocks, file it under
//! its village's governance centre, look for duplicates, and remember the idempotency key
//! so a retried request (a phone with poor signal) never makes a second case.

use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use wangge_core::audit::AuditEntry;
use wangge_core::date::Date;
use wangge_core::duplicate::{duplicate_score, CaseSketch};
use wangge_core::id_number::IdNumber;
use wangge_core::phone::Phone;
use wangge_core::rates::Counters;
use wangge_core::region::RegionCode;
use wangge_core::role::Permission;
use wangge_store::case_stats::Tally;
use wangge_store::cases::{self, CaseRow, EventRow, PartyRow};
use wangge_store::{regions, StoreError, Tx};

use super::deadline::{due_ms, handling_region, level_name, month_of};
use crate::access::Caller;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

pub const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
pub const PARTY_ROLES: [&str; 4] = ["reporter", "applicant", "respondent", "other"];

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCaseRequest {
    /// Case type (workflow) id, see `GET /api/v1/case-types`.
    #[serde(rename = "type")]
    pub case_type: String,
    /// Second-level category id, see `GET /api/v1/categories`.
    pub category: String,
    /// Source channel id, see `GET /api/v1/sources`.
    pub source: String,
    /// The deepest known region (village, grid, 片/组/邻). Leave empty to have it found
    /// from `lat`/`lng` by the grid boundaries.
    #[serde(default)]
    pub region_code: String,
    pub title: String,
    pub description: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// low, normal (default), high, urgent.
    pub priority: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    #[serde(default)]
    pub parties: Vec<PartyInput>,
    /// Dispute details written in the same transaction (set by the dispute endpoint).
    #[serde(skip)]
    pub dispute: Option<DisputeInput>,
}

/// How a dispute came and what is at stake, stored beside its case.
#[derive(Debug, Clone)]
pub struct DisputeInput {
    pub came_by: String,
    pub amount_yuan: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyInput {
    /// reporter, applicant (申请人), respondent (被申请人), other.
    pub role: String,
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    /// An organisation's 统一社会信用代码 (then it has no 身份证号).
    pub uscc: Option<String>,
}

/// The outcome: the case id and whether it was made now or found by its idempotency key.
pub struct Created {
    pub id: i64,
    pub replayed: bool,
}

pub(super) struct Checked {
    region: RegionCode,
    priority: String,
    reporter_phone: Option<Phone>,
    parties: Vec<CheckedParty>,
}

/// A validated party: role, name, 身份证号 (people), phone, 统一社会信用代码 (organisations).
type CheckedParty = (
    String,
    String,
    Option<IdNumber>,
    Option<Phone>,
    Option<String>,
);

fn check(state: &AppState, r: &NewCaseRequest, today: Date) -> ApiResult<Checked> {
    let cfg = &state.cases;
    let wf = cfg.workflows.get(&r.case_type).ok_or_else(|| {
        let ids: Vec<_> = cfg
            .workflows
            .types()
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        ApiError::field(
            "type",
            "unknown_type",
            format!("未知的事件类型“{}”，可选：{}", r.case_type, ids.join("、")),
        )
    })?;
    let _ = wf;
    if cfg.catalogue.category(&r.category).is_none() {
        return Err(ApiError::field(
            "category",
            "unknown_category",
            format!("未知的二级分类“{}”", r.category),
        ));
    }
    if cfg.catalogue.source(&r.source).is_none() {
        return Err(ApiError::field(
            "source",
            "unknown_source",
            format!("未知的来源渠道“{}”", r.source),
        ));
    }
    let region = RegionCode::parse("region_code", &r.region_code)?;
    let title = r.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(ApiError::field("title", "length", "标题须为1至200个字符"));
    }
    if r.description.chars().count() > 4000 {
        return Err(ApiError::field(
            "description",
            "length",
            "描述不能超过4000个字符",
        ));
    }
    match (r.lat, r.lng) {
        (Some(lat), _) if !(-90.0..=90.0).contains(&lat) => {
            return Err(ApiError::field(
                "lat",
                "out_of_range",
                "纬度应在-90至90之间",
            ))
        }
        (_, Some(lng)) if !(-180.0..=180.0).contains(&lng) => {
            return Err(ApiError::field(
                "lng",
                "out_of_range",
                "经度应在-180至180之间",
            ))
        }
        (Some(_), None) => {
            return Err(ApiError::field(
                "lng",
                "required",
                "提供纬度时须同时提供经度",
            ))
        }
        (None, Some(_)) => {
            return Err(ApiError::field(
                "lat",
                "required",
                "提供经度时须同时提供纬度",
            ))
        }
        _ => {}
    }
    let priority = r.priority.clone().unwrap_or_else(|| "normal".into());
    if !PRIORITIES.contains(&priority.as_str()) {
        return Err(ApiError::field(
            "priority",
            "invalid_value",
            "优先级应为 low、normal、high、urgent 之一",
        ));
    }
    let reporter_phone = r
        .reporter_phone
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .map(|p| Phone::parse("reporter_phone", p))
        .transpose()?;
    let mut parties = Vec::new();
    for (i, p) in r.parties.iter().enumerate() {
        let at = |f: &str| format!("parties[{i}].{f}");
        if !PARTY_ROLES.contains(&p.role.as_str()) {
            return Err(ApiError::field(
                &at("role"),
                "invalid_value",
                "当事人角色应为 reporter、applicant、respondent、other 之一",
            ));
        }
        let name = p.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ApiError::field(
                &at("name"),
                "length",
                "当事人姓名须为1至100个字符",
            ));
        }
        let id = p
            .id_number
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| IdNumber::parse(&at("id_number"), s, today))
            .transpose()?;
        let phone = p
            .phone
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| Phone::parse(&at("phone"), s))
            .transpose()?;
        let uscc = p
            .uscc
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| wangge_core::uscc::Uscc::parse(&at("uscc"), s))
            .transpose()?;
        if uscc.is_some() && id.is_some() {
            return Err(ApiError::field(
                &at("uscc"),
                "person_or_organisation",
                "当事人是个人时填身份证号，是单位时填统一社会信用代码，二者只填其一",
            ));
        }
        parties.push((
            p.role.clone(),
            name.to_string(),
            id,
            phone,
            uscc.map(|u| u.as_str().to_string()),
        ));
    }
    Ok(Checked {
        region,
        priority,
        reporter_phone,
        parties,
    })
}

pub fn valid_idempotency_key(key: &str) -> ApiResult<()> {
    if key.is_empty() || key.len() > 200 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::field(
            "Idempotency-Key",
            "invalid_value",
            "Idempotency-Key 须为1至200个可见ASCII字符",
        ));
    }
    Ok(())
}

pub async fn create_case(
    state: &AppState,
    caller: &Caller,
    req: &NewCaseRequest,
    idempotency_key: Option<&str>,
) -> ApiResult<Created> {
    create_case_from(state, caller, req, idempotency_key, None).await
}

/// As [`create_case`], recording where the case came from (`patrol:12`, `visit:3`, …).
pub async fn create_case_from(
    state: &AppState,
    caller: &Caller,
    req: &NewCaseRequest,
    idempotency_key: Option<&str>,
    origin: Option<&str>,
) -> ApiResult<Created> {
    let now = state.clock.now_ms();
    let today = Date::from_unix_millis_cst(now);
    let located;
    let req = if req.region_code.trim().is_empty() {
        let (Some(lat), Some(lng)) = (req.lat, req.lng) else {
            return Err(ApiError::field(
                "region_code",
                "required",
                "请选择所在区划，或提供经纬度以自动定位网格",
            ));
        };
        let grid = state
            .grid_index
            .locate(&state.store, lng, lat)
            .await?
            .ok_or_else(|| {
                ApiError::field(
                    "region_code",
                    "not_in_any_grid",
                    "该坐标不在任何网格内，请手动选择区划",
                )
            })?;
        located = NewCaseRequest {
            region_code: grid,
            ..req.clone()
        };
        &located
    } else {
        req
    };
    let c = check(state, req, today)?;
    caller.authorize(Permission::CreateCases, c.region.as_str())?;
    if let Some(key) = idempotency_key {
        valid_idempotency_key(key)?;
        let mut conn = state.store.read().await?;
        if let Some(id) = cases::idempotent_case(&mut conn, caller.user_id, key).await? {
            return Ok(Created { id, replayed: true });
        }
    }
    let job = super::group::Job {
        caller: caller.clone(),
        req: req.clone(),
        checked: c,
        idempotency_key: idempotency_key.map(str::to_string),
        origin: origin.map(str::to_string),
        now,
    };
    match state.intake().submit(job).await {
        // Two retries raced: the other one made the case; answer with it.
        Err(ApiError { code, .. }) if code == "conflict" && idempotency_key.is_some() => {
            let mut conn = state.store.read().await?;
            let key = idempotency_key.unwrap_or_default();
            match cases::idempotent_case(&mut conn, caller.user_id, key).await? {
                Some(id) => Ok(Created { id, replayed: true }),
                None => Err(ApiError::from(StoreError::Conflict("idempotency".into()))),
            }
        }
        other => other,
    }
}

/// The county and year whose number counter a new case draws from.
pub(super) fn number_key(job: &super::group::Job) -> (String, i32) {
    let year = Date::from_unix_millis_cst(job.now).year;
    (job.checked.region.county_prefix().to_string(), year)
}

/// What one new case adds to the batch: its id, its audit entry and its rollup changes.
/// The audit entry and the rollups are returned, not written: the batch seals all its
/// entries at once and writes all its rollups last.
pub(super) struct Inserted {
    pub id: i64,
    pub entry: AuditEntry,
    pub tally: Tally,
}

/// One request's writes, inside the group commit's transaction (after its savepoint).
/// `number` is the case number reserved before the batch, if it was (PostgreSQL);
/// otherwise the next one is drawn here.
pub(super) async fn insert_in(
    tx: &mut Tx,
    state: &AppState,
    job: &super::group::Job,
    number: Option<String>,
) -> ApiResult<Inserted> {
    let (caller, req, c, now) = (&job.caller, &job.req, &job.checked, job.now);
    let idempotency_key = job.idempotency_key.as_deref();
    let origin = job.origin.as_deref();
    let cfg = &state.cases;
    let wf = cfg
        .workflows
        .get(&req.case_type)
        .ok_or_else(ApiError::not_found)?;
    let initial = wf
        .state(&wf.initial)
        .ok_or_else(|| ApiError::internal("workflow without initial state"))?;
    let handling = handling_region(&c.region);
    let level_limit = level_name(&handling).and_then(|l| wf.escalation_limit(l));
    if let Err(StoreError::NotFound) = regions::get(tx, c.region.as_str()).await {
        return Err(ApiError::field(
            "region_code",
            "region_unknown",
            format!("区划{}不存在", c.region),
        ));
    }
    let number = match number {
        Some(n) => n,
        None => {
            let today = Date::from_unix_millis_cst(now);
            cases::next_number(tx, c.region.county_prefix(), today.year).await?
        }
    };
    let mut row = CaseRow {
        id: 0,
        number,
        case_type: wf.id.clone(),
        category: req.category.clone(),
        source: req.source.clone(),
        region_code: c.region.to_string(),
        handling_region: handling.clone(),
        lat: req.lat,
        lng: req.lng,
        title: req.title.trim().to_string(),
        description: req.description.clone(),
        priority: c.priority.clone(),
        state: initial.id.clone(),
        terminal: 0,
        assignee_user_id: None,
        created_by: Some(caller.user_id),
        reporter_name: req
            .reporter_name
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        reporter_phone_enc: c
            .reporter_phone
            .as_ref()
            .map(|p| state.cipher.encrypt("phone", p.as_str())),
        state_entered_at: now,
        state_due_at: initial
            .time_limit
            .and_then(|l| due_ms(&cfg.calendar, now, l)),
        level_entered_at: now,
        level_due_at: level_limit.and_then(|l| due_ms(&cfg.calendar, now, l)),
        dispatched_at: None,
        response_due_at: None,
        responded_at: None,
        closed_at: None,
        late_at: None,
        satisfaction: None,
        supervise_level: None,
        merged_into: None,
        possible_duplicate_of: None,
        paused_remaining_ms: None,
        origin: origin.map(str::to_string),
        rollup_region: handling.clone(),
        month: month_of(now),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    // Duplicates: the best-scoring open case of the same category nearby is flagged. Found
    // before the insert, so the row is written once with its flag.
    let since = now - cfg.duplicates.window_days * 86_400_000;
    let text = format!("{} {}", row.title, row.description);
    let sketch = CaseSketch {
        category: &row.category,
        region_code: &row.region_code,
        lat: row.lat,
        lng: row.lng,
        created_ms: now,
        text: &text,
    };
    let mut best: Option<(f64, i64)> = None;
    for other in cases::duplicate_sketches(tx, &row.category, &row.rollup_region, since).await? {
        let other_text = format!("{} {}", other.title, other.description);
        let o = CaseSketch {
            category: &other.category,
            region_code: &other.region_code,
            lat: other.lat,
            lng: other.lng,
            created_ms: other.created_at,
            text: &other_text,
        };
        if let Some(score) = duplicate_score(&sketch, &o, &cfg.duplicates) {
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, other.id));
            }
        }
    }
    row.possible_duplicate_of = best.map(|(_, dup)| dup);
    let id = cases::insert(tx, &row).await?;
    let no_deadline = initial.time_limit.is_some() && row.state_due_at.is_none();
    cases::append_event(
        tx,
        &EventRow {
            id: 0,
            case_id: id,
            at: now,
            actor: caller.username.clone(),
            actor_user_id: Some(caller.user_id),
            action: "create".into(),
            effect: "none".into(),
            from_state: String::new(),
            to_state: initial.id.clone(),
            note: no_deadline.then(|| "节假日安排未加载，本环节期限未计算".to_string()),
            data: json!({"source": req.source, "category": req.category}).to_string(),
        },
    )
    .await?;
    for (role, name, idn, phone, uscc) in &c.parties {
        cases::add_party(
            tx,
            &PartyRow {
                id: 0,
                case_id: id,
                role: role.clone(),
                name: name.clone(),
                id_number_enc: idn
                    .as_ref()
                    .map(|i| state.cipher.encrypt("id_number", i.as_str())),
                id_number_hash: idn
                    .as_ref()
                    .map(|i| state.cipher.search_hash("id_number", i.as_str())),
                phone_enc: phone
                    .as_ref()
                    .map(|p| state.cipher.encrypt("phone", p.as_str())),
                phone_hash: phone
                    .as_ref()
                    .map(|p| state.cipher.search_hash("phone", p.as_str())),
                uscc: uscc.clone(),
            },
        )
        .await?;
    }
    let mut tally = Tally::default();
    tally.bump(
        &row.rollup_region,
        &row.month,
        &row.category,
        &row.source,
        &Counters {
            created: 1,
            ..Default::default()
        },
    );
    tally.enter_state(&row.rollup_region, &row.case_type, &row.state);
    // Every dispute has its file, however it was raised (the dispute endpoint, or any channel).
    if req.dispute.is_some() || req.case_type == "dispute" {
        let (came_by, amount_yuan) = match &req.dispute {
            Some(d) => (d.came_by.clone(), d.amount_yuan),
            None => (
                match req.source.as_str() {
                    "hotline_12345" => "hotline_12345",
                    "grid_report" | "diary" => "screening",
                    _ => "application",
                }
                .to_string(),
                None,
            ),
        };
        let row = wangge_store::mediation::DisputeRow {
            case_id: id,
            came_by,
            amount_yuan,
            ..Default::default()
        };
        wangge_store::mediation::insert(tx, &row).await?;
    }
    if let Some(key) = idempotency_key {
        cases::remember_idempotency(tx, caller.user_id, key, id, now).await?;
    }
    let entry = caller.audit(
        now,
        "case.create",
        "case",
        id,
        c.region.as_str(),
        json!({"type": row.case_type, "source": row.source, "category": row.category}),
    );
    Ok(Inserted { id, entry, tally })
}
