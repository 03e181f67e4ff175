//! The cases: how many each day (more on workdays, growing over the years), when in the
//! day, where, of which type, category and channel; numbered per county and year in the
//! order they came in, flagged as possible duplicates as the engine would flag them, then
//! worked by [`super::flows`] (see [`super::intake`]). Runs on its own thread and hands
//! over batches.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use wangge_core::date::Date;
use wangge_crypto::FieldCipher;
use wangge_server::cases::CaseConfig;
use wangge_store::cases::{CaseRow, EventRow, PartyRow};
use wangge_store::mediation::{DisputeRow, SessionRow};

use super::intake::one_case;
use super::matters::categories_of;
use super::people::{Person, Staff};
use super::place::World;
use super::tally::{Recent, Tally};
use super::write::{statements, Driver, Q};

pub const DAY_MS: i64 = 86_400_000;
/// Cases per batch handed to the writer.
pub const BATCH: usize = 10_000;

/// (type, share in percent): the mix of the issue.
pub const TYPES: [(&str, u32); 5] = [
    ("general", 45),
    ("hotline_12345", 30),
    ("dispute", 12),
    ("device_alert", 8),
    ("petition", 5),
];
const OFFICE_HOURS: [u32; 24] = [
    1, 1, 1, 1, 1, 2, 4, 10, 30, 40, 40, 35, 20, 30, 40, 40, 35, 25, 12, 8, 6, 4, 2, 1,
];
const HOTLINE_HOURS: [u32; 24] = [
    2, 1, 1, 1, 1, 2, 4, 10, 25, 30, 30, 28, 20, 25, 28, 28, 25, 20, 15, 12, 10, 8, 5, 3,
];
const DEVICE_HOURS: [u32; 24] = [
    6, 5, 4, 4, 4, 5, 8, 10, 12, 12, 12, 12, 12, 12, 12, 12, 12, 14, 16, 18, 18, 16, 12, 8,
];

#[derive(Default)]
pub struct Batch {
    pub cases: Vec<CaseRow>,
    pub events: Vec<EventRow>,
    pub parties: Vec<PartyRow>,
    pub disputes: Vec<DisputeRow>,
    pub sessions: Vec<SessionRow>,
}

impl Batch {
    /// The statements that write the batch, parents before children.
    pub fn into_statements(self, driver: Driver) -> Vec<Q> {
        let mut out = Vec::new();
        statements(self.cases, driver, &mut out);
        statements(self.events, driver, &mut out);
        statements(self.parties, driver, &mut out);
        statements(self.disputes, driver, &mut out);
        statements(self.sessions, driver, &mut out);
        out
    }
}

pub struct Setup {
    pub world: World,
    /// Adults by village index.
    pub adults: Vec<Vec<Person>>,
    pub staff: Staff,
    pub cfg: CaseConfig,
    pub cipher: FieldCipher,
    pub seed: u64,
    pub cases: u64,
    /// First day (days since 1970-01-01, local) and the end of the period (Unix ms).
    pub first_day: i64,
    pub end: i64,
    pub first_id: i64,
    pub tally: Tally,
}

pub fn weighted<R: Rng, T: Copy>(rng: &mut R, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|i| i.1).sum();
    let mut x = rng.gen_range(0..total.max(1));
    for (v, w) in items {
        if x < *w {
            return *v;
        }
        x -= w;
    }
    items[0].0
}

fn local_midnight_ms(day: i64) -> i64 {
    (day * 1440 - 8 * 60) * 60_000
}

/// Runs the whole generation, calling `send` with each batch; returns the tallies.
pub fn generate(mut s: Setup, mut send: impl FnMut(Batch) -> bool) -> (Tally, Setup) {
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    rng.set_stream(3);
    let end_day = (s.end + 8 * 3_600_000).div_euclid(DAY_MS);
    let days = (end_day - s.first_day).max(1);
    // Workdays busier than rest days; use growing by half over the period.
    let weights: Vec<f64> = (0..days)
        .map(|i| {
            let d = Date::from_days(s.first_day + i);
            let workday = match s.cfg.calendar.is_workday(d) {
                Ok(k) => k.is_workday(),
                Err(_) => (d.to_days() + 3).rem_euclid(7) < 5,
            };
            (0.65 + 0.5 * i as f64 / days as f64) * if workday { 1.0 } else { 0.55 }
        })
        .collect();
    let total: f64 = weights.iter().sum();
    // Villages: busier ones, and communities busier than villages.
    let mut village_cum = Vec::with_capacity(s.world.villages.len());
    let mut acc = 0.0;
    for v in &s.world.villages {
        let community = v.code.as_bytes().get(9) == Some(&b'0');
        acc += rng.gen_range(0.3..3.0) * if community { 1.6 } else { 1.0 } * (v.grids.len() as f64);
        village_cum.push(acc);
    }
    let catalogue = &s.cfg.catalogue;
    let categories: Vec<Vec<(u16, u32)>> = TYPES
        .iter()
        .map(|(t, _)| {
            let mut list: Vec<(u16, u32)> = categories_of(t)
                .iter()
                .filter_map(|(c, w)| leaf_index(&s, c).map(|i| (i, *w)))
                .collect();
            if list.is_empty() {
                list = (0..catalogue.leaf_categories().count() as u16)
                    .map(|i| (i, 1))
                    .collect();
            }
            list
        })
        .collect();
    let leaves: Vec<String> = catalogue
        .leaf_categories()
        .map(|(_, c)| c.id.clone())
        .collect();
    let mut recent = Recent::default();
    let mut tally = std::mem::take(&mut s.tally);
    let mut batch = Batch::default();
    let mut id = s.first_id;
    let mut made = 0_u64;
    let mut cum = 0.0;
    for i in 0..days {
        cum += weights[i as usize];
        let upto = ((cum / total) * s.cases as f64).round() as u64;
        let n = upto.min(s.cases) - made;
        let midnight = local_midnight_ms(s.first_day + i);
        let mut today: Vec<(i64, usize)> = (0..n)
            .map(|_| {
                let t = weighted(
                    &mut rng,
                    &TYPES
                        .iter()
                        .enumerate()
                        .map(|(k, (_, w))| (k, *w))
                        .collect::<Vec<_>>(),
                );
                let hours = match t {
                    1 => &HOTLINE_HOURS,
                    3 => &DEVICE_HOURS,
                    _ => &OFFICE_HOURS,
                };
                let h: Vec<(i64, u32)> = hours
                    .iter()
                    .enumerate()
                    .map(|(h, w)| (h as i64, *w))
                    .collect();
                let at =
                    midnight + weighted(&mut rng, &h) * 3_600_000 + rng.gen_range(0..3_600_000);
                (at, t)
            })
            .collect();
        today.sort_by_key(|c| c.0);
        for (at, t) in today {
            if at >= s.end {
                continue;
            }
            one_case(
                &s,
                &mut rng,
                &mut tally,
                &mut recent,
                &mut batch,
                &village_cum,
                &categories[t],
                &leaves,
                t,
                id,
                at,
            );
            id += 1;
            if batch.cases.len() >= BATCH && !send(std::mem::take(&mut batch)) {
                return (tally, s);
            }
        }
        made += n;
    }
    if !batch.cases.is_empty() {
        send(batch);
    }
    (tally, s)
}

fn leaf_index(s: &Setup, id: &str) -> Option<u16> {
    s.cfg
        .catalogue
        .leaf_categories()
        .position(|(_, c)| c.id == id)
        .map(|i| i as u16)
}
