//! Working a case through time: who acts when (office staff in office hours, mostly
//! within the state's deadline, sometimes late), with the server's escalation sweep
//! running in between. Every action goes through [`Sim::fire`], so a workflow that
//! refuses a step simply leaves the case where it is; a step whose time is after the end
//! of the generated period never happens, which is why recent cases are open and old ones
//! finished. The order of the steps per case type is in [`super::flows`].

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use wangge_core::calendar::LocalDateTime;
use wangge_core::date::Date;
use wangge_store::mediation::{DisputeRow, SessionRow};

use super::people::{Staff, Who};
use super::sim::{Req, Sim};
use super::text::{said, session_text, PLACES};

pub const MIN: i64 = 60_000;
pub const HOUR: i64 = 60 * MIN;
pub const DAY: i64 = 24 * HOUR;

/// How long until the next step.
#[derive(Clone, Copy)]
pub enum Wait {
    /// Uniformly between two durations.
    Span(i64, i64),
    /// A fraction `lo..hi` of the time left to the state's deadline; with probability
    /// `late`, some time after it instead.
    Due(f64, f64, f64),
}

pub struct Run<'a, 'r> {
    pub sim: Sim<'a>,
    pub rng: &'r mut ChaCha8Rng,
    pub staff: &'a Staff,
    pub county: usize,
    pub t: i64,
    pub end: i64,
    /// Steps left before the case stalls (most cases never do).
    pub budget: u32,
    /// Office staff keep office hours; a 12345 centre and the video room work round the clock.
    pub round_the_clock: bool,
    pub dispute: Option<DisputeRow>,
    pub sessions: Vec<SessionRow>,
    pub parties: Vec<String>,
    pub matter: &'static str,
}

fn weekday(d: Date) -> i64 {
    (d.to_days() + 3).rem_euclid(7)
}

impl Run<'_, '_> {
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p.clamp(0.0, 1.0))
    }

    fn is_workday(&self, d: Date) -> bool {
        match self.sim.cal.is_workday(d) {
            Ok(k) => k.is_workday(),
            Err(_) => weekday(d) < 5,
        }
    }

    /// Moves `t` into the hours `who` works: office staff 08:00–18:00 on workdays, field
    /// staff 07:00–20:00 every day. A time after hours moves back to the end of that
    /// day's hours when that is still after `earliest`, else to the next morning.
    pub fn in_hours(&mut self, who: Who, t: i64, earliest: i64) -> i64 {
        let office = !matches!(who, Who::GridWorker | Who::Mediator);
        if self.round_the_clock && matches!(who, Who::Intake | Who::Dispatcher) {
            return t;
        }
        let (open, close) = if office {
            (8 * 60, 18 * 60)
        } else {
            (7 * 60, 20 * 60)
        };
        let mut ldt = LocalDateTime::from_unix_millis_cst(t);
        let minute = i64::from(ldt.minute_of_day());
        let day_start = t - minute * MIN - (t.rem_euclid(MIN));
        let works = |s: &Self, d: Date| !office || s.is_workday(d);
        if works(self, ldt.date()) && (open..close).contains(&minute) {
            return t;
        }
        if works(self, ldt.date()) && minute >= close {
            let back = day_start + close * MIN - self.rng.gen_range(1..60) * MIN;
            if back >= earliest {
                return back;
            }
        }
        let mut start = if minute < open {
            day_start
        } else {
            day_start + DAY
        };
        for _ in 0..30 {
            ldt = LocalDateTime::from_unix_millis_cst(start);
            if works(self, ldt.date()) {
                break;
            }
            start += DAY;
        }
        start + open * MIN + self.rng.gen_range(0..90) * MIN
    }

    fn when(&mut self, wait: Wait, who: Who) -> i64 {
        let t = self.t;
        let raw = match (wait, self.sim.row.state_due_at) {
            (Wait::Span(lo, hi), _) => t + self.rng.gen_range(lo..=hi.max(lo)),
            (Wait::Due(lo, hi, late), Some(d)) if d > t + MIN => {
                let left = (d - t) as f64;
                if self.rng.gen_bool(late) {
                    d + (left * self.rng.gen_range(0.05..1.5)) as i64 + MIN
                } else {
                    t + (left * self.rng.gen_range(lo..hi)) as i64
                }
            }
            (Wait::Due(..), _) => t + self.rng.gen_range(30 * MIN..2 * DAY),
        };
        self.in_hours(who, raw, t + MIN).max(t + MIN)
    }

    /// Waits, then fires `action` as `who`. False when the time is past the end of the
    /// period, the case has stalled, or the workflow refuses.
    pub fn act(&mut self, wait: Wait, who: Who, action: &str, req: Req) -> bool {
        if self.budget == 0 {
            return false;
        }
        let t = self.when(wait, who);
        if t > self.end {
            self.budget = 0;
            return false;
        }
        self.sim.sweep_until(t);
        self.t = t;
        self.budget -= 1;
        let user = self.staff.get(self.county, who).clone();
        self.sim.fire(action, who.role(), &user, &req, t)
    }

    pub fn user(&self, who: Who) -> Req {
        Req {
            assignee: Some(self.staff.get(self.county, who).clone()),
            ..Default::default()
        }
    }

    pub fn note(&mut self, what: &str) -> Req {
        Req {
            note: Some(said(self.rng, what)),
            ..Default::default()
        }
    }

    pub fn reason(&mut self, what: &str) -> Req {
        Req {
            reason: Some(said(self.rng, what)),
            ..Default::default()
        }
    }

    pub fn satisfaction(&mut self) -> Req {
        let s = match self.rng.gen_range(0..100) {
            0..=74 => "satisfied",
            75..=93 => "basic_satisfied",
            _ => "unsatisfied",
        };
        Req {
            satisfaction: Some(s),
            ..Default::default()
        }
    }

    /// A mediation session recorded at the current time (the last one of a success or a
    /// failure is recorded together with its transition).
    pub fn session(&mut self, result: &str) {
        let mediator = self.staff.get(self.county, Who::Mediator).clone();
        let (facts, proposals) = session_text(self.rng, self.matter);
        let mut attendees = self.parties.clone();
        attendees.push(mediator.display.clone());
        let held = self.t - self.rng.gen_range(0..4 * HOUR);
        let place = PLACES[self.rng.gen_range(0..PLACES.len())];
        self.sessions.push(SessionRow {
            id: 0,
            case_id: self.sim.row.id,
            held_at: held.max(self.sim.row.created_at),
            place: place.to_string(),
            attendees: serde_json::Value::from(attendees).to_string(),
            facts,
            proposals,
            result: result.to_string(),
            mediator_id: mediator.id,
            created_at: self.t,
        });
    }

    /// After the last step: the sweep keeps running until the end of the period.
    pub fn finish(&mut self) {
        self.sim.sweep_until(self.end);
    }
}
