//! Why a transition was refused, for the API (a stable code and the field to blame) and
//! for people (a Chinese sentence that says what may be done instead).

use super::Field;
use crate::role::Role;
use crate::FieldError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No action with this id in the case type; `allowed` lists what the role may fire now.
    UnknownAction {
        action: String,
        allowed: Vec<String>,
    },
    /// The action does not fire from `state`; `allowed` = action ids this role may fire now.
    NotAllowedNow {
        action: String,
        state: String,
        allowed: Vec<String>,
    },
    /// Only `roles` may fire the action.
    RoleNotAllowed { action: String, roles: Vec<Role> },
    /// The request lacks a field the action requires.
    MissingField { field: Field },
    /// The action already fired `max_times` times on this case.
    LimitReached { action: String, max_times: u32 },
    /// From [`CaseType::replay`](super::CaseType::replay): entry `index` (0-based) of the
    /// timeline is unknown or does not fire from the state reached before it.
    Timeline { index: usize, cause: Box<Refusal> },
}

impl Refusal {
    /// Stable machine code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::UnknownAction { .. } => "unknown_action",
            Refusal::NotAllowedNow { .. } => "action_not_allowed_now",
            Refusal::RoleNotAllowed { .. } => "role_not_allowed",
            Refusal::MissingField { .. } => "missing_field",
            Refusal::LimitReached { .. } => "limit_reached",
            Refusal::Timeline { .. } => "timeline_invalid",
        }
    }

    /// `"action"`, or the missing field's name (`"reason"`, `"extension_days"`, …), or
    /// `"timeline"` for a bad timeline.
    pub fn field(&self) -> &'static str {
        match self {
            Refusal::MissingField { field } => field.as_str(),
            Refusal::Timeline { .. } => "timeline",
            _ => "action",
        }
    }

    /// The action ids that may be fired instead (empty when that is not the problem).
    pub fn allowed(&self) -> &[String] {
        match self {
            Refusal::UnknownAction { allowed, .. } | Refusal::NotAllowedNow { allowed, .. } => {
                allowed
            }
            Refusal::Timeline { cause, .. } => cause.allowed(),
            _ => &[],
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            Refusal::UnknownAction { action, allowed } => {
                format!("没有“{action}”这项操作；{}", now_allowed(allowed))
            }
            Refusal::NotAllowedNow {
                action,
                state,
                allowed,
            } => format!(
                "当前状态“{state}”下不能执行“{action}”；{}",
                now_allowed(allowed)
            ),
            Refusal::RoleNotAllowed { action, roles } => {
                let names: Vec<&str> = roles.iter().map(|r| r.name_zh()).collect();
                format!("“{action}”只能由{}执行", names.join("、"))
            }
            Refusal::MissingField { field } => {
                format!("请填写{}（{}）", field.name_zh(), field.as_str())
            }
            Refusal::LimitReached { action, max_times } => {
                format!("“{action}”每件最多只能执行{max_times}次，已用完")
            }
            Refusal::Timeline { index, cause } => {
                format!("办理记录第{}条无效：{}", index + 1, cause.message_zh())
            }
        }
    }
}

fn now_allowed(allowed: &[String]) -> String {
    if allowed.is_empty() {
        "当前没有可执行的操作".to_string()
    } else {
        format!("当前可执行：{}", allowed.join("、"))
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message_zh())
    }
}

impl std::error::Error for Refusal {}

impl From<Refusal> for FieldError {
    fn from(r: Refusal) -> Self {
        FieldError::new(r.field(), r.code(), r.message_zh())
    }
}
