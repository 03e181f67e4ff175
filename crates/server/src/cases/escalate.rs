//! Automatic escalation (小事不出村、大事不出镇): an open case whose handling level's time
//! limit has passed moves up to the next governance centre by itself. Run by a background
//! ticker in the server, and on demand (`POST /api/v1/system/sweep`), always against the
//! injected clock so tests move time instead of sleeping.

use serde_json::json;
use wangge_store::audit;
use wangge_store::cases::{self, EventRow};

use super::deadline::next_level;
use super::notify::{tell, Notice};
use super::transition::escalate_to;
use crate::access::{audit_entry, RequestCtx};
use crate::error::ApiResult;
use crate::AppState;

/// Escalates every overdue case (in batches); returns how many moved.
pub async fn sweep(state: &AppState) -> ApiResult<usize> {
    let now = state.clock.now_ms();
    let mut moved = 0;
    loop {
        let ids = {
            let mut conn = state.store.read().await?;
            cases::overdue_levels(&mut conn, now, 200).await?
        };
        if ids.is_empty() {
            break;
        }
        let mut progressed = false;
        for id in ids {
            if escalate_one(state, id, now).await? {
                moved += 1;
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    Ok(moved)
}

/// One case, one transaction. Re-reads the row, so a case closed meanwhile is left alone.
async fn escalate_one(state: &AppState, id: i64, now: i64) -> ApiResult<bool> {
    let mut tx = state.store.begin().await?;
    let mut case = cases::get(&mut tx, id).await?;
    if case.terminal != 0 || case.level_due_at.is_none_or(|d| d > now) {
        return Ok(false);
    }
    let Some(next) = next_level(&case.handling_region) else {
        case.level_due_at = None;
        cases::save(&mut tx, &case).await?;
        tx.commit().await?;
        return Ok(false);
    };
    let data = escalate_to(state, &mut case, next, now);
    case.updated_at = now;
    cases::save(&mut tx, &case).await?;
    cases::append_event(
        &mut tx,
        &EventRow {
            id: 0,
            case_id: id,
            at: now,
            actor: "system".into(),
            actor_user_id: None,
            action: "auto_escalate".into(),
            effect: "escalate".into(),
            from_state: case.state.clone(),
            to_state: case.state.clone(),
            note: Some("本级办理时限已到，自动上报上级综治中心".into()),
            data: data.to_string(),
        },
    )
    .await?;
    let msg = format!(
        "事件{}《{}》本级超时，已自动上报至{}",
        case.number, case.title, case.handling_region
    );
    tell(
        &mut tx,
        &state.cases.webhooks,
        &Notice {
            user: case.assignee_user_id,
            case_id: id,
            kind: "auto_escalate",
            title: "超时自动上报",
            text: &msg,
        },
        now,
    )
    .await?;
    let ctx = RequestCtx {
        ip: "system".into(),
        request_id: String::new(),
    };
    audit::append(
        &mut tx,
        audit_entry(
            &ctx,
            "system",
            now,
            "case.auto_escalate",
            "case",
            &id.to_string(),
            &case.region_code,
            json!({"to": case.handling_region}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
