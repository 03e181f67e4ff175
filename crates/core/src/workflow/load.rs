//! Reading and checking a workflow file. Every mistake that would strand a case, skip a
//! rule or silently mean something else is refused with its line, before any case uses it.

mod action;

use serde::Deserialize;
use toml::Spanned;

use super::{graph, Action, CaseType, EscalationStep, State};
use super::{DEFAULT_YELLOW_AT, ESCALATION_LEVELS};
use crate::calendar::TimeLimit;
use crate::FieldError;

/// A workflow file that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct WorkflowError {
    /// 1-based line in the file, when the problem can be placed.
    pub line: Option<usize>,
    /// Path of the offending field, e.g. `petition.action.extend.requires`; for errors the
    /// TOML reader finds (syntax, unknown or missing keys, wrong types) the key's name, or
    /// empty when there is none.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for WorkflowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

impl From<WorkflowError> for FieldError {
    fn from(e: WorkflowError) -> Self {
        let field = if e.field.is_empty() {
            "workflows".to_string()
        } else {
            e.field.clone()
        };
        FieldError::new(field, "workflow_invalid", e.to_string())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    case_type: Vec<RawType>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawType {
    id: Spanned<String>,
    name: Spanned<String>,
    initial: Spanned<String>,
    yellow_at: Option<Spanned<f64>>,
    #[serde(default)]
    state: Vec<RawState>,
    #[serde(default)]
    action: Vec<RawAction>,
    #[serde(default)]
    escalation: Vec<RawEscalation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    id: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    terminal: bool,
    time_limit: Option<Spanned<TimeLimit>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    id: Spanned<String>,
    name: Spanned<String>,
    /// A state id, a list of them, or `"*"`.
    from: Spanned<toml::Value>,
    to: Option<Spanned<String>>,
    roles: Spanned<Vec<Spanned<String>>>,
    requires: Option<Spanned<Vec<Spanned<String>>>>,
    effect: Option<Spanned<String>>,
    max_times: Option<Spanned<u32>>,
    max_extension: Option<Spanned<TimeLimit>>,
    keep_deadline: Option<Spanned<bool>>,
    within: Option<Spanned<TimeLimit>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEscalation {
    level: Spanned<String>,
    limit: Spanned<TimeLimit>,
}

/// Parses and checks the whole file.
pub(super) fn parse(text: &str) -> Result<Vec<CaseType>, WorkflowError> {
    let file: RawFile = toml::from_str(text).map_err(|e| reader_error(text, &e))?;
    if file.case_type.is_empty() {
        return Err(WorkflowError {
            line: None,
            field: "case_type".to_string(),
            message: "the file lists no [[case_type]]".to_string(),
        });
    }
    let loader = Loader { text };
    let mut types: Vec<CaseType> = Vec::with_capacity(file.case_type.len());
    for (i, raw) in file.case_type.iter().enumerate() {
        let t = loader.case_type(i, raw)?;
        if types.iter().any(|other| other.id == t.id) {
            return Err(err(
                loader.line(&raw.id),
                &format!("case_type[{i}].id"),
                format!("case type `{}` is defined twice", t.id),
            ));
        }
        types.push(t);
    }
    Ok(types)
}

/// An error found by the TOML reader. Its field is the key named in the message (missing
/// keys) or the key on the offending line.
fn reader_error(text: &str, e: &toml::de::Error) -> WorkflowError {
    let line = e.span().map(|s| line_of(text, s.start));
    let message = e.message().trim().to_string();
    let named = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let on_line = line
        .and_then(|n| text.lines().nth(n - 1))
        .and_then(|l| l.split_once('='))
        .map(|(key, _)| key.trim())
        .filter(|key| {
            !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
    WorkflowError {
        line,
        field: named.or(on_line).unwrap_or_default().to_string(),
        message,
    }
}

struct Loader<'a> {
    text: &'a str,
}

impl Loader<'_> {
    fn case_type(&self, i: usize, raw: &RawType) -> Result<CaseType, WorkflowError> {
        let id = self.id(&raw.id, &format!("case_type[{i}].id"))?;
        let name = self.name(&raw.name, &format!("{id}.name"))?;

        if raw.state.is_empty() {
            return Err(err(
                self.line(&raw.id),
                &format!("{id}.state"),
                "lists no [[case_type.state]]",
            ));
        }
        let mut states: Vec<State> = Vec::with_capacity(raw.state.len());
        for s in &raw.state {
            let state = self.state(&id, s)?;
            if states.iter().any(|other| other.id == state.id) {
                return Err(err(
                    self.line(&s.id),
                    &format!("{id}.state.{}", state.id),
                    format!("state `{}` is defined twice", state.id),
                ));
            }
            states.push(state);
        }

        let initial = raw.initial.get_ref().trim().to_string();
        let initial_field = format!("{id}.initial");
        match states.iter().find(|s| s.id == initial) {
            None => {
                return Err(err(
                    self.line(&raw.initial),
                    &initial_field,
                    format!("`{initial}` is not a state of `{id}`"),
                ))
            }
            Some(s) if s.terminal => {
                return Err(err(
                    self.line(&raw.initial),
                    &initial_field,
                    format!("`{initial}` is terminal; a case cannot start where it ends"),
                ))
            }
            Some(_) => {}
        }

        let mut actions: Vec<Action> = Vec::with_capacity(raw.action.len());
        for a in &raw.action {
            let action = self.action(&id, &states, a)?;
            if actions.iter().any(|other| other.id == action.id) {
                return Err(err(
                    self.line(&a.id),
                    &format!("{id}.action.{}", action.id),
                    format!("action `{}` is defined twice", action.id),
                ));
            }
            actions.push(action);
        }

        let state_lines: Vec<usize> = raw.state.iter().map(|s| self.line(&s.id)).collect();
        graph::check(&id, &initial, &states, &actions)
            .map_err(|(index, field, message)| err(state_lines[index], &field, message))?;

        let escalation = self.escalation(&id, &raw.escalation)?;
        let yellow_at = match &raw.yellow_at {
            None => DEFAULT_YELLOW_AT,
            Some(y) => {
                let value = *y.get_ref();
                if !(value > 0.0 && value < 1.0) {
                    return Err(err(
                        self.line(y),
                        &format!("{id}.yellow_at"),
                        format!("{value} is not a fraction between 0 and 1 (exclusive)"),
                    ));
                }
                value
            }
        };

        Ok(CaseType {
            id,
            name,
            initial,
            states,
            actions,
            escalation,
            yellow_at,
        })
    }

    fn state(&self, type_id: &str, raw: &RawState) -> Result<State, WorkflowError> {
        let id = self.id(&raw.id, &format!("{type_id}.state.id"))?;
        let path = format!("{type_id}.state.{id}");
        let name = self.name(&raw.name, &format!("{path}.name"))?;
        let time_limit = match &raw.time_limit {
            Some(l) => Some(self.limit(l, &format!("{path}.time_limit"))?),
            None => None,
        };
        Ok(State {
            id,
            name,
            terminal: raw.terminal,
            time_limit,
        })
    }

    fn escalation(
        &self,
        type_id: &str,
        raw: &[RawEscalation],
    ) -> Result<Vec<EscalationStep>, WorkflowError> {
        let mut steps: Vec<EscalationStep> = Vec::with_capacity(raw.len());
        let mut last: Option<usize> = None;
        for (i, e) in raw.iter().enumerate() {
            let field = format!("{type_id}.escalation[{i}].level");
            let level = e.level.get_ref().trim();
            let rank = ESCALATION_LEVELS
                .iter()
                .position(|l| *l == level)
                .ok_or_else(|| {
                    err(
                        self.line(&e.level),
                        &field,
                        format!(
                            "`{level}` is not an escalation level; use {} (the county is the top)",
                            ESCALATION_LEVELS.join(" or ")
                        ),
                    )
                })?;
            if last.is_some_and(|prev| prev >= rank) {
                return Err(err(
                    self.line(&e.level),
                    &field,
                    format!(
                        "`{level}` is out of order; list each level once, lowest first ({})",
                        ESCALATION_LEVELS.join(", ")
                    ),
                ));
            }
            last = Some(rank);
            let limit = self.limit(&e.limit, &format!("{type_id}.escalation[{i}].limit"))?;
            steps.push(EscalationStep {
                level: level.to_string(),
                limit,
            });
        }
        Ok(steps)
    }

    /// An id: lowercase ASCII letters, digits and `_`, starting with a letter (ids are
    /// stored with every case and appear in URLs).
    fn id(&self, raw: &Spanned<String>, field: &str) -> Result<String, WorkflowError> {
        let s = raw.get_ref().as_str();
        let ok = s.len() <= 64
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(s.to_string())
        } else {
            Err(err(
                self.line(raw),
                field,
                format!("`{s}` is not an id: use a-z, 0-9 and _, starting with a letter"),
            ))
        }
    }

    fn name(&self, raw: &Spanned<String>, field: &str) -> Result<String, WorkflowError> {
        let s = raw.get_ref().trim();
        if s.is_empty() {
            return Err(err(self.line(raw), field, "is empty"));
        }
        Ok(s.to_string())
    }

    fn limit(&self, raw: &Spanned<TimeLimit>, field: &str) -> Result<TimeLimit, WorkflowError> {
        let limit = *raw.get_ref();
        let n = match limit {
            TimeLimit::CalendarDays(n) | TimeLimit::WorkingDays(n) | TimeLimit::WorkingHours(n) => {
                n
            }
        };
        if n == 0 {
            return Err(err(
                self.line(raw),
                field,
                "a time limit must be at least 1",
            ));
        }
        Ok(limit)
    }

    fn line<T>(&self, spanned: &Spanned<T>) -> usize {
        line_of(self.text, spanned.span().start)
    }
}

fn err(line: usize, field: &str, message: impl Into<String>) -> WorkflowError {
    WorkflowError {
        line: Some(line),
        field: field.to_string(),
        message: message.into(),
    }
}

/// 1-based line number of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
