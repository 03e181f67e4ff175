//! Firing actions, replaying timelines and grading deadlines.

use serde::Serialize;
use utoipa::ToSchema;

use super::{Action, CaseType, Field, Refusal};
use crate::calendar::TimeLimit;
use crate::role::Role;
use crate::FieldError;

/// An accepted transition.
#[derive(Debug, Clone)]
pub struct Step<'a> {
    pub action: &'a Action,
    pub from: String,
    pub to: String,
    /// The case moves to another state (`to != from`).
    pub entered: bool,
    /// The time limit that starts now: that of the state entered, when it has one and the
    /// action does not keep the running deadline. Same as [`Clock::Start`].
    pub time_limit: Option<TimeLimit>,
    /// What happens to the case's deadline.
    pub clock: Clock,
}

/// What a step does to the case's deadline. On top of it, an action with effect
/// [`Effect::Extend`](super::Effect::Extend) moves the deadline by the extension asked for
/// (see [`Action::extension`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// A new deadline: this limit from now.
    Start(TimeLimit),
    /// The running deadline stays (the case did not move, or the action keeps it).
    Keep,
    /// No deadline: the state entered has no time limit (挂账, or a terminal state).
    Stop,
}

impl CaseType {
    /// Actions that `role` may fire from `state`, in file order.
    pub fn allowed(&self, state: &str, role: Role) -> Vec<&Action> {
        self.actions
            .iter()
            .filter(|a| a.fires_from(state) && a.roles.contains(&role))
            .collect()
    }

    fn allowed_ids(&self, state: &str, role: Role) -> Vec<String> {
        self.allowed(state, role)
            .into_iter()
            .map(|a| a.id.clone())
            .collect()
    }

    /// Check a transition. `provided` says which fields the request carries; `times_fired`
    /// how often this action already fired on the case (for `max_times`).
    ///
    /// Checks, in order: the action exists, it fires from `state`, `role` may fire it, its
    /// `max_times` is not used up, and every required field is provided.
    pub fn fire(
        &self,
        state: &str,
        action: &str,
        role: Role,
        provided: &[Field],
        times_fired: u32,
    ) -> Result<Step<'_>, Refusal> {
        let Some(a) = self.action(action) else {
            return Err(Refusal::UnknownAction {
                action: action.to_string(),
                allowed: self.allowed_ids(state, role),
            });
        };
        if !a.fires_from(state) {
            return Err(Refusal::NotAllowedNow {
                action: a.id.clone(),
                state: state.to_string(),
                allowed: self.allowed_ids(state, role),
            });
        }
        if !a.roles.contains(&role) {
            return Err(Refusal::RoleNotAllowed {
                action: a.id.clone(),
                roles: a.roles.clone(),
            });
        }
        if let Some(max_times) = a.max_times {
            if times_fired >= max_times {
                return Err(Refusal::LimitReached {
                    action: a.id.clone(),
                    max_times,
                });
            }
        }
        if let Some(&field) = a.requires.iter().find(|f| !provided.contains(f)) {
            return Err(Refusal::MissingField { field });
        }
        Ok(self.step(a, state))
    }

    fn step<'a>(&'a self, a: &'a Action, from: &str) -> Step<'a> {
        let to = a.to.clone().unwrap_or_else(|| from.to_string());
        let entered = to != from;
        let clock = if !entered || a.keep_deadline {
            Clock::Keep
        } else {
            match self.state(&to).and_then(|s| s.time_limit) {
                Some(limit) => Clock::Start(limit),
                None => Clock::Stop,
            }
        };
        let time_limit = match clock {
            Clock::Start(limit) => Some(limit),
            Clock::Keep | Clock::Stop => None,
        };
        Step {
            action: a,
            from: from.to_string(),
            to,
            entered,
            time_limit,
            clock,
        }
    }

    /// Rebuild the current state from a timeline of fired action ids, starting at
    /// `initial`. The timeline is the truth; the stored state is a projection of it.
    ///
    /// Each entry must name a known action that fires from the state reached so far.
    /// Roles, fields and `max_times` are not checked again: they were checked when the
    /// action fired, and a county may have tightened them since. A bad entry is refused
    /// as [`Refusal::Timeline`], naming its index (0-based) and the underlying refusal.
    pub fn replay<'a>(
        &self,
        actions: impl IntoIterator<Item = &'a str>,
    ) -> Result<String, Refusal> {
        let mut state = self.initial.clone();
        for (index, id) in actions.into_iter().enumerate() {
            let cause = match self.action(id) {
                Some(a) if a.fires_from(&state) => {
                    if let Some(to) = &a.to {
                        state.clone_from(to);
                    }
                    continue;
                }
                Some(a) => Refusal::NotAllowedNow {
                    action: a.id.clone(),
                    state: state.clone(),
                    allowed: self.fireable_ids(&state),
                },
                None => Refusal::UnknownAction {
                    action: id.to_string(),
                    allowed: self.fireable_ids(&state),
                },
            };
            return Err(Refusal::Timeline {
                index,
                cause: Box::new(cause),
            });
        }
        Ok(state)
    }

    /// Every action that fires from `state`, whoever fires it.
    fn fireable_ids(&self, state: &str) -> Vec<String> {
        self.actions
            .iter()
            .filter(|a| a.fires_from(state))
            .map(|a| a.id.clone())
            .collect()
    }
}

impl Action {
    /// The extension granted by an `extension_days` value: in the unit of `max_extension`
    /// (calendar or working days; working days when the action sets no maximum), at least
    /// 1 and at most the maximum.
    pub fn extension(&self, days: u32) -> Result<TimeLimit, FieldError> {
        let (limit, max) = match self.max_extension {
            Some(TimeLimit::CalendarDays(max)) => (TimeLimit::CalendarDays(days), Some(max)),
            Some(TimeLimit::WorkingDays(max)) => (TimeLimit::WorkingDays(days), Some(max)),
            // Refused at load; treated as no maximum in working days.
            Some(TimeLimit::WorkingHours(_)) | None => (TimeLimit::WorkingDays(days), None),
        };
        let field = Field::ExtensionDays.as_str();
        if days == 0 {
            return Err(FieldError::new(field, "out_of_range", "延期天数至少为1天"));
        }
        match max {
            Some(max) if days > max => Err(FieldError::new(
                field,
                "out_of_range",
                format!("“{}”最多延期{max}天", self.name),
            )),
            _ => Ok(limit),
        }
    }
}

/// 黄牌/红牌 of a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Card {
    None,
    Yellow,
    Red,
}

impl Card {
    pub fn name_zh(self) -> &'static str {
        match self {
            Card::None => "正常",
            Card::Yellow => "黄牌",
            Card::Red => "红牌",
        }
    }
}

/// 黄牌/红牌 from a deadline (Unix milliseconds): Red when `now > due`, Yellow when the
/// elapsed fraction `(now - start) / (due - start)` is at least `yellow_at`, else None.
/// A deadline that is not after its start is Yellow until it passes.
pub fn card(start_ms: i64, due_ms: i64, now_ms: i64, yellow_at: f64) -> Card {
    if now_ms > due_ms {
        return Card::Red;
    }
    let span = i128::from(due_ms) - i128::from(start_ms);
    if span <= 0 {
        return Card::Yellow;
    }
    let elapsed = i128::from(now_ms) - i128::from(start_ms);
    // Both fit an f64 exactly enough: spans are at most ~2^64 ms, compared by ratio.
    if elapsed as f64 >= yellow_at * span as f64 {
        Card::Yellow
    } else {
        Card::None
    }
}
