//! The case engine, replayed in memory. `fire` mirrors `wangge_server::cases::transition`
//! (`fire` → `apply` → `finish`) and `sweep_until` mirrors `cases::escalate` (the sweep that
//! the server runs every minute), so the row, its timeline and its rollup delta are what
//! production would have written had each action been taken through the API at its time.
//! Only the inbox and webhook notices are not produced.

use serde_json::json;
use wangge_core::calendar::{Calendar, LocalDateTime, TimeLimit};
use wangge_core::rates::Counters;
use wangge_core::region::RegionCode;
use wangge_core::role::Role;
use wangge_core::workflow::{card, Card, CaseType, Clock, Effect, Field};
use wangge_server::cases::deadline::{handling_region, level_name, month_of, next_level};
use wangge_store::cases::{CaseRow, EventRow};

use super::people::StaffUser;
use super::tally::add;

fn text(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The deadline `limit` after `from_ms`, `None` outside the loaded holiday years: the
/// engine's `due_ms`, without its log line.
pub fn due(cal: &Calendar, from_ms: i64, limit: TimeLimit) -> Option<i64> {
    cal.due(LocalDateTime::from_unix_millis_cst(from_ms), limit)
        .ok()
        .map(LocalDateTime::to_unix_millis_cst)
}

/// What a transition request carries.
#[derive(Debug, Default, Clone)]
pub struct Req {
    pub note: Option<String>,
    pub reason: Option<String>,
    pub assignee: Option<StaffUser>,
    pub satisfaction: Option<&'static str>,
    pub extension_days: Option<u32>,
    pub resolution: Option<String>,
}

/// What a case is raised with, once checked: the request `create.rs` takes, plus the id
/// and number the generator hands out.
pub struct Intake {
    pub id: i64,
    pub number: String,
    pub category: String,
    pub source: String,
    pub region_code: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub title: String,
    pub description: String,
    pub priority: String,
    pub reporter_name: Option<String>,
    pub reporter_phone_enc: Option<Vec<u8>>,
    pub at: i64,
}

pub struct Sim<'a> {
    pub wf: &'a CaseType,
    pub cal: &'a Calendar,
    pub row: CaseRow,
    pub events: Vec<EventRow>,
    /// The sum of every rollup delta of the case (its `created` included).
    pub delta: Counters,
}

impl<'a> Sim<'a> {
    /// A new case in its initial state, with its `create` entry, as `create.rs` writes it.
    pub fn new(
        wf: &'a CaseType,
        cal: &'a Calendar,
        c: Intake,
        creator: &StaffUser,
    ) -> Option<Sim<'a>> {
        let region = RegionCode::parse("region_code", &c.region_code).ok()?;
        let handling = handling_region(&region);
        let now = c.at;
        let mut row = CaseRow {
            id: c.id,
            number: c.number,
            case_type: wf.id.clone(),
            category: c.category,
            source: c.source,
            region_code: region.to_string(),
            handling_region: handling.clone(),
            lat: c.lat,
            lng: c.lng,
            title: c.title.trim().to_string(),
            description: c.description,
            priority: c.priority,
            state: String::new(),
            terminal: 0,
            assignee_user_id: None,
            created_by: Some(creator.id),
            reporter_name: c.reporter_name,
            reporter_phone_enc: c.reporter_phone_enc,
            state_entered_at: now,
            state_due_at: None,
            level_entered_at: now,
            level_due_at: None,
            dispatched_at: None,
            response_due_at: None,
            responded_at: None,
            closed_at: None,
            late_at: None,
            satisfaction: None,
            supervise_level: None,
            merged_into: None,
            possible_duplicate_of: None,
            paused_remaining_ms: None,
            origin: None,
            rollup_region: handling,
            month: month_of(now),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let initial = wf.state(&wf.initial)?;
        row.state = initial.id.clone();
        row.state_due_at = initial.time_limit.and_then(|l| due(cal, now, l));
        row.level_due_at = level_name(&row.handling_region)
            .and_then(|l| wf.escalation_limit(l))
            .and_then(|l| due(cal, now, l));
        let no_deadline = initial.time_limit.is_some() && row.state_due_at.is_none();
        let event = EventRow {
            id: 0,
            case_id: row.id,
            at: now,
            actor: creator.username.clone(),
            actor_user_id: Some(creator.id),
            action: "create".into(),
            effect: "none".into(),
            from_state: String::new(),
            to_state: initial.id.clone(),
            note: no_deadline.then(|| "节假日安排未加载，本环节期限未计算".to_string()),
            data: json!({"source": row.source, "category": row.category}).to_string(),
        };
        Some(Sim {
            wf,
            cal,
            row,
            events: vec![event],
            delta: Counters {
                created: 1,
                ..Default::default()
            },
        })
    }

    fn times_fired(&self, action: &str) -> u32 {
        self.events.iter().filter(|e| e.action == action).count() as u32
    }

    /// Fires `action` as `who` at `now`; false (and nothing changed) when the engine
    /// would refuse it.
    pub fn fire(&mut self, action: &str, role: Role, who: &StaffUser, req: &Req, now: i64) -> bool {
        let mut provided = Vec::new();
        for (f, has) in [
            (Field::Note, text(&req.note).is_some()),
            (Field::Reason, text(&req.reason).is_some()),
            (Field::Assignee, req.assignee.is_some()),
            (Field::Satisfaction, req.satisfaction.is_some()),
            (Field::ExtensionDays, req.extension_days.is_some()),
            (Field::Resolution, text(&req.resolution).is_some()),
        ] {
            if has {
                provided.push(f);
            }
        }
        let fired = self.times_fired(action);
        let wf = self.wf;
        let Ok(step) = wf.fire(&self.row.state, action, role, &provided, fired) else {
            return false;
        };
        if let Some(limit) = step
            .action
            .within
            .and_then(|w| due(self.cal, self.row.state_entered_at, w))
        {
            if now > limit {
                return false;
            }
        }
        // The refusals `apply` can still make, checked before anything changes.
        let extension = match step.action.effect {
            Effect::Extend => match step.action.extension(req.extension_days.unwrap_or(0)) {
                Ok(l) => Some(l),
                Err(_) => return false,
            },
            _ => None,
        };
        let refused = match step.action.effect {
            Effect::Dispatch | Effect::Reassign => req.assignee.is_none(),
            Effect::Escalate => next_level(&self.row.handling_region).is_none(),
            Effect::FollowUp => req.satisfaction.is_none(),
            Effect::Pause => self.row.paused_remaining_ms.is_some(),
            Effect::Resume => self.row.paused_remaining_ms.is_none(),
            _ => false,
        };
        if refused {
            return false;
        }
        let c = &mut self.row;
        let mut delta = Counters::default();
        let mut data = json!({});
        if step.entered && c.late_at.is_none() {
            if let Some(d) = c.state_due_at.filter(|d| now > *d) {
                c.late_at = Some(d);
            }
        }
        match step.action.effect {
            Effect::Dispatch | Effect::Reassign => {
                if let Some(a) = &req.assignee {
                    c.assignee_user_id = Some(a.id);
                    data = json!({"assignee": a.id, "assignee_name": a.display});
                }
                if c.dispatched_at.is_none() {
                    c.dispatched_at = Some(now);
                    delta.dispatched = 1;
                }
            }
            Effect::Accept => {
                if c.responded_at.is_none() {
                    c.responded_at = Some(now);
                    if c.dispatched_at.is_some() && c.state_due_at.is_none_or(|d| now <= d) {
                        delta.responded_on_time = 1;
                    }
                }
            }
            Effect::Return => {
                let reason = text(&req.reason).unwrap_or_default().to_string();
                data = json!({"reason": reason, "previous_assignee": c.assignee_user_id});
                c.assignee_user_id = None;
            }
            Effect::Escalate => {
                if let Some(next) = next_level(&c.handling_region) {
                    data = escalate_to(wf, self.cal, c, next, now);
                }
            }
            Effect::Supervise => {
                let grade = match c.state_due_at {
                    Some(d) => card(c.state_entered_at, d, now, wf.yellow_at),
                    None => Card::None,
                };
                let level = match grade {
                    Card::Red => "red",
                    Card::Yellow => "yellow",
                    Card::None => "normal",
                };
                c.supervise_level = Some(level.to_string());
                data = json!({"supervise_level": level});
            }
            Effect::Extend => {
                if let Some(limit) = extension {
                    let base = c.state_due_at.unwrap_or(now);
                    c.state_due_at = due(self.cal, base, limit).or(c.state_due_at);
                }
                data = json!({"extension_days": req.extension_days.unwrap_or(0), "reason": text(&req.reason)});
            }
            Effect::Close => {
                c.closed_at = Some(now);
                delta.closed = 1;
                delta.handling_ms = now - c.created_at;
                let on_time = c.late_at.is_none() && c.state_due_at.is_none_or(|d| now <= d);
                delta.closed_on_time = i64::from(on_time);
                data = json!({"on_time": on_time, "resolution": text(&req.resolution)});
            }
            Effect::FollowUp => {
                let s = req.satisfaction.unwrap_or("satisfied");
                let solved = s != "unsatisfied";
                delta.rated = 1;
                delta.satisfied = i64::from(s == "satisfied");
                delta.basic_satisfied = i64::from(s == "basic_satisfied");
                delta.unsatisfied = i64::from(s == "unsatisfied");
                delta.solved = i64::from(solved);
                data = json!({"satisfaction": s, "solved": solved});
                c.satisfaction = Some(s.to_string());
            }
            Effect::Reopen => {
                c.closed_at = None;
                data = json!({"reason": text(&req.reason)});
            }
            Effect::Pause => {
                let remaining = c.state_due_at.map(|d| (d - now).max(0)).unwrap_or(0);
                c.paused_remaining_ms = Some(remaining);
                c.state_due_at = None;
                data = json!({"remaining_ms": remaining, "note": text(&req.note)});
            }
            Effect::Resume => {
                let remaining = c.paused_remaining_ms.take().unwrap_or(0);
                c.state_due_at = Some(now + remaining);
                data = json!({"remaining_ms": remaining});
            }
            Effect::Reply | Effect::Cancel | Effect::None => {}
        }
        // finish(): state, clocks, rollups, the row's version, the timeline entry.
        let from = c.state.clone();
        if step.entered {
            c.state = step.to.clone();
            c.paused_remaining_ms = None;
            if step.clock != Clock::Keep {
                c.state_entered_at = now;
            }
            c.terminal = i64::from(wf.is_terminal(&step.to));
            match step.clock {
                Clock::Start(limit) => c.state_due_at = due(self.cal, now, limit),
                Clock::Stop => c.state_due_at = None,
                Clock::Keep => {}
            }
            if c.terminal != 0 {
                c.level_due_at = None;
            } else if c.level_due_at.is_none() && step.action.effect == Effect::Reopen {
                c.level_entered_at = now;
                c.level_due_at = level_name(&c.handling_region)
                    .and_then(|l| wf.escalation_limit(l))
                    .and_then(|l| due(self.cal, now, l));
            }
            if step.action.effect == Effect::Dispatch && c.response_due_at.is_none() {
                c.response_due_at = c.state_due_at;
            }
        }
        c.updated_at = now;
        c.version += 1;
        add(&mut self.delta, &delta);
        let event = EventRow {
            id: 0,
            case_id: c.id,
            at: now,
            actor: who.username.clone(),
            actor_user_id: Some(who.id),
            action: step.action.id.clone(),
            effect: step.action.effect.as_str().to_string(),
            from_state: from,
            to_state: c.state.clone(),
            note: text(&req.note).or(text(&req.reason)).map(str::to_string),
            data: data.to_string(),
        };
        self.events.push(event);
        true
    }

    /// The server's sweep up to `t`: an open case whose level deadline has passed moves up
    /// one rung (or, at the top, loses the deadline), half a minute after it passed.
    pub fn sweep_until(&mut self, t: i64) {
        loop {
            let c = &mut self.row;
            let Some(d) = c.level_due_at else { return };
            let at = d + 30_000;
            if c.terminal != 0 || at > t {
                return;
            }
            let Some(next) = next_level(&c.handling_region) else {
                c.level_due_at = None;
                c.version += 1;
                return;
            };
            let data = escalate_to(self.wf, self.cal, c, next, at);
            c.updated_at = at;
            c.version += 1;
            let event = EventRow {
                id: 0,
                case_id: c.id,
                at,
                actor: "system".into(),
                actor_user_id: None,
                action: "auto_escalate".into(),
                effect: "escalate".into(),
                from_state: c.state.clone(),
                to_state: c.state.clone(),
                note: Some("本级办理时限已到，自动上报上级综治中心".into()),
                data: data.to_string(),
            };
            self.events.push(event);
        }
    }
}

/// `transition::escalate_to`: one rung up, and the level clock restarts.
fn escalate_to(
    wf: &CaseType,
    cal: &Calendar,
    c: &mut CaseRow,
    next: String,
    now: i64,
) -> serde_json::Value {
    let from = std::mem::replace(&mut c.handling_region, next);
    c.level_entered_at = now;
    c.level_due_at = level_name(&c.handling_region)
        .and_then(|l| wf.escalation_limit(l))
        .and_then(|l| due(cal, now, l));
    json!({"from_level": from, "to_level": c.handling_region})
}
