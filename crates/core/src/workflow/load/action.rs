//! Reading one `[[case_type.action]]`: where it fires from and leads to, who may fire it,
//! what it requires, and the options that only make sense with some effects.

use toml::Spanned;

use super::{err, Loader, RawAction, WorkflowError};
use crate::calendar::TimeLimit;
use crate::role::Role;
use crate::workflow::{Action, Effect, Field, State};

impl Loader<'_> {
    pub(super) fn action(
        &self,
        type_id: &str,
        states: &[State],
        raw: &RawAction,
    ) -> Result<Action, WorkflowError> {
        let id = self.id(&raw.id, &format!("{type_id}.action.id"))?;
        let path = format!("{type_id}.action.{id}");
        let name = self.name(&raw.name, &format!("{path}.name"))?;
        let state_known = |s: &str, field: &str, line: usize| {
            if states.iter().any(|st| st.id == s) {
                Ok(())
            } else {
                Err(err(
                    line,
                    field,
                    format!("`{s}` is not a state of `{type_id}`"),
                ))
            }
        };

        let effect = match &raw.effect {
            None => Effect::None,
            Some(e) => Effect::parse(e.get_ref().trim()).ok_or_else(|| {
                let known: Vec<&str> = Effect::ALL.iter().map(|e| e.as_str()).collect();
                err(
                    self.line(e),
                    &format!("{path}.effect"),
                    format!("`{}` is not one of {}", e.get_ref(), known.join(", ")),
                )
            })?,
        };
        let effect_line = raw
            .effect
            .as_ref()
            .map_or(self.line(&raw.id), |e| self.line(e));

        let from_field = format!("{path}.from");
        let from_line = self.line(&raw.from);
        let from = self.from(states, &raw.from, &from_field)?;
        for s in &from {
            state_known(s, &from_field, from_line)?;
            let terminal = states.iter().any(|st| &st.id == s && st.terminal);
            if terminal && !matches!(effect, Effect::Reopen | Effect::FollowUp) {
                return Err(err(
                    from_line,
                    &from_field,
                    format!(
                        "`{s}` is terminal; only actions with effect reopen or follow_up may \
                         fire from a terminal state"
                    ),
                ));
            }
        }
        let to = match &raw.to {
            Some(t) => {
                let t_id = t.get_ref().trim().to_string();
                state_known(&t_id, &format!("{path}.to"), self.line(t))?;
                Some(t_id)
            }
            None => None,
        };
        if effect == Effect::Reopen && to.is_none() {
            return Err(err(
                effect_line,
                &format!("{path}.effect"),
                "a reopen action must name the state it reopens into (`to`)",
            ));
        }
        if matches!(effect, Effect::Pause | Effect::Resume) && to.is_some() {
            return Err(err(
                effect_line,
                &format!("{path}.effect"),
                "pause and resume act on the clock of the current state; they take no `to`",
            ));
        }

        let roles_field = format!("{path}.roles");
        if raw.roles.get_ref().is_empty() {
            return Err(err(self.line(&raw.roles), &roles_field, "lists no role"));
        }
        let mut roles: Vec<Role> = Vec::new();
        for r in raw.roles.get_ref() {
            let role = Role::parse(r.get_ref().trim()).ok_or_else(|| {
                let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                err(
                    self.line(r),
                    &roles_field,
                    format!("`{}` is not one of {}", r.get_ref(), known.join(", ")),
                )
            })?;
            if roles.contains(&role) {
                return Err(err(
                    self.line(r),
                    &roles_field,
                    format!("`{}` is listed twice", role.as_str()),
                ));
            }
            roles.push(role);
        }

        let requires_field = format!("{path}.requires");
        let mut requires: Vec<Field> = Vec::new();
        for f in raw.requires.iter().flat_map(|r| r.get_ref()) {
            let field = Field::parse(f.get_ref().trim()).ok_or_else(|| {
                let known: Vec<&str> = Field::ALL.iter().map(|f| f.as_str()).collect();
                err(
                    self.line(f),
                    &requires_field,
                    format!("`{}` is not one of {}", f.get_ref(), known.join(", ")),
                )
            })?;
            if requires.contains(&field) {
                return Err(err(
                    self.line(f),
                    &requires_field,
                    format!("`{}` is listed twice", field.as_str()),
                ));
            }
            requires.push(field);
        }
        let requires_line = raw.requires.as_ref().map_or(effect_line, |r| self.line(r));
        if let Some(missing) = effect.needs().iter().find(|f| !requires.contains(f)) {
            return Err(err(
                requires_line,
                &requires_field,
                format!(
                    "an action with effect {} must require `{}`",
                    effect.as_str(),
                    missing.as_str()
                ),
            ));
        }

        let max_times = match &raw.max_times {
            Some(m) if *m.get_ref() == 0 => {
                return Err(err(
                    self.line(m),
                    &format!("{path}.max_times"),
                    "must be at least 1 (remove the action to forbid it)",
                ))
            }
            Some(m) => Some(*m.get_ref()),
            None => None,
        };
        let max_extension = match &raw.max_extension {
            None => None,
            Some(m) => {
                let field = format!("{path}.max_extension");
                let limit = self.limit(m, &field)?;
                if effect != Effect::Extend {
                    return Err(err(
                        self.line(m),
                        &field,
                        "only an action with effect extend grants an extension",
                    ));
                }
                if matches!(limit, TimeLimit::WorkingHours(_)) {
                    return Err(err(
                        self.line(m),
                        &field,
                        "an extension is asked for in days: use `days` or `working_days`",
                    ));
                }
                Some(limit)
            }
        };
        let keep_deadline = match &raw.keep_deadline {
            Some(k) if *k.get_ref() && to.is_none() => {
                return Err(err(
                    self.line(k),
                    &format!("{path}.keep_deadline"),
                    "an action without `to` keeps the deadline anyway",
                ))
            }
            Some(k) => *k.get_ref(),
            None => false,
        };
        let within = match &raw.within {
            Some(w) => Some(self.limit(w, &format!("{path}.within"))?),
            None => None,
        };

        Ok(Action {
            id,
            name,
            from,
            to,
            roles,
            requires,
            effect,
            max_times,
            max_extension,
            keep_deadline,
            within,
        })
    }

    /// `from`: `"*"` (every non-terminal state, in file order), one state id, or a list.
    fn from(
        &self,
        states: &[State],
        raw: &Spanned<toml::Value>,
        field: &str,
    ) -> Result<Vec<String>, WorkflowError> {
        let line = self.line(raw);
        let bad = |message: &str| err(line, field, message);
        let ids: Vec<String> = match raw.get_ref() {
            toml::Value::String(s) if s.trim() == "*" => {
                return Ok(states
                    .iter()
                    .filter(|s| !s.terminal)
                    .map(|s| s.id.clone())
                    .collect())
            }
            toml::Value::String(s) => vec![s.trim().to_string()],
            toml::Value::Array(items) => items
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) if s.trim() == "*" => {
                        Err(bad("`*` stands alone: write from = \"*\""))
                    }
                    toml::Value::String(s) => Ok(s.trim().to_string()),
                    _ => Err(bad("must list state ids as strings")),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(bad("must be a state id, a list of state ids, or \"*\"")),
        };
        if ids.is_empty() {
            return Err(bad("lists no state"));
        }
        for (i, s) in ids.iter().enumerate() {
            if ids[..i].contains(s) {
                return Err(bad(&format!("`{s}` is listed twice")));
            }
        }
        Ok(ids)
    }
}
