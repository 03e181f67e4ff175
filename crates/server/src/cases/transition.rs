//! Firing an action on a case: the workflow decides whether it may fire; this applies
//! its effect (assignee, clocks, escalation, satisfaction), keeps the rollups, writes the
//! timeline, tells people, and commits it all at once.

use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use wangge_core::rates::Counters;
use wangge_core::role::Permission;
use wangge_core::workflow::{card, Card, Effect, Field, Refusal, Step};
use wangge_store::cases::{self, CaseRow, EventRow};
use wangge_store::{audit, case_stats, notify as store_notify, users, StoreError, Tx};

use super::deadline::{due_ms, level_name, next_level};
use super::notify::{tell, Notice};
use crate::access::Caller;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// The action id, see the case's `allowed_actions`.
    pub action: String,
    pub note: Option<String>,
    pub reason: Option<String>,
    /// User id to dispatch or reassign to; when absent, the routing rules choose.
    pub assignee: Option<i64>,
    /// 回访: satisfied (满意), basic_satisfied (基本满意) or unsatisfied (不满意).
    pub satisfaction: Option<String>,
    /// 回访: was the matter solved? Defaults to `satisfaction != unsatisfied`.
    pub solved: Option<bool>,
    pub extension_days: Option<u32>,
    pub resolution: Option<String>,
    /// The version last read; when given, a changed case is refused (409).
    pub version: Option<i64>,
}

pub const SATISFACTION: [&str; 3] = ["satisfied", "basic_satisfied", "unsatisfied"];

fn text(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn refusal(r: Refusal) -> ApiError {
    let status = match r {
        Refusal::RoleNotAllowed { .. } => axum::http::StatusCode::FORBIDDEN,
        Refusal::MissingField { .. } => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        _ => axum::http::StatusCode::CONFLICT,
    };
    ApiError::new(status, r.code(), r.message_zh()).with_details(json!({
        "field": r.field(),
        "reason": r.code(),
        "allowed": r.allowed(),
    }))
}

/// Everything a case row and the rollups need from one fired action or escalation.
pub(crate) struct Applied {
    pub delta: Counters,
    pub data: serde_json::Value,
    pub tell: Option<(Option<i64>, &'static str, String)>,
}

pub async fn fire(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: &TransitionRequest,
) -> ApiResult<()> {
    let now = state.clock.now_ms();
    let cfg = &state.cases;
    let mut tx = state.store.begin().await?;
    let mut case = cases::get(&mut tx, id).await?;
    caller.authorize(Permission::ReadCases, &case.region_code)?;
    if caller.role == wangge_core::role::Role::Enterprise && case.created_by != Some(caller.user_id)
    {
        return Err(ApiError::not_found());
    }
    if let Some(into) = case.merged_into {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "case_merged",
            format!("该事件已合并到事件{into}，请在主事件上办理"),
        )
        .with_details(json!({"field": "action", "reason": "case_merged", "merged_into": into})));
    }
    if let Some(v) = req.version {
        if v != case.version {
            return Err(version_conflict());
        }
    }
    let wf = cfg
        .workflows
        .get(&case.case_type)
        .ok_or_else(|| ApiError::internal("unknown case type"))?;
    // Dispatch without an assignee takes the routing rules' choice.
    let mut assignee = req.assignee;
    let wants_assignee = wf
        .action(&req.action)
        .is_some_and(|a| a.requires(Field::Assignee));
    if assignee.is_none() && wants_assignee {
        assignee = route(&mut tx, &case).await?;
    }
    let mut provided = Vec::new();
    for (f, has) in [
        (Field::Note, text(&req.note).is_some()),
        (Field::Reason, text(&req.reason).is_some()),
        (Field::Assignee, assignee.is_some()),
        (Field::Satisfaction, req.satisfaction.is_some()),
        (Field::ExtensionDays, req.extension_days.is_some()),
        (Field::Resolution, text(&req.resolution).is_some()),
    ] {
        if has {
            provided.push(f);
        }
    }
    let fired = cases::times_fired(&mut tx, id, &req.action).await?;
    let step = wf
        .fire(
            &case.state,
            &req.action,
            caller.role,
            &provided,
            u32::try_from(fired).unwrap_or(u32::MAX),
        )
        .map_err(refusal)?;
    if let Some(within) = step.action.within {
        if let Some(limit) = due_ms(&cfg.calendar, case.state_entered_at, within) {
            if now > limit {
                return Err(ApiError::new(
                    axum::http::StatusCode::CONFLICT,
                    "time_window_passed",
                    format!("“{}”须在期限内提出，已超过期限", step.action.name),
                )
                .with_details(json!({"field": "action", "reason": "time_window_passed"})));
            }
        }
    }
    let applied = apply(state, &mut tx, &mut case, &step, req, assignee, now).await?;
    let region = case.region_code.clone();
    finish(
        state,
        &mut tx,
        case,
        &step,
        applied,
        caller.username.clone(),
        Some(caller.user_id),
        text(&req.note).or(text(&req.reason)).map(str::to_string),
        now,
    )
    .await?;
    audit::append(
        &mut tx,
        caller.audit(
            now,
            "case.transition",
            "case",
            id,
            &region,
            json!({"action": req.action}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A dispute's outcome follows its workflow, whichever endpoint fired the action.
async fn record_dispute_outcome(
    tx: &mut Tx,
    case_id: i64,
    action: &str,
    now: i64,
) -> ApiResult<()> {
    let outcome = match action {
        "succeed" => Some("success"),
        "fail" => Some("failure"),
        "not_performed" => None,
        _ => return Ok(()),
    };
    match wangge_store::mediation::get(tx, case_id).await {
        Ok(mut d) => {
            d.outcome = outcome.map(str::to_string);
            d.resolved_at = (outcome == Some("success")).then_some(now);
            wangge_store::mediation::save(tx, &d).await?;
            Ok(())
        }
        Err(StoreError::NotFound) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn clock_refusal(reason: &str, message: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::CONFLICT,
        reason,
        message.to_string(),
    )
    .with_details(json!({"field": "action", "reason": reason}))
}

pub fn version_conflict() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::CONFLICT,
        "version_conflict",
        "该事件已被他人更新，请刷新后重试",
    )
    .with_details(json!({"field": "version", "reason": "version_conflict"}))
}

/// The most specific routing rule for the case: longest region, then longest category prefix.
async fn route(tx: &mut Tx, case: &CaseRow) -> ApiResult<Option<i64>> {
    let rules = store_notify::rules(tx).await?;
    let best = rules
        .into_iter()
        .filter(|r| case.category.starts_with(&r.category_prefix))
        .filter(|r| {
            wangge_core::region::RegionCode::parse("r", &r.region_code)
                .is_ok_and(|c| case.region_code.starts_with(c.prefix()))
        })
        .max_by_key(|r| {
            (
                r.region_code.trim_end_matches('0').len(),
                r.category_prefix.len(),
            )
        });
    Ok(best.map(|r| r.assignee_user_id))
}

async fn apply(
    state: &AppState,
    tx: &mut Tx,
    case: &mut CaseRow,
    step: &Step<'_>,
    req: &TransitionRequest,
    assignee: Option<i64>,
    now: i64,
) -> ApiResult<Applied> {
    let cfg = &state.cases;
    let mut delta = Counters::default();
    let mut data = json!({});
    let mut tell_whom = None;
    // Leaving a state after its deadline marks the case late (for the on-time rate).
    if step.entered && case.late_at.is_none() {
        if let Some(due) = case.state_due_at.filter(|d| now > *d) {
            case.late_at = Some(due);
        }
    }
    match step.action.effect {
        Effect::Dispatch | Effect::Reassign => {
            let uid =
                assignee.ok_or_else(|| ApiError::field("assignee", "required", "请指定承办人"))?;
            let user = match users::by_id(tx, uid).await {
                Ok(u) => u,
                Err(StoreError::NotFound) => {
                    return Err(ApiError::field("assignee", "unknown_user", "承办人不存在"))
                }
                Err(e) => return Err(e.into()),
            };
            let covers = user.regions.iter().any(|r| {
                wangge_core::region::RegionCode::parse("r", r)
                    .is_ok_and(|c| case.region_code.starts_with(c.prefix()))
            });
            if !covers || user.row.disabled != 0 {
                return Err(ApiError::field(
                    "assignee",
                    "assignee_out_of_scope",
                    "承办人的管辖范围不包含该事件所在区划",
                ));
            }
            case.assignee_user_id = Some(uid);
            data = json!({"assignee": uid, "assignee_name": user.row.display_name});
            if case.dispatched_at.is_none() {
                case.dispatched_at = Some(now);
                delta.dispatched = 1;
            }
            tell_whom = Some((
                Some(uid),
                "dispatch",
                format!("事件{}《{}》已派给您办理", case.number, case.title),
            ));
        }
        Effect::Accept => {
            if case.responded_at.is_none() {
                case.responded_at = Some(now);
                if case.dispatched_at.is_some() && case.state_due_at.is_none_or(|d| now <= d) {
                    delta.responded_on_time = 1;
                }
            }
        }
        Effect::Return => {
            let reason = text(&req.reason).unwrap_or_default().to_string();
            data = json!({"reason": reason, "previous_assignee": case.assignee_user_id});
            case.assignee_user_id = None;
            tell_whom = Some((
                case.created_by,
                "return",
                format!("事件{}被退回：{reason}", case.number),
            ));
        }
        Effect::Escalate => {
            let next = next_level(&case.handling_region).ok_or_else(|| {
                ApiError::new(
                    axum::http::StatusCode::CONFLICT,
                    "already_at_top",
                    "事件已在县级综治中心办理，无法再上报",
                )
                .with_details(json!({"field": "action", "reason": "already_at_top"}))
            })?;
            data = escalate_to(state, case, next, now);
            tell_whom = Some((
                None,
                "escalate",
                format!(
                    "事件{}《{}》上报至{}",
                    case.number, case.title, case.handling_region
                ),
            ));
        }
        Effect::Supervise => {
            let wf = cfg.workflows.get(&case.case_type);
            let grade = match case.state_due_at {
                Some(due) => card(
                    case.state_entered_at,
                    due,
                    now,
                    wf.map(|w| w.yellow_at).unwrap_or(0.8),
                ),
                None => Card::None,
            };
            let level = match grade {
                Card::Red => "red",
                Card::Yellow => "yellow",
                Card::None => "normal",
            };
            case.supervise_level = Some(level.to_string());
            data = json!({"supervise_level": level});
            let label = match level {
                "red" => "红牌督办",
                "yellow" => "黄牌督办",
                _ => "督办",
            };
            tell_whom = Some((
                case.assignee_user_id,
                "supervise",
                format!("{label}：事件{}《{}》请抓紧办理", case.number, case.title),
            ));
        }
        Effect::Extend => {
            let days = req.extension_days.unwrap_or(0);
            let limit = step.action.extension(days)?;
            let base = case.state_due_at.unwrap_or(now);
            case.state_due_at = due_ms(&cfg.calendar, base, limit).or(case.state_due_at);
            data = json!({"extension_days": days, "reason": text(&req.reason)});
        }
        Effect::Close => {
            case.closed_at = Some(now);
            delta.closed = 1;
            delta.handling_ms = now - case.created_at;
            let on_time = case.late_at.is_none() && case.state_due_at.is_none_or(|d| now <= d);
            delta.closed_on_time = i64::from(on_time);
            data = json!({"on_time": on_time, "resolution": text(&req.resolution)});
            tell_whom = Some((
                case.created_by,
                "close",
                format!("事件{}《{}》已办结", case.number, case.title),
            ));
        }
        Effect::FollowUp => {
            let s = req.satisfaction.clone().unwrap_or_default();
            if !SATISFACTION.contains(&s.as_str()) {
                return Err(ApiError::field("satisfaction", "invalid_value", "满意度应为 satisfied（满意）、basic_satisfied（基本满意）、unsatisfied（不满意）之一"));
            }
            let solved = req.solved.unwrap_or(s != "unsatisfied");
            delta.rated = 1;
            delta.satisfied = i64::from(s == "satisfied");
            delta.basic_satisfied = i64::from(s == "basic_satisfied");
            delta.unsatisfied = i64::from(s == "unsatisfied");
            delta.solved = i64::from(solved);
            data = json!({"satisfaction": s, "solved": solved});
            case.satisfaction = Some(s);
        }
        Effect::Reopen => {
            case.closed_at = None;
            data = json!({"reason": text(&req.reason)});
            tell_whom = Some((
                case.assignee_user_id,
                "reopen",
                format!("事件{}《{}》已重新办理", case.number, case.title),
            ));
        }
        Effect::Pause => {
            if case.paused_remaining_ms.is_some() {
                return Err(clock_refusal(
                    "already_paused",
                    "期限计时已暂停，请先结束听证",
                ));
            }
            let remaining = case.state_due_at.map(|d| (d - now).max(0)).unwrap_or(0);
            case.paused_remaining_ms = Some(remaining);
            case.state_due_at = None;
            data = json!({"remaining_ms": remaining, "note": text(&req.note)});
        }
        Effect::Resume => {
            let Some(remaining) = case.paused_remaining_ms.take() else {
                return Err(clock_refusal("not_paused", "期限计时并未暂停"));
            };
            case.state_due_at = Some(now + remaining);
            data = json!({"remaining_ms": remaining});
        }
        Effect::Reply | Effect::Cancel | Effect::None => {}
    }
    Ok(Applied {
        delta,
        data,
        tell: tell_whom,
    })
}

/// Moves the case one rung up and restarts the level clock.
pub(crate) fn escalate_to(
    state: &AppState,
    case: &mut CaseRow,
    next: String,
    now: i64,
) -> serde_json::Value {
    let from = std::mem::replace(&mut case.handling_region, next);
    case.level_entered_at = now;
    let wf = state.cases.workflows.get(&case.case_type);
    case.level_due_at = level_name(&case.handling_region)
        .and_then(|l| wf.and_then(|w| w.escalation_limit(l)))
        .and_then(|limit| due_ms(&state.cases.calendar, now, limit));
    json!({"from_level": from, "to_level": case.handling_region})
}

/// Writes the new state, clocks, rollups, timeline entry and notices.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn finish(
    state: &AppState,
    tx: &mut Tx,
    mut case: CaseRow,
    step: &Step<'_>,
    applied: Applied,
    actor: String,
    actor_user_id: Option<i64>,
    note: Option<String>,
    now: i64,
) -> ApiResult<()> {
    let cfg = &state.cases;
    let wf = cfg
        .workflows
        .get(&case.case_type)
        .ok_or_else(|| ApiError::internal("unknown case type"))?;
    let from = case.state.clone();
    if step.entered {
        case.state = step.to.clone();
        case.paused_remaining_ms = None;
        // A detour that keeps the running deadline keeps its start too (for the 黄牌 grade).
        if step.clock != wangge_core::workflow::Clock::Keep {
            case.state_entered_at = now;
        }
        case.terminal = i64::from(wf.is_terminal(&step.to));
        match step.clock {
            wangge_core::workflow::Clock::Start(limit) => {
                case.state_due_at = due_ms(&cfg.calendar, now, limit)
            }
            wangge_core::workflow::Clock::Stop => case.state_due_at = None,
            wangge_core::workflow::Clock::Keep => {}
        }
        if case.terminal != 0 {
            case.level_due_at = None;
        } else if case.level_due_at.is_none() && step.action.effect == Effect::Reopen {
            case.level_entered_at = now;
            case.level_due_at = level_name(&case.handling_region)
                .and_then(|l| wf.escalation_limit(l))
                .and_then(|limit| due_ms(&cfg.calendar, now, limit));
        }
        if step.action.effect == Effect::Dispatch && case.response_due_at.is_none() {
            case.response_due_at = case.state_due_at;
        }
        case_stats::move_state(
            tx,
            &case.rollup_region,
            &case.case_type,
            Some(&from),
            &case.state,
        )
        .await?;
    }
    case.updated_at = now;
    let d = &applied.delta;
    if *d != Counters::default() {
        case_stats::bump(
            tx,
            &case.rollup_region,
            &case.month,
            &case.category,
            &case.source,
            d,
        )
        .await?;
    }
    cases::save(tx, &case).await.map_err(|e| match e {
        StoreError::Conflict(_) => version_conflict(),
        other => other.into(),
    })?;
    if case.case_type == "dispute" {
        record_dispute_outcome(tx, case.id, &step.action.id, now).await?;
    }
    cases::append_event(
        tx,
        &EventRow {
            id: 0,
            case_id: case.id,
            at: now,
            actor,
            actor_user_id,
            action: step.action.id.clone(),
            effect: step.action.effect.as_str().to_string(),
            from_state: from,
            to_state: case.state.clone(),
            note,
            data: applied.data.to_string(),
        },
    )
    .await?;
    if let Some((user, kind, message)) = applied.tell {
        tell(
            tx,
            &cfg.webhooks,
            &Notice {
                user,
                case_id: case.id,
                kind,
                title: &step.action.name,
                text: &message,
            },
            now,
        )
        .await?;
    }
    // Merged duplicates close together with their primary.
    if step.action.effect == Effect::Close || (case.terminal != 0 && step.entered) {
        for child in cases::merged_children(tx, case.id).await? {
            close_child(state, tx, child, &case, now).await?;
        }
    }
    Ok(())
}

async fn close_child(
    state: &AppState,
    tx: &mut Tx,
    mut child: CaseRow,
    primary: &CaseRow,
    now: i64,
) -> ApiResult<()> {
    if child.terminal != 0 {
        return Ok(());
    }
    let from = child.state.clone();
    child.state = primary.state.clone();
    child.terminal = 1;
    child.state_entered_at = now;
    child.state_due_at = None;
    child.level_due_at = None;
    child.closed_at = Some(now);
    child.updated_at = now;
    let on_time = child.late_at.is_none();
    case_stats::move_state(
        tx,
        &child.rollup_region,
        &child.case_type,
        Some(&from),
        &child.state,
    )
    .await?;
    let delta = Counters {
        closed: 1,
        closed_on_time: i64::from(on_time),
        handling_ms: now - child.created_at,
        ..Default::default()
    };
    case_stats::bump(
        tx,
        &child.rollup_region,
        &child.month,
        &child.category,
        &child.source,
        &delta,
    )
    .await?;
    cases::save(tx, &child).await?;
    cases::append_event(
        tx,
        &EventRow {
            id: 0,
            case_id: child.id,
            at: now,
            actor: "system".into(),
            actor_user_id: None,
            action: "close_with_primary".into(),
            effect: "close".into(),
            from_state: from,
            to_state: child.state.clone(),
            note: Some(format!("随主事件{}办结", primary.number)),
            data: json!({"primary": primary.id}).to_string(),
        },
    )
    .await?;
    let _ = state;
    Ok(())
}
