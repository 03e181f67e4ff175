//! Dispute mediation (矛盾纠纷化解): raising a dispute with its parties, the whole file,
//! mediation sessions, legal consultations, referral, recorded outcomes, the escalation-risk
//! watch list and the statistics. The agreement lives in `agreement.rs`.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use wangge_core::date::Date;
use wangge_core::id_number::IdNumber;
use wangge_core::region::RegionCode;
use wangge_core::risk::{self, DisputeFacts, RiskScore};
use wangge_core::role::Permission;
use wangge_core::workflow::Field;
use wangge_store::cases::{self as store_cases, CaseRow};
use wangge_store::mediation::{self, ConsultationRow, SessionRow};
use wangge_store::{audit, notify, StoreError};

use crate::access::Caller;
use crate::cases::create::{create_case_from, DisputeInput, NewCaseRequest, PartyInput};
use crate::cases::transition::{self, TransitionRequest};
use crate::cases::view::{case_view, party_view, CaseView, PartyView};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::routes::agreement::{agreement_view, AgreementView};
use crate::routes::cases::load_visible;
use crate::views::rfc3339;
use crate::AppState;

pub const CAME_BY: [(&str, &str, &str); 8] = [
    ("screening", "排查发现", "grid_report"),
    ("application", "当事人申请", "walk_in"),
    ("transfer", "转办", "walk_in"),
    ("hotline_12345", "12345转办", "hotline_12345"),
    ("police", "公安移交", "walk_in"),
    ("court", "法院委托", "walk_in"),
    ("government", "政府指定", "walk_in"),
    ("active", "主动调解", "grid_report"),
];

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDispute {
    /// A second-level category under `dispute` (the Ministry of Justice's categories).
    pub category: String,
    pub region_code: String,
    pub title: String,
    pub description: String,
    /// How it came: screening (排查发现), application (当事人申请), transfer (转办), hotline_12345, police (公安移交), court (法院委托), government (政府指定), active (主动调解).
    pub came_by: String,
    pub amount_yuan: Option<f64>,
    /// At least one applicant (申请人) and one respondent (被申请人).
    pub parties: Vec<PartyInput>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
}

/// 登记矛盾纠纷（含当事人，身份证号、电话加密存储）。
#[utoipa::path(post, path = "/api/v1/disputes", tag = "disputes", request_body = NewDispute,
    responses((status = 201, body = DisputeFile), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn create_dispute(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewDispute>,
) -> ApiResult<(StatusCode, Json<DisputeFile>)> {
    if !req.category.starts_with("dispute.") {
        return Err(ApiError::field(
            "category",
            "not_a_dispute_category",
            "请选择“矛盾纠纷”下的分类",
        ));
    }
    let Some((_, _, source)) = CAME_BY.iter().find(|(id, _, _)| *id == req.came_by) else {
        return Err(ApiError::field("came_by", "invalid_value", "来源应为 screening、application、transfer、hotline_12345、police、court、government、active 之一"));
    };
    if let Some(a) = req.amount_yuan {
        if !(0.0..=1e12).contains(&a) {
            return Err(ApiError::field(
                "amount_yuan",
                "out_of_range",
                "争议金额应为非负数",
            ));
        }
    }
    let has = |r: &str| req.parties.iter().any(|p| p.role == r);
    if !has("applicant") || !has("respondent") {
        return Err(ApiError::field(
            "parties",
            "parties_required",
            "须至少有一名申请人（applicant）和一名被申请人（respondent）",
        ));
    }
    let case_req = NewCaseRequest {
        case_type: "dispute".into(),
        category: req.category.clone(),
        source: (*source).into(),
        region_code: req.region_code.clone(),
        title: req.title.clone(),
        description: req.description.clone(),
        lat: req.lat,
        lng: req.lng,
        priority: None,
        reporter_name: None,
        reporter_phone: None,
        parties: req.parties.clone(),
        dispute: Some(DisputeInput {
            came_by: req.came_by.clone(),
            amount_yuan: req.amount_yuan,
        }),
    };
    let created = create_case_from(&state, &caller, &case_req, None, None).await?;
    Ok((
        StatusCode::CREATED,
        Json(file(&state, &caller, created.id).await?),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: i64,
    pub held_at: String,
    pub place: String,
    pub attendees: Vec<String>,
    pub facts: String,
    pub proposals: String,
    pub result: String,
    pub mediator_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsultationView {
    pub id: i64,
    pub session_id: Option<i64>,
    pub question: String,
    pub answer: Option<String>,
    pub advisor_id: Option<i64>,
    pub asked_at: String,
    pub answered_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FollowupView {
    pub id: i64,
    pub at: String,
    pub performed: bool,
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeFile {
    pub case: CaseView,
    pub came_by: String,
    pub amount_yuan: Option<f64>,
    /// success (调解成功) or failure (调解不成), once known.
    pub outcome: Option<String>,
    /// litigation, arbitration or petition, after 调解不成.
    pub referral: Option<String>,
    pub civil_to_criminal: bool,
    pub criminal_to_homicide: bool,
    pub parties: Vec<PartyView>,
    pub sessions: Vec<SessionView>,
    pub consultations: Vec<ConsultationView>,
    pub agreement: Option<AgreementView>,
    pub followups: Vec<FollowupView>,
    /// Escalation risk (民转刑 prevention) with the reasons.
    pub risk: RiskScore,
}

/// Loads a dispute the caller may see (the one place: `load_visible`, then the details).
pub async fn load(
    conn: &mut wangge_store::AnyConnection,
    caller: &Caller,
    id: i64,
) -> ApiResult<(CaseRow, mediation::DisputeRow)> {
    let c = load_visible(conn, caller, id).await?;
    let d = mediation::get(conn, id).await?;
    Ok((c, d))
}

/// The facts the risk scorer weighs, gathered from the file.
pub async fn risk_of(
    state: &AppState,
    conn: &mut wangge_store::AnyConnection,
    c: &CaseRow,
    d: &mediation::DisputeRow,
) -> ApiResult<RiskScore> {
    let now = state.clock.now_ms();
    let sessions = mediation::sessions(conn, c.id).await?;
    let events = store_cases::events(conn, c.id).await?;
    let parties = store_cases::parties(conn, c.id).await?;
    let today = Date::from_unix_millis_cst(now);
    let vulnerable = parties
        .iter()
        .filter_map(|p| {
            p.id_number_enc
                .as_ref()
                .and_then(|e| state.cipher.decrypt("id_number", e).ok())
        })
        .filter_map(|s| IdNumber::parse("id", &s, today).ok())
        .filter(|id| {
            let b = id.birth_date();
            let before_birthday = (today.month, today.day) < (b.month, b.day);
            let age = today.year - b.year - i32::from(before_birthday);
            age >= 70 || age <= 16
        })
        .count() as u32;
    let mut text = format!("{} {}", c.title, c.description);
    for s in &sessions {
        text.push(' ');
        text.push_str(&s.facts);
        text.push(' ');
        text.push_str(&s.proposals);
    }
    let facts = DisputeFacts {
        text: &text,
        category: &c.category,
        age_days: (now - c.created_at) / 86_400_000,
        failed_mediations: sessions.iter().filter(|s| s.result == "failure").count() as u32,
        prior_disputes_same_parties: u32::try_from(
            mediation::prior_with_same_parties(conn, c.id).await?,
        )
        .unwrap_or(u32::MAX),
        prior_disputes_same_households: 0,
        vulnerable_parties: vulnerable,
        amount_yuan: d.amount_yuan,
        parties: parties.len() as u32,
        escalations: events.iter().filter(|e| e.effect == "escalate").count() as u32,
        petitions_by_parties: 0,
    };
    Ok(risk::score(&facts, &state.cases.risk))
}

pub async fn file(state: &AppState, caller: &Caller, id: i64) -> ApiResult<DisputeFile> {
    let mut conn = state.store.read().await?;
    let (c, d) = load(&mut conn, caller, id).await?;
    let now = state.clock.now_ms();
    let risk = risk_of(state, &mut conn, &c, &d).await?;
    let parties = store_cases::parties(&mut conn, id)
        .await?
        .into_iter()
        .map(|p| party_view(&state.cipher, p))
        .collect();
    let sessions = mediation::sessions(&mut conn, id)
        .await?
        .into_iter()
        .map(|s| SessionView {
            id: s.id,
            held_at: rfc3339(s.held_at),
            place: s.place,
            attendees: serde_json::from_str(&s.attendees).unwrap_or_default(),
            facts: s.facts,
            proposals: s.proposals,
            result: s.result,
            mediator_id: s.mediator_id,
        })
        .collect();
    let consultations = mediation::consultations(&mut conn, id)
        .await?
        .into_iter()
        .map(|q| ConsultationView {
            id: q.id,
            session_id: q.session_id,
            question: q.question,
            answer: q.answer,
            advisor_id: q.advisor_id,
            asked_at: rfc3339(q.asked_at),
            answered_at: q.answered_at.map(rfc3339),
        })
        .collect();
    let agreement = match mediation::agreement(&mut conn, id).await? {
        Some(a) => Some(agreement_view(state, &mut conn, a).await?),
        None => None,
    };
    let followups = mediation::followups(&mut conn, id)
        .await?
        .into_iter()
        .map(|f| FollowupView {
            id: f.id,
            at: rfc3339(f.at),
            performed: f.performed != 0,
            note: f.note,
        })
        .collect();
    Ok(DisputeFile {
        case: case_view(&state.cases, &state.cipher, &c, caller.role, now),
        came_by: d.came_by,
        amount_yuan: d.amount_yuan,
        outcome: d.outcome,
        referral: d.referral,
        civil_to_criminal: d.civil_to_criminal != 0,
        criminal_to_homicide: d.criminal_to_homicide != 0,
        parties,
        sessions,
        consultations,
        agreement,
        followups,
        risk,
    })
}

/// 纠纷卷宗：当事人、调解记录、法律咨询、协议书、回访与风险研判。
#[utoipa::path(get, path = "/api/v1/disputes/{id}", tag = "disputes", params(("id" = i64, Path)),
    responses((status = 200, body = DisputeFile), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn get_dispute(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<DisputeFile>> {
    Ok(Json(file(&state, &caller, id).await?))
}

fn time_ms(field: &str, s: &str) -> ApiResult<i64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            ApiError::field(
                field,
                "invalid_time",
                "时间格式应为 RFC 3339，如 2026-03-02T09:00:00+08:00",
            )
        })?;
    Ok((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn required(field: &str, v: &str, max: usize, what: &str) -> ApiResult<String> {
    let t = v.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(ApiError::field(
            field,
            "length",
            format!("{what}须为1至{max}个字符"),
        ));
    }
    Ok(t.to_string())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    /// RFC 3339.
    pub held_at: String,
    /// A field or a doorstep counts: 田间、院坝、村部调解室…
    pub place: String,
    pub attendees: Vec<String>,
    /// 查明的事实.
    pub facts: String,
    /// 调解方案或建议.
    pub proposals: String,
    /// continue (继续调解), success (调解成功) or failure (调解不成).
    pub result: String,
    /// With success: what was agreed (defaults to the proposals).
    pub resolution: Option<String>,
    /// With failure: why.
    pub reason: Option<String>,
}

/// 记录一次调解（时间、地点、参加人、查明事实、调解方案、结果）；调解成功或不成会推进纠纷流程。
#[utoipa::path(post, path = "/api/v1/disputes/{id}/sessions", tag = "disputes", params(("id" = i64, Path)), request_body = NewSession,
    responses((status = 201, body = DisputeFile), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn add_session(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<NewSession>,
) -> ApiResult<(StatusCode, Json<DisputeFile>)> {
    let now = state.clock.now_ms();
    let held_at = time_ms("held_at", &req.held_at)?;
    if held_at > now + 5 * 60_000 {
        return Err(ApiError::field(
            "held_at",
            "in_future",
            "调解时间晚于当前时间",
        ));
    }
    let place = required("place", &req.place, 100, "地点")?;
    let facts = required("facts", &req.facts, 4000, "查明事实")?;
    let proposals = required("proposals", &req.proposals, 4000, "调解方案")?;
    if req.attendees.is_empty() || req.attendees.iter().any(|a| a.trim().is_empty()) {
        return Err(ApiError::field("attendees", "required", "请列出参加人"));
    }
    let action = match req.result.as_str() {
        "continue" => None,
        "success" => Some("succeed"),
        "failure" => Some("fail"),
        _ => {
            return Err(ApiError::field(
                "result",
                "invalid_value",
                "结果应为 continue、success 或 failure",
            ))
        }
    };
    if action == Some("fail") && req.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(ApiError::field("reason", "required", "调解不成须说明原因"));
    }
    let mut tx = state.store.begin().await?;
    let (c, mut d) = load(&mut tx, &caller, id).await?;
    caller.authorize(Permission::Mediate, &c.region_code)?;
    if c.state != "mediating" {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_mediating",
            "纠纷不在调解中，不能记录调解",
        )
        .with_details(json!({"field": "result", "reason": "not_mediating", "state": c.state})));
    }
    // The outcome must be one this caller may fire now, or nothing is written.
    if let Some(a) = action {
        let wf = state
            .cases
            .workflows
            .get("dispute")
            .ok_or_else(|| ApiError::internal("dispute workflow"))?;
        let provided = [Field::Resolution, Field::Reason, Field::Note];
        wf.fire(&c.state, a, caller.role, &provided, 0)
            .map_err(|r| {
                ApiError::new(StatusCode::FORBIDDEN, r.code(), r.message_zh())
                    .with_details(json!({"field": "result", "reason": r.code()}))
            })?;
    }
    let row = SessionRow {
        id: 0,
        case_id: id,
        held_at,
        place,
        attendees: serde_json::to_string(&req.attendees).map_err(ApiError::internal)?,
        facts,
        proposals: proposals.clone(),
        result: req.result.clone(),
        mediator_id: caller.user_id,
        created_at: now,
    };
    let sid = mediation::add_session(&mut tx, &row).await?;
    if let Some(a) = action {
        d.outcome = Some(if a == "succeed" { "success" } else { "failure" }.into());
        d.resolved_at = (a == "succeed").then_some(now);
        mediation::save(&mut tx, &d).await?;
    }
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "dispute.session",
            "case",
            id,
            &c.region_code,
            json!({"session": sid, "result": req.result}),
        ),
    )
    .await?;
    tx.commit().await?;
    if let Some(a) = action {
        let t = TransitionRequest {
            action: a.into(),
            resolution: Some(
                req.resolution
                    .clone()
                    .filter(|r| !r.trim().is_empty())
                    .unwrap_or(proposals),
            ),
            reason: req.reason.clone(),
            ..Default::default()
        };
        transition::fire(&state, &caller, id, &t).await?;
    }
    Ok((StatusCode::CREATED, Json(file(&state, &caller, id).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConsultation {
    pub question: String,
    /// The session it was asked in.
    pub session_id: Option<i64>,
    /// The legal advisor asked (gets a notice).
    pub advisor_id: Option<i64>,
}

/// 向法律顾问咨询（问题与答复存入卷宗）。
#[utoipa::path(post, path = "/api/v1/disputes/{id}/consultations", tag = "disputes", params(("id" = i64, Path)), request_body = NewConsultation,
    responses((status = 201, body = ConsultationView), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn ask(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<NewConsultation>,
) -> ApiResult<(StatusCode, Json<ConsultationView>)> {
    let question = required("question", &req.question, 4000, "问题")?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, _) = load(&mut tx, &caller, id).await?;
    caller.authorize(Permission::Mediate, &c.region_code)?;
    if let Some(sid) = req.session_id {
        if !mediation::sessions(&mut tx, id)
            .await?
            .iter()
            .any(|s| s.id == sid)
        {
            return Err(ApiError::field(
                "session_id",
                "unknown_session",
                "该纠纷没有这次调解记录",
            ));
        }
    }
    if let Some(a) = req.advisor_id {
        match wangge_store::users::by_id(&mut tx, a).await {
            Ok(u)
                if u.row.role == "legal_advisor"
                    && u.regions.iter().any(|r| {
                        RegionCode::parse("r", r)
                            .is_ok_and(|rc| c.region_code.starts_with(rc.prefix()))
                    }) => {}
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(ApiError::field(
                    "advisor_id",
                    "not_an_advisor",
                    "所选用户不是负责该地的法律顾问",
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    let row = ConsultationRow {
        id: 0,
        case_id: id,
        session_id: req.session_id,
        asked_by: caller.user_id,
        advisor_id: req.advisor_id,
        question: question.clone(),
        answer: None,
        asked_at: now,
        answered_at: None,
    };
    let qid = mediation::add_consultation(&mut tx, &row).await?;
    if let Some(a) = req.advisor_id {
        notify::notify(
            &mut tx,
            a,
            Some(id),
            "legal_question",
            &format!("纠纷{}《{}》请求法律意见：{}", c.number, c.title, question),
            now,
        )
        .await?;
    }
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "dispute.consult",
            "case",
            id,
            &c.region_code,
            json!({"consultation": qid}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(ConsultationView {
            id: qid,
            session_id: req.session_id,
            question,
            answer: None,
            advisor_id: req.advisor_id,
            asked_at: rfc3339(now),
            answered_at: None,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub answer: String,
}

/// 法律顾问答复咨询。
#[utoipa::path(post, path = "/api/v1/consultations/{id}/answer", tag = "disputes", params(("id" = i64, Path)), request_body = Answer,
    responses((status = 200, body = ConsultationView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn answer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<Answer>,
) -> ApiResult<Json<ConsultationView>> {
    let answer = required("answer", &req.answer, 8000, "答复")?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let q = mediation::consultation(&mut tx, id).await?;
    let c = load_visible(&mut tx, &caller, q.case_id).await?;
    caller.authorize(Permission::GiveLegalAdvice, &c.region_code)?;
    mediation::answer(&mut tx, id, caller.user_id, &answer, now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ApiError::new(StatusCode::CONFLICT, "already_answered", "该咨询已答复")
                    .with_details(json!({"field": "answer", "reason": "already_answered"}))
            }
            e => e.into(),
        })?;
    notify::notify(
        &mut tx,
        q.asked_by,
        Some(c.id),
        "legal_answer",
        &format!("法律顾问已答复纠纷{}的咨询", c.number),
        now,
    )
    .await?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "dispute.advice",
            "case",
            c.id,
            &c.region_code,
            json!({"consultation": id}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(ConsultationView {
        id,
        session_id: q.session_id,
        question: q.question,
        answer: Some(answer),
        advisor_id: Some(caller.user_id),
        asked_at: rfc3339(q.asked_at),
        answered_at: Some(rfc3339(now)),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Referral {
    /// litigation (引导诉讼), arbitration (仲裁) or petition (信访).
    pub to: String,
    pub note: String,
}

/// 调解不成后引导诉讼、仲裁或信访（上报乡镇、县综治中心用事件的“上报”动作）。
#[utoipa::path(post, path = "/api/v1/disputes/{id}/refer", tag = "disputes", params(("id" = i64, Path)), request_body = Referral,
    responses((status = 200, body = DisputeFile), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn refer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<Referral>,
) -> ApiResult<Json<DisputeFile>> {
    let label = match req.to.as_str() {
        "litigation" => "引导诉讼",
        "arbitration" => "申请仲裁",
        "petition" => "转信访渠道",
        _ => {
            return Err(ApiError::field(
                "to",
                "invalid_value",
                "去向应为 litigation、arbitration 或 petition",
            ))
        }
    };
    let note = required("note", &req.note, 2000, "说明")?;
    transition::fire(
        &state,
        &caller,
        id,
        &TransitionRequest {
            action: "refer".into(),
            note: Some(format!("{label}：{note}")),
            ..Default::default()
        },
    )
    .await?;
    let mut tx = state.store.begin().await?;
    let mut d = mediation::get(&mut tx, id).await?;
    d.referral = Some(req.to.clone());
    mediation::save(&mut tx, &d).await?;
    tx.commit().await?;
    Ok(Json(file(&state, &caller, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Outcomes {
    /// The dispute turned into a criminal case (民转刑).
    pub civil_to_criminal: bool,
    /// …and then into a homicide (刑转命).
    pub criminal_to_homicide: bool,
    pub note: String,
}

/// 记录纠纷的后果（民转刑、刑转命），用于统计。
#[utoipa::path(post, path = "/api/v1/disputes/{id}/outcomes", tag = "disputes", params(("id" = i64, Path)), request_body = Outcomes,
    responses((status = 200, body = DisputeFile), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn outcomes(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<Outcomes>,
) -> ApiResult<Json<DisputeFile>> {
    let note = required("note", &req.note, 2000, "说明")?;
    if req.criminal_to_homicide && !req.civil_to_criminal {
        return Err(ApiError::field(
            "criminal_to_homicide",
            "inconsistent",
            "刑转命须先为民转刑",
        ));
    }
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, mut d) = load(&mut tx, &caller, id).await?;
    caller.authorize(Permission::Mediate, &c.region_code)?;
    d.civil_to_criminal = i64::from(req.civil_to_criminal);
    d.criminal_to_homicide = i64::from(req.criminal_to_homicide);
    d.outcome_note = Some(note);
    mediation::save(&mut tx, &d).await?;
    audit::append(&mut tx, caller.audit(now, "dispute.outcomes", "case", id, &c.region_code, json!({"civil_to_criminal": req.civil_to_criminal, "criminal_to_homicide": req.criminal_to_homicide}))).await?;
    tx.commit().await?;
    Ok(Json(file(&state, &caller, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RegionQuery {
    pub region: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WatchItem {
    pub case_id: i64,
    pub number: String,
    pub title: String,
    pub region_code: String,
    pub state: String,
    pub risk: RiskScore,
}

/// 民转刑风险预警名单：高风险未结纠纷及其理由，按分值从高到低。
#[utoipa::path(get, path = "/api/v1/disputes/watchlist", tag = "disputes", params(RegionQuery),
    responses((status = 200, body = Vec<WatchItem>), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn watchlist(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RegionQuery>,
) -> ApiResult<Json<Vec<WatchItem>>> {
    let region = RegionCode::parse("region", &q.region)?;
    // Dispute titles and threat words are for those who mediate or read the statistics.
    caller.authorize(Permission::ReadCases, region.as_str())?;
    if !caller.role.may(Permission::Mediate) && !caller.role.may(Permission::ReadStats) {
        caller.authorize_role(Permission::Mediate)?;
    }
    let (lo, hi) = region.subtree_range();
    let mut conn = state.store.read().await?;
    let mut out = Vec::new();
    for id in mediation::open_disputes(&mut conn, &lo, &hi, 2000).await? {
        let c = store_cases::get(&mut conn, id).await?;
        let d = mediation::get(&mut conn, id).await?;
        let r = risk_of(&state, &mut conn, &c, &d).await?;
        if r.watch {
            out.push(WatchItem {
                case_id: id,
                number: c.number,
                title: c.title,
                region_code: c.region_code,
                state: c.state,
                risk: r,
            });
        }
    }
    out.sort_by(|a, b| {
        b.risk
            .score
            .cmp(&a.risk.score)
            .then(a.case_id.cmp(&b.case_id))
    });
    Ok(Json(out))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    pub region: String,
    /// First day, YYYY-MM-DD.
    pub from: String,
    /// Last day, YYYY-MM-DD (inclusive).
    pub to: String,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Figures {
    /// 排查数: disputes found or taken in the period.
    pub screened: i64,
    /// 化解数: mediated successfully.
    pub resolved: i64,
    pub failed: i64,
    /// 调解成功率 = resolved / (resolved + failed).
    pub success_rate: Option<f64>,
    pub average_days_to_resolve: Option<f64>,
    pub civil_to_criminal: i64,
    pub criminal_to_homicide: i64,
    #[serde(skip)]
    days_total: f64,
}

impl Figures {
    fn add(&mut self, r: &mediation::StatRow) {
        self.screened += 1;
        match r.outcome.as_deref() {
            Some("success") => {
                self.resolved += 1;
                if let Some(at) = r.resolved_at {
                    self.days_total += (at - r.created_at) as f64 / 86_400_000.0;
                }
            }
            Some("failure") => self.failed += 1,
            _ => {}
        }
        self.civil_to_criminal += r.civil_to_criminal;
        self.criminal_to_homicide += r.criminal_to_homicide;
    }
    fn finish(mut self) -> Self {
        let decided = self.resolved + self.failed;
        self.success_rate = (decided > 0).then(|| self.resolved as f64 / decided as f64);
        self.average_days_to_resolve =
            (self.resolved > 0).then(|| self.days_total / self.resolved as f64);
        self
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupFigures {
    pub key: String,
    pub name: String,
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeStats {
    pub region: String,
    pub from: String,
    pub to: String,
    pub total: Figures,
    pub by_category: Vec<GroupFigures>,
    pub by_mediator: Vec<GroupFigures>,
}

/// 矛盾纠纷统计：排查数、化解数、调解成功率、平均化解天数、民转刑/刑转命；按分类与调解员。
#[utoipa::path(get, path = "/api/v1/disputes/stats", tag = "disputes", params(StatsQuery),
    responses((status = 200, body = DisputeStats), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn dispute_stats(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Json<DisputeStats>> {
    let region = RegionCode::parse("region", &q.region)?;
    // Dispute titles and threat words are for those who mediate or read the statistics.
    caller.authorize(Permission::ReadCases, region.as_str())?;
    if !caller.role.may(Permission::Mediate) && !caller.role.may(Permission::ReadStats) {
        caller.authorize_role(Permission::Mediate)?;
    }
    let from = Date::parse_iso(&q.from)
        .ok_or_else(|| ApiError::field("from", "invalid_date", "日期格式应为 YYYY-MM-DD"))?;
    let to = Date::parse_iso(&q.to)
        .ok_or_else(|| ApiError::field("to", "invalid_date", "日期格式应为 YYYY-MM-DD"))?;
    if to < from {
        return Err(ApiError::field(
            "to",
            "out_of_range",
            "结束日期不能早于开始日期",
        ));
    }
    let start = from.to_days() * 86_400_000 - 8 * 3_600_000;
    let end = (to.to_days() + 1) * 86_400_000 - 8 * 3_600_000;
    let (lo, hi) = region.subtree_range();
    let mut conn = state.store.read().await?;
    let rows = mediation::stat_rows(&mut conn, &lo, &hi, start, end).await?;
    let mut total = Figures::default();
    let mut by_cat: BTreeMap<String, Figures> = BTreeMap::new();
    let mut by_med: BTreeMap<i64, Figures> = BTreeMap::new();
    for r in &rows {
        total.add(r);
        by_cat.entry(r.category.clone()).or_default().add(r);
        if let Some(m) = r.assignee_user_id {
            by_med.entry(m).or_default().add(r);
        }
    }
    let by_category = by_cat
        .into_iter()
        .map(|(k, f)| GroupFigures {
            name: state
                .cases
                .catalogue
                .category(&k)
                .map(|(_, c)| c.name.clone())
                .unwrap_or_default(),
            key: k,
            figures: f.finish(),
        })
        .collect();
    let mut by_mediator = Vec::new();
    for (m, f) in by_med {
        let name = wangge_store::users::by_id(&mut conn, m)
            .await
            .map(|u| u.row.display_name)
            .unwrap_or_default();
        by_mediator.push(GroupFigures {
            key: m.to_string(),
            name,
            figures: f.finish(),
        });
    }
    Ok(Json(DisputeStats {
        region: region.to_string(),
        from: q.from,
        to: q.to,
        total: total.finish(),
        by_category,
        by_mediator,
    }))
}
