//! What is summed while cases are generated and written once at the end: the monthly
//! rollups per village, category and source (`case_rollups`), the current-state counts
//! (`case_state_counts`) and the case number counters (`case_counters`); and the open
//! cases the duplicate check compares a new case with.

use std::collections::{BTreeMap, HashMap, VecDeque};

use wangge_core::duplicate::{duplicate_score, CaseSketch, DuplicateRules};
use wangge_core::rates::Counters;

use super::write::{Insert, Q};

/// (village index, YYYYMM, category index, source index).
pub type RollKey = (u32, u32, u16, u16);

#[derive(Default)]
pub struct Tally {
    pub rollups: HashMap<RollKey, Counters>,
    /// (village index, case type index, state) → cases now in that state.
    pub states: HashMap<(u32, u16, String), i64>,
    /// (county code, year) → last sequence number.
    pub counters: BTreeMap<(String, i32), i64>,
    pub cases: u64,
    pub events: u64,
    pub parties: u64,
    pub disputes: u64,
    pub sessions: u64,
    pub open: u64,
    pub overdue: u64,
    pub duplicates: u64,
}

pub fn add(total: &mut Counters, d: &Counters) {
    total.created += d.created;
    total.dispatched += d.dispatched;
    total.responded_on_time += d.responded_on_time;
    total.closed += d.closed;
    total.closed_on_time += d.closed_on_time;
    total.handling_ms += d.handling_ms;
    total.rated += d.rated;
    total.satisfied += d.satisfied;
    total.basic_satisfied += d.basic_satisfied;
    total.unsatisfied += d.unsatisfied;
    total.solved += d.solved;
}

/// A `case_rollups` row, added to what is there (as `case_stats::bump` does).
pub struct RollupOut {
    pub region: String,
    pub month: String,
    pub category: String,
    pub source: String,
    pub c: Counters,
}

impl Insert for RollupOut {
    const TABLE: &'static str = "case_rollups";
    const COLUMNS: &'static [&'static str] = &[
        "region_code",
        "month",
        "category",
        "source",
        "created",
        "dispatched",
        "responded_on_time",
        "closed",
        "closed_on_time",
        "handling_ms",
        "rated",
        "satisfied",
        "basic_satisfied",
        "unsatisfied",
        "solved",
    ];
    const SUFFIX: &'static str = wangge_store::case_stats::ROLLUP_CONFLICT;
    fn bind(self, q: Q) -> Q {
        let c = self.c;
        q.bind(self.region)
            .bind(self.month)
            .bind(self.category)
            .bind(self.source)
            .bind(c.created)
            .bind(c.dispatched)
            .bind(c.responded_on_time)
            .bind(c.closed)
            .bind(c.closed_on_time)
            .bind(c.handling_ms)
            .bind(c.rated)
            .bind(c.satisfied)
            .bind(c.basic_satisfied)
            .bind(c.unsatisfied)
            .bind(c.solved)
    }
}

/// A `case_state_counts` row, added to what is there (as `case_stats::move_state` does).
pub struct StateCountOut {
    pub region: String,
    pub case_type: String,
    pub state: String,
    pub n: i64,
}

impl Insert for StateCountOut {
    const TABLE: &'static str = "case_state_counts";
    const COLUMNS: &'static [&'static str] = &["region_code", "type", "state", "n"];
    const SUFFIX: &'static str =
        "ON CONFLICT (region_code, type, state) DO UPDATE SET n = case_state_counts.n + excluded.n";
    fn bind(self, q: Q) -> Q {
        q.bind(self.region)
            .bind(self.case_type)
            .bind(self.state)
            .bind(self.n)
    }
}

/// A `case_counters` row: the last number handed out in a county's year.
pub struct CounterOut {
    pub county: String,
    pub year: i64,
    pub last_seq: i64,
}

impl Insert for CounterOut {
    const TABLE: &'static str = "case_counters";
    const COLUMNS: &'static [&'static str] = &["county", "year", "last_seq"];
    const SUFFIX: &'static str =
        "ON CONFLICT (county, year) DO UPDATE SET last_seq = excluded.last_seq";
    fn bind(self, q: Q) -> Q {
        q.bind(self.county).bind(self.year).bind(self.last_seq)
    }
}

/// An earlier case a new one may duplicate, and when it was closed (not open).
pub struct Candidate {
    pub id: i64,
    pub created_at: i64,
    pub region_code: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub text: String,
    /// `[from, to)` spans in which the case was in a terminal state.
    pub terminal: Vec<(i64, i64)>,
}

impl Candidate {
    fn open_at(&self, t: i64) -> bool {
        !self.terminal.iter().any(|(a, b)| *a <= t && t < *b)
    }
}

/// The open cases of the last window per (village, category), newest last: what
/// `cases::duplicate_candidates` would find.
#[derive(Default)]
pub struct Recent(HashMap<(u32, u16), VecDeque<Candidate>>);

impl Recent {
    /// The id the engine would record as `possible_duplicate_of` for a new case.
    pub fn best(
        &mut self,
        key: (u32, u16),
        new: &CaseSketch<'_>,
        rules: &DuplicateRules,
    ) -> Option<i64> {
        let since = new.created_ms - rules.window_days * 86_400_000;
        let list = self.0.get_mut(&key)?;
        while list.front().is_some_and(|c| c.created_at < since) {
            list.pop_front();
        }
        let mut best: Option<(f64, i64)> = None;
        for other in list
            .iter()
            .rev()
            .filter(|c| c.open_at(new.created_ms))
            .take(50)
        {
            let o = CaseSketch {
                category: new.category,
                region_code: &other.region_code,
                lat: other.lat,
                lng: other.lng,
                created_ms: other.created_at,
                text: &other.text,
            };
            if let Some(score) = duplicate_score(new, &o, rules) {
                if best.is_none_or(|(s, _)| score > s) {
                    best = Some((score, other.id));
                }
            }
        }
        best.map(|b| b.1)
    }

    pub fn push(&mut self, key: (u32, u16), c: Candidate) {
        self.0.entry(key).or_default().push_back(c);
    }
}
