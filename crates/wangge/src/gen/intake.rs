//! One case: where, what, from which channel and by whom; numbered, flagged as a possible
//! duplicate as the engine would flag it, worked through time, and tallied.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use wangge_core::duplicate::CaseSketch;
use wangge_server::routes::disputes::CAME_BY;
use wangge_store::cases::PartyRow;
use wangge_store::mediation::DisputeRow;

use super::cases::{weighted, Batch, Setup, TYPES};
use super::names::{mobile, person_name};
use super::people::Who;
use super::plan::Run;
use super::sim::{Intake, Sim};
use super::tally::{add, Candidate, Recent, Tally};
use super::text::title_and_description;
use super::{flows, mediate};

fn source_of<R: Rng>(rng: &mut R, s: &Setup, case_type: &str) -> (String, Option<&'static str>) {
    let (source, came_by) = match case_type {
        "general" => (
            weighted(
                rng,
                &[
                    ("grid_report", 55),
                    ("walk_in", 15),
                    ("diary", 10),
                    ("cannot_do_window", 7),
                    ("open311", 8),
                ],
            ),
            None,
        ),
        "dispute" => {
            let weights = [30, 25, 5, 8, 8, 4, 5, 15];
            let k = weighted(rng, &(0..8).map(|i| (i, weights[i])).collect::<Vec<_>>());
            (CAME_BY[k].2, Some(CAME_BY[k].0))
        }
        "petition" => (weighted(rng, &[("petition", 85), ("walk_in", 15)]), None),
        other => (other, None),
    };
    let source = if s.cfg.catalogue.source(source).is_some() {
        source.to_string()
    } else {
        s.cfg
            .catalogue
            .sources
            .first()
            .map(|x| x.id.clone())
            .unwrap_or_default()
    };
    (source, came_by)
}

#[allow(clippy::too_many_arguments)]
pub fn one_case(
    s: &Setup,
    rng: &mut ChaCha8Rng,
    tally: &mut Tally,
    recent: &mut Recent,
    batch: &mut Batch,
    village_cum: &[f64],
    categories: &[(u16, u32)],
    leaves: &[String],
    t: usize,
    id: i64,
    at: i64,
) {
    let case_type = TYPES[t].0;
    let Some(wf) = s.cfg.workflows.get(case_type) else {
        return;
    };
    let x = rng.gen_range(0.0..village_cum.last().copied().unwrap_or(1.0));
    let v = village_cum
        .partition_point(|c| *c <= x)
        .min(s.world.villages.len().saturating_sub(1));
    let village = &s.world.villages[v];
    let county = village.county;
    let grid = &s.world.grids[rng.gen_range(village.grids.clone())];
    let region_code = if case_type == "device_alert" || rng.gen_bool(0.92) {
        grid.code.clone()
    } else {
        village.code.clone()
    };
    let located = rng.gen_bool(match case_type {
        "general" => 0.9,
        "device_alert" => 1.0,
        "dispute" => 0.6,
        "hotline_12345" => 0.4,
        _ => 0.0,
    });
    let (lat, lng) = if located {
        let p = grid.point(rng);
        (Some(p.0), Some(p.1))
    } else {
        (None, None)
    };
    let cat = weighted(rng, categories);
    let category = leaves.get(usize::from(cat)).cloned().unwrap_or_default();
    let (source, came_by) = source_of(rng, s, case_type);
    let (title, description, matter) =
        title_and_description(rng, case_type, &source, &category, &village.short);
    let priority = weighted(
        rng,
        match case_type {
            "device_alert" => &[("normal", 40), ("high", 40), ("urgent", 20)],
            "dispute" => &[("normal", 70), ("high", 25), ("urgent", 5)],
            "petition" => &[("normal", 60), ("high", 40)],
            "hotline_12345" => &[("low", 10), ("normal", 85), ("high", 5)],
            _ => &[("low", 7), ("normal", 75), ("high", 15), ("urgent", 3)],
        },
    );
    let adults = &s.adults[v];
    // A villager (a fictional passer-by where the village has no households).
    let someone = |rng: &mut ChaCha8Rng| -> (String, Option<String>, Option<String>) {
        match adults.len() {
            0 => {
                let male = rng.gen_bool(0.5);
                (person_name(rng, male), None, Some(mobile(rng)))
            }
            n => {
                let p = &adults[rng.gen_range(0..n)];
                let phone = p.phone.clone().or_else(|| Some(mobile(rng)));
                (p.name.clone(), Some(p.id_number.clone()), phone)
            }
        }
    };
    let (reporter_name, reporter_phone) = match source.as_str() {
        "hotline_12345" | "petition" => {
            let (n, _, p) = someone(rng);
            (Some(n), p)
        }
        "walk_in" | "cannot_do_window" if rng.gen_bool(0.7) => {
            let (n, _, p) = someone(rng);
            (Some(n), p.filter(|_| rng.gen_bool(0.6)))
        }
        _ => (None, None),
    };
    let creator = match (case_type, source.as_str(), came_by) {
        ("general", "grid_report" | "diary", _) => Who::GridWorker,
        ("dispute", _, Some("screening" | "active")) => Who::GridWorker,
        _ => Who::Intake,
    };
    let creator = s.staff.get(county, creator).clone();
    let created = wangge_core::date::Date::from_unix_millis_cst(at);
    let seq = tally
        .counters
        .entry((s.world.counties[county].code6.clone(), created.year))
        .or_insert(0);
    *seq += 1;
    let intake = Intake {
        id,
        number: format!(
            "{}-{}-{:06}",
            s.world.counties[county].code6, created.year, seq
        ),
        category: category.clone(),
        source: source.clone(),
        region_code: region_code.clone(),
        lat,
        lng,
        title: title.clone(),
        description: description.clone(),
        priority: priority.to_string(),
        reporter_name,
        reporter_phone_enc: reporter_phone.map(|p| s.cipher.encrypt("phone", &p)),
        at,
    };
    let Some(mut sim) = Sim::new(wf, &s.cfg.calendar, intake, &creator) else {
        return;
    };
    // Duplicates: flagged at intake against the open cases of the village and category.
    let text = format!("{title} {description}");
    let key = (v as u32, cat);
    let sketch = CaseSketch {
        category: &category,
        region_code: &region_code,
        lat,
        lng,
        created_ms: at,
        text: &text,
    };
    if let Some(dup) = recent.best(key, &sketch, &s.cfg.duplicates) {
        sim.row.possible_duplicate_of = Some(dup);
        sim.row.version += 1;
        tally.duplicates += 1;
    }
    let mut parties = Vec::new();
    if case_type == "dispute" {
        for role in ["applicant", "respondent"] {
            let (name, idn, phone) = someone(rng);
            let idn = idn.filter(|_| rng.gen_bool(0.8));
            parties.push(PartyRow {
                id: 0,
                case_id: id,
                role: role.to_string(),
                name,
                id_number_enc: idn.as_ref().map(|i| s.cipher.encrypt("id_number", i)),
                id_number_hash: idn.as_ref().map(|i| s.cipher.search_hash("id_number", i)),
                phone_enc: phone.as_ref().map(|p| s.cipher.encrypt("phone", p)),
                phone_hash: phone.as_ref().map(|p| s.cipher.search_hash("phone", p)),
                uscc: None,
            });
        }
    }
    let dispute = came_by.map(|c| DisputeRow {
        case_id: id,
        came_by: c.to_string(),
        amount_yuan: matches!(
            category.as_str(),
            "dispute.contract"
                | "dispute.business"
                | "dispute.damages"
                | "dispute.labor"
                | "dispute.consumer"
                | "dispute.medical"
                | "dispute.traffic"
                | "dispute.land_acquisition"
        )
        .then(|| f64::from(rng.gen_range(20..3000_u32)) * 100.0),
        ..Default::default()
    });
    let mut run = Run {
        sim,
        rng,
        staff: &s.staff,
        county,
        t: at,
        end: s.end,
        budget: u32::MAX,
        round_the_clock: matches!(case_type, "hotline_12345" | "device_alert"),
        dispute,
        sessions: Vec::new(),
        parties: parties.iter().map(|p| p.name.clone()).collect(),
        matter,
    };
    if run.chance(0.015) {
        run.budget = run.rng.gen_range(1..=6);
    }
    match case_type {
        "general" => flows::general(&mut run),
        "hotline_12345" => flows::hotline(&mut run),
        "petition" => flows::petition(&mut run),
        "dispute" => mediate::dispute(&mut run),
        _ => flows::device_alert(&mut run),
    }
    run.finish();
    let Run {
        sim,
        dispute,
        sessions,
        ..
    } = run;
    // Spans in which the case was terminal, for later duplicate checks.
    let mut spans = Vec::new();
    let mut since: Option<i64> = None;
    for e in &sim.events {
        let terminal = wf.is_terminal(&e.to_state);
        match (terminal, since) {
            (true, None) => since = Some(e.at),
            (false, Some(a)) => {
                spans.push((a, e.at));
                since = None;
            }
            _ => {}
        }
    }
    if let Some(a) = since {
        spans.push((a, i64::MAX));
    }
    recent.push(
        key,
        Candidate {
            id,
            created_at: at,
            region_code,
            lat,
            lng,
            text,
            terminal: spans,
        },
    );
    let row = &sim.row;
    let src = s
        .cfg
        .catalogue
        .sources
        .iter()
        .position(|x| x.id == row.source)
        .unwrap_or(0) as u16;
    let month = created.year as u32 * 100 + u32::from(created.month);
    add(
        tally
            .rollups
            .entry((v as u32, month, cat, src))
            .or_default(),
        &sim.delta,
    );
    *tally
        .states
        .entry((v as u32, t as u16, row.state.clone()))
        .or_insert(0) += 1;
    tally.cases += 1;
    tally.events += sim.events.len() as u64;
    tally.parties += parties.len() as u64;
    tally.sessions += sessions.len() as u64;
    if row.terminal == 0 {
        tally.open += 1;
        if row.state_due_at.is_some_and(|d| d < s.end) {
            tally.overdue += 1;
        }
    }
    if let Some(d) = dispute {
        tally.disputes += 1;
        batch.disputes.push(d);
    }
    batch.events.extend(sim.events);
    batch.parties.extend(parties);
    batch.sessions.extend(sessions);
    batch.cases.push(sim.row);
}
