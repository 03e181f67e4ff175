//! How a case looks to a caller: names resolved from the catalogue and workflow, personal
//! data masked, the deadline graded (黄牌/红牌), and the actions this caller may fire now.

use serde::Serialize;
use utoipa::ToSchema;
use wangge_core::role::Role;
use wangge_core::workflow::{card, Card, Field};
use wangge_crypto::FieldCipher;
use wangge_store::cases::{AttachmentRow, CaseRow, EventRow, PartyRow};

use super::CaseConfig;
use crate::views::rfc3339;

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionView {
    pub id: String,
    pub name: String,
    /// Fields the request must carry.
    pub requires: Vec<Field>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub id: i64,
    /// Readable number, e.g. `431027-2026-000123`.
    pub number: String,
    #[serde(rename = "type")]
    pub case_type: String,
    pub type_name: String,
    pub category: String,
    pub category_name: String,
    pub source: String,
    pub source_name: String,
    pub region_code: String,
    /// The governance centre level now responsible (村 → 乡镇 → 县).
    pub handling_region: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub title: String,
    pub description: String,
    pub priority: String,
    pub state: String,
    pub state_name: String,
    pub terminal: bool,
    pub assignee_user_id: Option<i64>,
    /// Deadline of the current state.
    pub due_at: Option<String>,
    /// 黄牌 (nearly due) or 红牌 (overdue).
    pub card: Card,
    pub supervise_level: Option<String>,
    pub satisfaction: Option<String>,
    /// Number of the case this one was merged into.
    pub merged_into: Option<i64>,
    /// An open case this one probably repeats (for an operator to merge).
    pub possible_duplicate_of: Option<i64>,
    pub reporter_name: Option<String>,
    /// Masked.
    pub reporter_phone: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
    /// Where the case came from, e.g. `patrol:12` (a patrol log), `visit:3`, `diary:7`.
    pub origin: Option<String>,
    /// Send back as `version` to refuse concurrent edits.
    pub version: i64,
    /// What the caller may do now.
    pub allowed_actions: Vec<ActionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub action_name: String,
    pub from_state: String,
    pub to_state: String,
    pub note: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartyView {
    pub id: i64,
    pub role: String,
    pub name: String,
    /// Masked.
    pub id_number: Option<String>,
    /// Masked.
    pub phone: Option<String>,
    /// Organisations: 统一社会信用代码.
    pub uscc: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: CaseView,
    /// The append-only timeline; the current state is derived from it.
    pub timeline: Vec<EventView>,
    pub parties: Vec<PartyView>,
    pub attachments: Vec<AttachmentView>,
    /// Ids of cases merged into this one (they close with it).
    pub merged_cases: Vec<i64>,
}

pub fn case_view(
    cfg: &CaseConfig,
    cipher: &FieldCipher,
    c: &CaseRow,
    role: Role,
    now_ms: i64,
) -> CaseView {
    let wf = cfg.workflows.get(&c.case_type);
    let state_name = wf
        .and_then(|w| w.state(&c.state))
        .map(|s| s.name.clone())
        .unwrap_or_else(|| c.state.clone());
    let allowed_actions = match (wf, c.merged_into) {
        (Some(w), None) => w
            .allowed(&c.state, role)
            .into_iter()
            .map(|a| ActionView {
                id: a.id.clone(),
                name: a.name.clone(),
                requires: a.requires.clone(),
            })
            .collect(),
        _ => Vec::new(),
    };
    let yellow_at = wf.map(|w| w.yellow_at).unwrap_or(0.8);
    let grade = match (c.terminal, c.state_due_at) {
        (0, Some(due)) => card(c.state_entered_at, due, now_ms, yellow_at),
        _ => Card::None,
    };
    let reporter_phone = c
        .reporter_phone_enc
        .as_ref()
        .and_then(|e| cipher.decrypt("phone", e).ok())
        .map(|p| wangge_core::phone::mask(&p));
    CaseView {
        id: c.id,
        number: c.number.clone(),
        case_type: c.case_type.clone(),
        type_name: wf.map(|w| w.name.clone()).unwrap_or_default(),
        category: c.category.clone(),
        category_name: cfg
            .catalogue
            .category(&c.category)
            .map(|(_, l)| l.name.clone())
            .unwrap_or_default(),
        source: c.source.clone(),
        source_name: cfg
            .catalogue
            .source(&c.source)
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        region_code: c.region_code.clone(),
        handling_region: c.handling_region.clone(),
        lat: c.lat,
        lng: c.lng,
        title: c.title.clone(),
        description: c.description.clone(),
        priority: c.priority.clone(),
        state: c.state.clone(),
        state_name,
        terminal: c.terminal != 0,
        assignee_user_id: c.assignee_user_id,
        due_at: c.state_due_at.map(rfc3339),
        card: grade,
        supervise_level: c.supervise_level.clone(),
        satisfaction: c.satisfaction.clone(),
        merged_into: c.merged_into,
        possible_duplicate_of: c.possible_duplicate_of,
        reporter_name: c.reporter_name.clone(),
        reporter_phone,
        created_at: rfc3339(c.created_at),
        updated_at: rfc3339(c.updated_at),
        closed_at: c.closed_at.map(rfc3339),
        origin: c.origin.clone(),
        version: c.version,
        allowed_actions,
    }
}

pub fn event_view(cfg: &CaseConfig, case_type: &str, e: EventRow) -> EventView {
    let action_name = cfg
        .workflows
        .get(case_type)
        .and_then(|w| w.action(&e.action))
        .map(|a| a.name.clone())
        .unwrap_or_else(|| match e.action.as_str() {
            "create" => "登记".to_string(),
            "auto_escalate" => "超时自动上报".to_string(),
            "merge_into" => "合并到其他事件".to_string(),
            "merged_from" => "合并重复事件".to_string(),
            "close_with_primary" => "随主事件办结".to_string(),
            other => other.to_string(),
        });
    EventView {
        id: e.id,
        at: rfc3339(e.at),
        actor: e.actor,
        action: e.action,
        action_name,
        from_state: e.from_state,
        to_state: e.to_state,
        note: e.note,
        data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
    }
}

pub fn party_view(cipher: &FieldCipher, p: PartyRow) -> PartyView {
    PartyView {
        id: p.id,
        role: p.role,
        name: p.name,
        id_number: p
            .id_number_enc
            .and_then(|e| cipher.decrypt("id_number", &e).ok())
            .map(|s| wangge_core::id_number::mask(&s)),
        phone: p
            .phone_enc
            .and_then(|e| cipher.decrypt("phone", &e).ok())
            .map(|s| wangge_core::phone::mask(&s)),
        uscc: p.uscc,
    }
}

pub fn attachment_view(a: AttachmentRow) -> AttachmentView {
    AttachmentView {
        url: format!("/api/v1/attachments/{}", a.id),
        id: a.id,
        filename: a.filename,
        content_type: a.content_type,
        size: a.size,
        sha256: a.sha256,
    }
}
