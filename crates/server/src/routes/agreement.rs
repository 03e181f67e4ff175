//! The 人民调解协议书: its text (what the People's Mediation Law requires), the printable
//! page and PDF, each party's 签字确认 (a scanned paper signature or a confirmation on a
//! device), the 30-day window for 司法确认, and the follow-up that checks performance —
//! non-performance reopens the dispute.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use wangge_core::date::Date;
use wangge_core::id_number::IdNumber;
use wangge_core::role::Permission;
use wangge_store::cases as store_cases;
use wangge_store::mediation::{self, AgreementRow, FollowupRow, SignatureRow};
use wangge_store::{audit, StoreError};

use crate::access::Caller;
use crate::cases::transition::{self, TransitionRequest};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::routes::disputes::{file, load, DisputeFile};
use crate::views::rfc3339;
use crate::AppState;

/// The agreement's text, as the mediator writes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementInput {
    /// 协议书编号; default derived from the case number.
    pub number: Option<String>,
    /// 人民调解委员会名称.
    pub committee: String,
    /// 纠纷主要事实.
    pub facts: String,
    /// 争议事项.
    pub disputed_points: String,
    /// 各方责任.
    pub responsibilities: Option<String>,
    /// 协议内容, one item each.
    pub terms: Vec<String>,
    /// 履行方式、地点、期限.
    pub performance: String,
    pub mediators: Vec<String>,
    /// YYYY-MM-DD.
    pub signed_date: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureView {
    pub party_id: i64,
    pub party_name: String,
    /// paper_scan (纸质签字扫描) or device (设备确认).
    pub method: String,
    pub attachment_id: Option<i64>,
    pub signed_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementView {
    pub number: String,
    pub content: AgreementInput,
    pub signatures: Vec<SignatureView>,
    /// When every party had confirmed (the agreement took effect).
    pub effective_at: Option<String>,
    /// Last day to apply jointly for 司法确认 (30 days after taking effect).
    pub judicial_deadline: Option<String>,
    pub judicial_number: Option<String>,
    pub pdf_url: String,
    pub html_url: String,
}

pub async fn agreement_view(
    state: &AppState,
    conn: &mut wangge_store::AnyConnection,
    a: AgreementRow,
) -> ApiResult<AgreementView> {
    let parties = store_cases::parties(conn, a.case_id).await?;
    let signatures = mediation::signatures(conn, a.case_id)
        .await?
        .into_iter()
        .map(|s| SignatureView {
            party_name: parties
                .iter()
                .find(|p| p.id == s.party_id)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            party_id: s.party_id,
            method: s.method,
            attachment_id: s.attachment_id,
            signed_at: rfc3339(s.signed_at),
        })
        .collect();
    let _ = state;
    Ok(AgreementView {
        number: a.number,
        content: serde_json::from_str(&a.content).map_err(ApiError::internal)?,
        signatures,
        effective_at: a.effective_at.map(rfc3339),
        judicial_deadline: a.judicial_deadline,
        judicial_number: a.judicial_number,
        pdf_url: format!("/api/v1/disputes/{}/agreement.pdf", a.case_id),
        html_url: format!("/api/v1/disputes/{}/agreement.html", a.case_id),
    })
}

fn text(field: &str, v: &str, max: usize) -> ApiResult<()> {
    if v.trim().is_empty() || v.chars().count() > max {
        return Err(ApiError::field(
            field,
            "length",
            format!("须为1至{max}个字符"),
        ));
    }
    Ok(())
}

/// 起草或修改调解协议书（调解成功后；任何一方签字确认后不能再改）。
#[utoipa::path(put, path = "/api/v1/disputes/{id}/agreement", tag = "disputes", params(("id" = i64, Path)), request_body = AgreementInput,
    responses((status = 200, body = DisputeFile), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn put_agreement(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(mut req): ApiJson<AgreementInput>,
) -> ApiResult<Json<DisputeFile>> {
    text("committee", &req.committee, 100)?;
    text("facts", &req.facts, 4000)?;
    text("disputed_points", &req.disputed_points, 4000)?;
    text("performance", &req.performance, 2000)?;
    if req.terms.is_empty() {
        return Err(ApiError::field("terms", "required", "协议内容至少一项"));
    }
    for (i, t) in req.terms.iter().enumerate() {
        text(&format!("terms[{i}]"), t, 2000)?;
    }
    if req.mediators.is_empty() {
        return Err(ApiError::field("mediators", "required", "请填写调解员"));
    }
    Date::parse_iso(&req.signed_date)
        .ok_or_else(|| ApiError::field("signed_date", "invalid_date", "日期格式应为 YYYY-MM-DD"))?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, d) = load(&mut tx, &caller, id).await?;
    caller.authorize(Permission::Mediate, &c.region_code)?;
    if d.outcome.as_deref() != Some("success") {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_resolved",
            "调解成功后才能制作协议书",
        )
        .with_details(json!({"field": "outcome", "reason": "not_resolved"})));
    }
    if !mediation::signatures(&mut tx, id).await?.is_empty() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "agreement_signed",
            "已有当事人签字确认，协议书不能再修改",
        )
        .with_details(json!({"field": "terms", "reason": "agreement_signed"})));
    }
    let number = req
        .number
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| {
            let seq = c
                .number
                .rsplit('-')
                .next()
                .unwrap_or("0")
                .trim_start_matches('0');
            format!(
                "{}调字〔{}〕第{}号",
                req.committee.trim_end_matches("人民调解委员会"),
                &c.month[..4],
                if seq.is_empty() { "0" } else { seq }
            )
        });
    req.number = Some(number.clone());
    let row = AgreementRow {
        case_id: id,
        number,
        content: serde_json::to_string(&req).map_err(ApiError::internal)?,
        signed_date: req.signed_date.clone(),
        effective_at: None,
        judicial_deadline: None,
        judicial_number: None,
        judicial_confirmed_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    mediation::put_agreement(&mut tx, &row)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ApiError::field("number", "number_taken", "协议书编号已被使用")
            }
            e => e.into(),
        })?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "dispute.agreement",
            "case",
            id,
            &c.region_code,
            json!({"number": row.number}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(file(&state, &caller, id).await?))
}

async fn document(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> ApiResult<wangge_documents::Agreement> {
    let mut conn = state.store.read().await?;
    let (c, _) = load(&mut conn, caller, id).await?;
    let a = mediation::agreement(&mut conn, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let input: AgreementInput = serde_json::from_str(&a.content).map_err(ApiError::internal)?;
    let today = Date::from_unix_millis_cst(state.clock.now_ms());
    let parties = store_cases::parties(&mut conn, id).await?;
    let sigs = mediation::signatures(&mut conn, id).await?;
    let role_zh = |r: &str| match r {
        "applicant" => "申请人",
        "respondent" => "被申请人",
        _ => "当事人",
    };
    let doc_parties = parties
        .iter()
        .filter(|p| p.role == "applicant" || p.role == "respondent")
        .map(|p| {
            let id_plain = p
                .id_number_enc
                .as_ref()
                .and_then(|e| state.cipher.decrypt("id_number", e).ok());
            let parsed = id_plain
                .as_deref()
                .and_then(|s| IdNumber::parse("id", s, today).ok());
            wangge_documents::Party {
                role: role_zh(&p.role).to_string(),
                name: p.name.clone(),
                sex: parsed.as_ref().map(|i| match i.sex() {
                    wangge_core::id_number::Sex::Male => "男".to_string(),
                    wangge_core::id_number::Sex::Female => "女".to_string(),
                }),
                birth_date: parsed.as_ref().map(|i| i.birth_date().to_string()),
                id_number_masked: id_plain.as_deref().map(wangge_core::id_number::mask),
                address: None,
                phone_masked: p
                    .phone_enc
                    .as_ref()
                    .and_then(|e| state.cipher.decrypt("phone", e).ok())
                    .map(|s| wangge_core::phone::mask(&s)),
            }
        })
        .collect::<Vec<_>>();
    let signatures = sigs
        .iter()
        .map(|s| wangge_documents::Signature {
            party: parties
                .iter()
                .find(|p| p.id == s.party_id)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            method: if s.method == "paper_scan" {
                "纸质签字扫描".into()
            } else {
                "设备确认".into()
            },
            at: rfc3339(s.signed_at),
        })
        .collect();
    let copies = doc_parties.len() as u32 + 1;
    let _ = c;
    Ok(wangge_documents::Agreement {
        number: a.number,
        committee: input.committee,
        parties: doc_parties,
        facts: input.facts,
        disputed_points: input.disputed_points,
        responsibilities: input.responsibilities,
        terms: input.terms,
        performance: input.performance,
        mediators: input.mediators,
        signed_date: input.signed_date,
        copies,
        signatures,
    })
}

/// 调解协议书 PDF（中文字体内嵌，可打印）。
#[utoipa::path(get, path = "/api/v1/disputes/{id}/agreement.pdf", tag = "disputes", params(("id" = i64, Path)),
    responses((status = 200, description = "application/pdf"), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn agreement_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let doc = document(&state, &caller, id).await?;
    let rendered = tokio::task::spawn_blocking(move || wangge_documents::agreement_pdf(&doc))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| {
            if e.is_input_error() {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "agreement_incomplete",
                    e.to_string(),
                )
                .with_details(json!({"field": "agreement", "reason": "agreement_incomplete"}))
            } else {
                ApiError::internal(e)
            }
        })?;
    // Characters the embedded font lacks print as □; say which, so a name can be checked.
    let missing: String = rendered.missing_glyphs.iter().collect();
    let mut resp = (
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"agreement.pdf\"",
            ),
        ],
        rendered.pdf,
    )
        .into_response();
    if !missing.is_empty() {
        let encoded: String = missing
            .chars()
            .map(|c| format!("U+{:04X} ", c as u32))
            .collect();
        if let Ok(v) = axum::http::HeaderValue::from_str(encoded.trim()) {
            resp.headers_mut().insert("x-missing-glyphs", v);
        }
    }
    Ok(resp)
}

/// 调解协议书网页版（预览、浏览器打印）。
#[utoipa::path(get, path = "/api/v1/disputes/{id}/agreement.html", tag = "disputes", params(("id" = i64, Path)),
    responses((status = 200, description = "text/html"), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn agreement_html(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let doc = document(&state, &caller, id).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        wangge_documents::agreement_html(&doc),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSignature {
    /// A party of the dispute (see the file's `parties`).
    pub party_id: i64,
    /// paper_scan (纸质签字扫描; give the scan's attachment) or device (设备确认).
    pub method: String,
    /// The uploaded scan (an attachment of this case), for paper_scan.
    pub attachment_id: Option<i64>,
}

/// 记录当事人签字确认；全部当事人确认后协议生效，开始计算30日司法确认申请期。
#[utoipa::path(post, path = "/api/v1/disputes/{id}/agreement/signatures", tag = "disputes", params(("id" = i64, Path)), request_body = NewSignature,
    responses((status = 201, body = DisputeFile), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn sign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<NewSignature>,
) -> ApiResult<(StatusCode, Json<DisputeFile>)> {
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, _) = load(&mut tx, &caller, id).await?;
    caller.authorize(Permission::Mediate, &c.region_code)?;
    let a = mediation::agreement(&mut tx, id).await?.ok_or_else(|| {
        ApiError::new(StatusCode::CONFLICT, "no_agreement", "尚未制作协议书")
            .with_details(json!({"field": "party_id", "reason": "no_agreement"}))
    })?;
    let parties = store_cases::parties(&mut tx, id).await?;
    let signers: Vec<_> = parties
        .iter()
        .filter(|p| p.role == "applicant" || p.role == "respondent")
        .collect();
    if !signers.iter().any(|p| p.id == req.party_id) {
        return Err(ApiError::field(
            "party_id",
            "unknown_party",
            "该纠纷没有这位当事人",
        ));
    }
    match (req.method.as_str(), req.attachment_id) {
        ("paper_scan", Some(att)) => {
            if !store_cases::attachments(&mut tx, id)
                .await?
                .iter()
                .any(|x| x.id == att)
            {
                return Err(ApiError::field(
                    "attachment_id",
                    "unknown_attachment",
                    "请先把签字页扫描件作为该纠纷的附件上传",
                ));
            }
        }
        ("paper_scan", None) => {
            return Err(ApiError::field(
                "attachment_id",
                "required",
                "纸质签字须附扫描件",
            ))
        }
        ("device", _) => {}
        _ => {
            return Err(ApiError::field(
                "method",
                "invalid_value",
                "确认方式应为 paper_scan 或 device",
            ))
        }
    }
    let row = SignatureRow {
        id: 0,
        case_id: id,
        party_id: req.party_id,
        method: req.method.clone(),
        attachment_id: req.attachment_id,
        signed_at: now,
        recorded_by: caller.user_id,
    };
    mediation::add_signature(&mut tx, &row)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ApiError::new(StatusCode::CONFLICT, "already_signed", "该当事人已确认")
                    .with_details(json!({"field": "party_id", "reason": "already_signed"}))
            }
            e => e.into(),
        })?;
    let signed = mediation::signatures(&mut tx, id).await?.len();
    if signed == signers.len() && a.effective_at.is_none() {
        let today = Date::from_unix_millis_cst(now);
        let deadline = state
            .cases
            .calendar
            .due_after_days(today, 30)
            .map(|d| d.to_string())
            .unwrap_or_else(|_| Date::from_days(today.to_days() + 30).to_string());
        mediation::set_effective(&mut tx, id, now, &deadline).await?;
    }
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "dispute.sign",
            "case",
            id,
            &c.region_code,
            json!({"party": req.party_id, "method": req.method}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(file(&state, &caller, id).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JudicialConfirmation {
    /// The court's 调确字 number.
    pub number: String,
}

/// 记录法院司法确认（调确字号）。
#[utoipa::path(post, path = "/api/v1/disputes/{id}/judicial-confirmation", tag = "disputes", params(("id" = i64, Path)), request_body = JudicialConfirmation,
    responses((status = 200, body = DisputeFile), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn judicial(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<JudicialConfirmation>,
) -> ApiResult<Json<DisputeFile>> {
    text("number", &req.number, 100)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, _) = load(&mut tx, &caller, id).await?;
    caller.authorize(Permission::Mediate, &c.region_code)?;
    let a = mediation::agreement(&mut tx, id).await?;
    if a.as_ref().and_then(|a| a.effective_at).is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "agreement_not_effective",
            "协议尚未生效，不能司法确认",
        )
        .with_details(json!({"field": "number", "reason": "agreement_not_effective"})));
    }
    mediation::set_judicial(&mut tx, id, req.number.trim(), now).await?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "dispute.judicial",
            "case",
            id,
            &c.region_code,
            json!({"number": req.number}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(file(&state, &caller, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFollowup {
    /// Was the agreement performed?
    pub performed: bool,
    pub note: String,
    /// When performed: satisfied (满意, default), basic_satisfied or unsatisfied.
    pub satisfaction: Option<String>,
}

/// 回访协议履行情况：已履行则回访办结；未履行则重新调解。
#[utoipa::path(post, path = "/api/v1/disputes/{id}/followups", tag = "disputes", params(("id" = i64, Path)), request_body = NewFollowup,
    responses((status = 201, body = DisputeFile), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
pub async fn followup(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<NewFollowup>,
) -> ApiResult<(StatusCode, Json<DisputeFile>)> {
    text("note", &req.note, 2000)?;
    let now = state.clock.now_ms();
    let (c, _) = {
        let mut conn = state.store.read().await?;
        load(&mut conn, &caller, id).await?
    };
    caller.authorize(Permission::Mediate, &c.region_code)?;
    // The transition decides whether a follow-up fits now; the record is kept with it.
    let t = if req.performed {
        TransitionRequest {
            action: "follow_up".into(),
            satisfaction: Some(
                req.satisfaction
                    .clone()
                    .unwrap_or_else(|| "satisfied".into()),
            ),
            note: Some(req.note.clone()),
            ..Default::default()
        }
    } else {
        TransitionRequest {
            action: "not_performed".into(),
            reason: Some(req.note.clone()),
            ..Default::default()
        }
    };
    transition::fire(&state, &caller, id, &t).await?;
    let mut tx = state.store.begin().await?;
    mediation::add_followup(
        &mut tx,
        &FollowupRow {
            id: 0,
            case_id: id,
            at: now,
            performed: i64::from(req.performed),
            note: req.note.clone(),
            recorded_by: caller.user_id,
        },
    )
    .await?;
    if !req.performed {
        let mut d = mediation::get(&mut tx, id).await?;
        d.outcome = None;
        d.resolved_at = None;
        mediation::save(&mut tx, &d).await?;
    }
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(file(&state, &caller, id).await?)))
}
