//! Case workflows as data: each case type (一般事件, 12345工单, 信访, 矛盾纠纷, 设备告警) is a
//! state machine read from TOML, so a county changes states, roles, required fields and time
//! limits by editing a file, never the code. `data/workflows/default.toml` is embedded as the
//! default and documents the format.
//!
//! The engine is pure. [`CaseType::fire`] checks one transition (state, role, the fields
//! the request carries, how often the action already fired) and answers with a [`Step`]
//! or a [`Refusal`]; [`CaseType::replay`] rebuilds a case's state from its timeline, which
//! is the truth (the stored state is a projection of it). Deadlines are data too: each
//! state may carry a [`TimeLimit`], turned into a due time by the calendar, and [`card`]
//! grades a deadline as 黄牌/红牌.
//!
//! Loading refuses every mistake that would strand a case or skip a rule (an unknown
//! state, a dead end, an unreachable state, a 派单 without an assignee, a 延期 without a
//! reason), naming the line ([`WorkflowError`]).

mod engine;
mod graph;
mod load;
mod refusal;
#[cfg(test)]
mod tests;

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::calendar::TimeLimit;
use crate::role::Role;

pub use engine::{card, Card, Clock, Step};
pub use load::WorkflowError;
pub use refusal::Refusal;

/// The workflows shipped with wangge; a deployment overrides them with its own file.
const DEFAULT_TOML: &str = include_str!("../../../data/workflows/default.toml");

/// The fraction of a time limit that may pass before a case earns a yellow card.
pub const DEFAULT_YELLOW_AT: f64 = 0.8;

/// The escalation levels a case passes through by itself, lowest first (村 → 乡镇; above
/// 乡镇 is the county, where escalation ends).
pub const ESCALATION_LEVELS: [&str; 2] = ["village", "township"];

/// Every case type of a deployment.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowSet {
    types: Vec<CaseType>,
}

impl WorkflowSet {
    /// Reads and checks a workflow file (see `data/workflows/default.toml` for the format).
    pub fn from_toml(text: &str) -> Result<WorkflowSet, WorkflowError> {
        load::parse(text).map(|types| WorkflowSet { types })
    }

    /// The embedded default workflows.
    ///
    /// # Panics
    /// Only if the shipped file does not load, which a unit test rules out.
    pub fn defaults() -> WorkflowSet {
        static DEFAULTS: OnceLock<WorkflowSet> = OnceLock::new();
        DEFAULTS
            .get_or_init(|| match WorkflowSet::from_toml(DEFAULT_TOML) {
                Ok(set) => set,
                Err(e) => panic!("data/workflows/default.toml does not load: {e}"),
            })
            .clone()
    }

    pub fn get(&self, type_id: &str) -> Option<&CaseType> {
        self.types.iter().find(|t| t.id == type_id)
    }

    /// The case types in file order.
    pub fn types(&self) -> &[CaseType] {
        &self.types
    }

    /// This set with a deployment's own file laid over it: a case type in `local` replaces
    /// the one with the same id (in its place), a new id is appended. Both sets were
    /// checked on loading, and each case type stands alone, so the result is valid too.
    pub fn overlay(mut self, local: WorkflowSet) -> WorkflowSet {
        for t in local.types {
            match self.types.iter_mut().find(|own| own.id == t.id) {
                Some(own) => *own = t,
                None => self.types.push(t),
            }
        }
        self
    }
}

/// One kind of case and its state machine.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseType {
    pub id: String,
    /// Chinese name shown to people, e.g. 12345工单.
    pub name: String,
    /// The state a new case starts in.
    pub initial: String,
    /// In file order.
    pub states: Vec<State>,
    /// In file order; [`CaseType::allowed`] keeps it.
    pub actions: Vec<Action>,
    /// Automatic escalation by handling level, lowest level first.
    pub escalation: Vec<EscalationStep>,
    /// Fraction of a time limit elapsed that earns a yellow card (0 < yellow_at < 1).
    pub yellow_at: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct State {
    pub id: String,
    pub name: String,
    /// A terminal state ends the case; only reopen and follow_up actions leave it.
    pub terminal: bool,
    /// How long a case may stay in this state; `None` = no deadline (e.g. 挂账).
    pub time_limit: Option<TimeLimit>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Action {
    pub id: String,
    pub name: String,
    /// The states it may fire from (a `"*"` in the file is every non-terminal state).
    pub from: Vec<String>,
    /// The state it leads to; `None` = the case stays where it is (督办, 上报).
    pub to: Option<String>,
    pub roles: Vec<Role>,
    /// What the request must carry.
    pub requires: Vec<Field>,
    pub effect: Effect,
    /// How often it may fire on one case (信访 延期: once).
    pub max_times: Option<u32>,
    /// The longest extension one firing may grant (信访: 30 日); in `days` or `working_days`.
    pub max_extension: Option<TimeLimit>,
    /// The case keeps the deadline it had (plus any extension) instead of starting the
    /// time limit of the state entered: a detour such as 延期审核 must not hand the
    /// handler a fresh period. See [`Clock`].
    pub keep_deadline: bool,
    /// How long after the case entered its current state the action may still fire (信访
    /// 异议: within 5 工作日 of receiving the transfer). The engine reads no clocks: the
    /// caller checks it against the calendar.
    pub within: Option<TimeLimit>,
}

impl Action {
    pub fn requires(&self, field: Field) -> bool {
        self.requires.contains(&field)
    }

    pub fn fires_from(&self, state: &str) -> bool {
        self.from.iter().any(|s| s == state)
    }
}

/// A field a request must carry for an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// 说明: free text for the timeline.
    Note,
    /// 理由: why (退单, 上报, 延期, 不予立案).
    Reason,
    /// 承办人/承办单位: who the case is sent to.
    Assignee,
    /// 满意度 from the 回访.
    Satisfaction,
    /// How many days an extension asks for (in the unit of the action's `max_extension`).
    ExtensionDays,
    /// 处理结果, e.g. the terms of a mediation agreement.
    Resolution,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::Note,
        Field::Reason,
        Field::Assignee,
        Field::Satisfaction,
        Field::ExtensionDays,
        Field::Resolution,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Note => "note",
            Field::Reason => "reason",
            Field::Assignee => "assignee",
            Field::Satisfaction => "satisfaction",
            Field::ExtensionDays => "extension_days",
            Field::Resolution => "resolution",
        }
    }

    pub fn parse(s: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Field::Note => "说明",
            Field::Reason => "理由",
            Field::Assignee => "承办人或承办单位",
            Field::Satisfaction => "满意度",
            Field::ExtensionDays => "延期天数",
            Field::Resolution => "处理结果",
        }
    }
}

/// What an action means beyond moving the state, for the counters (响应率 counts
/// dispatches and accepts; 满意率 counts follow-ups) and the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    None,
    /// 派遣/派单/转送: the case goes to an assignee.
    Dispatch,
    /// 签收/受理: the assignee takes it on (响应).
    Accept,
    /// 退单/回退: the assignee hands it back.
    Return,
    /// 改派: to another assignee.
    Reassign,
    /// 上报: to the next level up.
    Escalate,
    /// 督办.
    Supervise,
    /// 延期: the deadline moves by the requested extension.
    Extend,
    /// 答复: the answer to the requester.
    Reply,
    /// 结案/办结.
    Close,
    /// 回访: the requester rates the outcome.
    FollowUp,
    /// 重新办理 of a finished case.
    Reopen,
    /// 不予立案/误报: dropped without handling.
    Cancel,
    /// The state's clock stops (听证 and other periods the rules do not count).
    Pause,
    /// The clock runs again with the time that was left when it stopped.
    Resume,
}

impl Effect {
    pub const ALL: [Effect; 15] = [
        Effect::None,
        Effect::Dispatch,
        Effect::Accept,
        Effect::Return,
        Effect::Reassign,
        Effect::Escalate,
        Effect::Supervise,
        Effect::Extend,
        Effect::Reply,
        Effect::Close,
        Effect::FollowUp,
        Effect::Reopen,
        Effect::Cancel,
        Effect::Pause,
        Effect::Resume,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Effect::None => "none",
            Effect::Dispatch => "dispatch",
            Effect::Accept => "accept",
            Effect::Return => "return",
            Effect::Reassign => "reassign",
            Effect::Escalate => "escalate",
            Effect::Supervise => "supervise",
            Effect::Extend => "extend",
            Effect::Reply => "reply",
            Effect::Close => "close",
            Effect::FollowUp => "follow_up",
            Effect::Reopen => "reopen",
            Effect::Cancel => "cancel",
            Effect::Pause => "pause",
            Effect::Resume => "resume",
        }
    }

    pub fn parse(s: &str) -> Option<Effect> {
        Effect::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// The fields a request must carry for an action with this effect; checked at load.
    pub fn needs(self) -> &'static [Field] {
        match self {
            Effect::Dispatch | Effect::Reassign => &[Field::Assignee],
            Effect::Escalate | Effect::Return => &[Field::Reason],
            Effect::Extend => &[Field::Reason, Field::ExtensionDays],
            Effect::FollowUp => &[Field::Satisfaction],
            Effect::Pause => &[Field::Note],
            _ => &[],
        }
    }
}

/// When a case has sat at `level` for `limit` without closing, it escalates by itself to
/// the next level (村 → 乡镇 → 县).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EscalationStep {
    /// `village` or `township`.
    pub level: String,
    pub limit: TimeLimit,
}

impl CaseType {
    pub fn state(&self, id: &str) -> Option<&State> {
        self.states.iter().find(|s| s.id == id)
    }

    pub fn action(&self, id: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.id == id)
    }

    /// Whether `state` ends the case. An unknown state is not terminal.
    pub fn is_terminal(&self, state: &str) -> bool {
        self.state(state).is_some_and(|s| s.terminal)
    }

    /// How long a case may sit at handling `level` before it escalates by itself; `None`
    /// when this type does not escalate from that level.
    pub fn escalation_limit(&self, level: &str) -> Option<TimeLimit> {
        self.escalation
            .iter()
            .find(|e| e.level == level)
            .map(|e| e.limit)
    }
}
