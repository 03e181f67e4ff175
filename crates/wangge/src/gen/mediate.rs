//! How a dispute is worked: a mediator is named, sessions are held (继续调解 until one
//! settles it), success is followed up, failure is referred to 诉讼/仲裁/信访, and now and
//! then an agreement is not performed and mediation starts again. The dispute details
//! record the outcome as the dispute endpoints do.

use rand::Rng;

use super::people::Who;
use super::plan::{Run, Wait, DAY, MIN};
use super::sim::Req;
use super::text::said;

pub fn dispute(r: &mut Run) {
    let assigner = if r.chance(0.5) {
        Who::GridWorker
    } else {
        Who::Intake
    };
    let to = r.user(Who::Mediator);
    if !r.act(Wait::Due(0.05, 0.8, 0.04), assigner, "assign", to) {
        return;
    }
    for round in 0..2 {
        // Sessions that go on (继续调解), then the one that settles it.
        for _ in 0..r.rng.gen_range(0..=2) {
            let t = r.t + r.rng.gen_range(DAY..4 * DAY);
            let t = r.in_hours(Who::Mediator, t, r.t + MIN);
            if t > r.end || r.budget == 0 {
                r.budget = 0;
                return;
            }
            r.sim.sweep_until(t);
            r.t = t;
            r.session("continue");
        }
        let success = r.chance(0.9);
        let wait = Wait::Span(DAY, 5 * DAY);
        let fired = if success {
            let resolution = said(r.rng, "resolution");
            let req = Req {
                resolution: Some(resolution),
                ..Default::default()
            };
            r.act(wait, Who::Mediator, "succeed", req)
        } else {
            let why = r.reason("fail");
            r.act(wait, Who::Mediator, "fail", why)
        };
        if !fired {
            return;
        }
        r.session(if success { "success" } else { "failure" });
        if let Some(d) = r.dispute.as_mut() {
            d.outcome = Some(if success { "success" } else { "failure" }.into());
            d.resolved_at = success.then_some(r.t);
        }
        if !success {
            let (to, label) = [
                ("litigation", "引导诉讼"),
                ("arbitration", "申请仲裁"),
                ("petition", "转信访渠道"),
            ][r.rng.gen_range(0..3)];
            let note = Req {
                note: Some(format!("{label}：{}", said(r.rng, "refer_note"))),
                ..Default::default()
            };
            if r.act(Wait::Due(0.1, 0.9, 0.05), Who::Mediator, "refer", note) {
                if let Some(d) = r.dispute.as_mut() {
                    d.referral = Some(to.to_string());
                }
            }
            return;
        }
        let s = r.satisfaction();
        if !r.act(Wait::Span(DAY, 6 * DAY), Who::Mediator, "follow_up", s) {
            return;
        }
        if round == 0 && r.chance(0.02) {
            let why = r.reason("not_performed");
            if !r.act(
                Wait::Span(10 * DAY, 60 * DAY),
                Who::Mediator,
                "not_performed",
                why,
            ) {
                return;
            }
            continue;
        }
        return;
    }
}
