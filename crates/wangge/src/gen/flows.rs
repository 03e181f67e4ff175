//! How each kind of case is worked: who acts, in what order and how soon, with
//! occasional returns, extensions, 督办, escalations, 挂账, reopenings and stalls.

use rand::Rng;

use super::people::Who;
use super::plan::{Run, Wait, DAY, HOUR, MIN};
use super::sim::Req;

pub fn general(r: &mut Run) {
    if r.chance(0.04) {
        let why = r.reason("cancel");
        r.act(Wait::Span(10 * MIN, 2 * HOUR), Who::Intake, "cancel", why);
        return;
    }
    let registrar = if r.chance(0.6) {
        Who::GridWorker
    } else {
        Who::Intake
    };
    if !r.act(
        Wait::Due(0.05, 0.5, 0.04),
        registrar,
        "register",
        Req::default(),
    ) {
        return;
    }
    let worker = if r.chance(0.65) {
        Who::Handler
    } else {
        Who::GridWorker
    };
    for attempt in 0..3 {
        let to = r.user(worker);
        if !r.act(Wait::Due(0.05, 0.5, 0.04), Who::Dispatcher, "dispatch", to) {
            return;
        }
        if attempt < 2 && r.chance(0.05) {
            let why = r.reason("return");
            if !r.act(Wait::Due(0.1, 0.9, 0.0), worker, "return", why) {
                return;
            }
            continue;
        }
        break;
    }
    if !r.act(Wait::Due(0.05, 0.6, 0.05), worker, "accept", Req::default()) {
        return;
    }
    for round in 0..2 {
        if r.chance(0.03) {
            let n = r.note("supervise");
            r.act(Wait::Due(0.7, 1.0, 0.3), Who::Leader, "supervise", n);
        }
        if r.chance(0.05) {
            let mut why = r.reason("extend");
            why.extension_days = Some(r.rng.gen_range(1..=5));
            r.act(Wait::Due(0.5, 0.95, 0.0), Who::Dispatcher, "extend", why);
        }
        if r.chance(0.015) {
            let why = r.reason("suspend");
            if !r.act(Wait::Due(0.2, 0.8, 0.0), Who::Leader, "suspend", why) {
                return;
            }
            let n = r.note("resume");
            if r.chance(0.3) || !r.act(Wait::Span(10 * DAY, 150 * DAY), Who::Leader, "resume", n) {
                return;
            }
        }
        if r.chance(0.02) {
            let why = r.reason("escalate");
            r.act(Wait::Due(0.1, 0.6, 0.0), Who::GridWorker, "escalate", why);
        }
        let n = r.note("report_back");
        if !r.act(Wait::Due(0.03, 0.35, 0.05), worker, "report_back", n) {
            return;
        }
        if round == 0 && r.chance(0.05) {
            let why = r.reason("reject_fix");
            if !r.act(Wait::Due(0.1, 0.8, 0.0), Who::Intake, "reject_fix", why) {
                return;
            }
            continue;
        }
        break;
    }
    if !r.act(
        Wait::Due(0.02, 0.2, 0.03),
        Who::Intake,
        "verify",
        Req::default(),
    ) {
        return;
    }
    let n = r.note("evaluate");
    r.act(Wait::Span(10 * MIN, 3 * HOUR), Who::Leader, "evaluate", n);
}

pub fn hotline(r: &mut Run) {
    if r.chance(0.15) {
        let n = r.note("answer");
        if !r.act(Wait::Span(3 * MIN, 40 * MIN), Who::Intake, "answer", n) {
            return;
        }
    } else {
        for attempt in 0..3 {
            let to = r.user(Who::Handler);
            if !r.act(Wait::Due(0.05, 0.6, 0.04), Who::Dispatcher, "dispatch", to) {
                return;
            }
            if attempt < 2 && r.chance(0.05) {
                let why = r.reason("return");
                if !r.act(Wait::Due(0.2, 0.9, 0.0), Who::Handler, "return", why) {
                    return;
                }
                continue;
            }
            break;
        }
        if !r.act(
            Wait::Due(0.1, 0.9, 0.08),
            Who::Handler,
            "sign",
            Req::default(),
        ) {
            return;
        }
        if !handle_and_reply(r) {
            return;
        }
    }
    for round in 0..2 {
        let s = r.satisfaction();
        let unsatisfied = s.satisfaction == Some("unsatisfied");
        if !r.act(Wait::Due(0.1, 0.9, 0.05), Who::Intake, "follow_up", s) {
            return;
        }
        if round == 0 && unsatisfied && r.chance(0.5) {
            let why = r.reason("redo");
            if !r.act(Wait::Span(10 * MIN, 4 * HOUR), Who::Intake, "redo", why)
                || !handle_and_reply(r)
            {
                return;
            }
            continue;
        }
        break;
    }
    if !r.act(
        Wait::Due(0.05, 0.8, 0.02),
        Who::Intake,
        "close",
        Req::default(),
    ) {
        return;
    }
    if r.chance(0.01) {
        let why = r.reason("reopen");
        if r.act(Wait::Span(DAY, 20 * DAY), Who::Intake, "reopen", why) && handle_and_reply(r) {
            let s = r.satisfaction();
            if r.act(Wait::Due(0.1, 0.9, 0.05), Who::Intake, "follow_up", s) {
                r.act(
                    Wait::Due(0.05, 0.8, 0.02),
                    Who::Intake,
                    "close",
                    Req::default(),
                );
            }
        }
    }
}

fn handle_and_reply(r: &mut Run) -> bool {
    if r.chance(0.06) {
        let mut why = r.reason("extend");
        why.extension_days = Some(r.rng.gen_range(2..=5));
        if !r.act(
            Wait::Due(0.3, 0.9, 0.0),
            Who::Handler,
            "request_extension",
            why.clone(),
        ) {
            return false;
        }
        let decision = if r.chance(0.8) {
            "approve_extension"
        } else {
            "deny_extension"
        };
        if !r.act(Wait::Span(30 * MIN, DAY), Who::Dispatcher, decision, why) {
            return false;
        }
    }
    if r.chance(0.03) {
        let n = r.note("supervise");
        r.act(Wait::Due(0.7, 1.0, 0.3), Who::Leader, "supervise", n);
    }
    let n = r.note("reply");
    r.act(Wait::Due(0.1, 0.95, 0.08), Who::Handler, "reply", n)
}

pub fn petition(r: &mut Run) {
    for attempt in 0..2 {
        let to = r.user(Who::Handler);
        if !r.act(Wait::Due(0.05, 0.7, 0.03), Who::Intake, "route", to) {
            return;
        }
        if attempt == 0 && r.chance(0.05) {
            let why = r.reason("object");
            if !r.act(Wait::Span(2 * HOUR, 3 * DAY), Who::Handler, "object", why) {
                return;
            }
            continue;
        }
        break;
    }
    if !r.act(
        Wait::Due(0.05, 0.6, 0.03),
        Who::Handler,
        "accept",
        Req::default(),
    ) {
        return;
    }
    if r.chance(0.1) {
        let mut why = r.reason("extend");
        why.extension_days = Some(r.rng.gen_range(10..=30));
        r.act(Wait::Due(0.6, 0.95, 0.0), Who::Handler, "extend", why);
    }
    let n = r.note("petition_reply");
    if !r.act(Wait::Due(0.2, 0.95, 0.05), Who::Handler, "reply", n) {
        return;
    }
    if r.chance(0.8) {
        r.act(
            Wait::Span(30 * DAY, 40 * DAY),
            Who::Intake,
            "close",
            Req::default(),
        );
        return;
    }
    let why = r.reason("review");
    if !r.act(
        Wait::Span(3 * DAY, 28 * DAY),
        Who::Intake,
        "request_review",
        why,
    ) {
        return;
    }
    if r.chance(0.2) {
        let n = r.note("hearing");
        if r.act(Wait::Due(0.1, 0.5, 0.0), Who::Leader, "start_hearing", n) {
            r.act(
                Wait::Span(2 * DAY, 12 * DAY),
                Who::Leader,
                "end_hearing",
                Req::default(),
            );
        }
    }
    let n = r.note("decide");
    if !r.act(Wait::Due(0.3, 0.9, 0.04), Who::Leader, "decide_review", n) {
        return;
    }
    if r.chance(0.7) {
        r.act(
            Wait::Span(30 * DAY, 40 * DAY),
            Who::Intake,
            "close",
            Req::default(),
        );
        return;
    }
    let why = r.reason("recheck");
    if r.act(
        Wait::Span(3 * DAY, 28 * DAY),
        Who::Intake,
        "request_recheck",
        why,
    ) {
        let n = r.note("decide");
        r.act(Wait::Due(0.3, 0.9, 0.04), Who::Leader, "decide_recheck", n);
    }
}

pub fn device_alert(r: &mut Run) {
    if r.chance(0.3) {
        let why = r.reason("dismiss");
        r.act(Wait::Span(3 * MIN, 40 * MIN), Who::Intake, "dismiss", why);
        return;
    }
    let checker = if r.chance(0.7) {
        Who::Intake
    } else {
        Who::GridWorker
    };
    if !r.act(
        Wait::Due(0.1, 0.8, 0.04),
        checker,
        "confirm",
        Req::default(),
    ) {
        return;
    }
    let worker = if r.chance(0.7) {
        Who::GridWorker
    } else {
        Who::Handler
    };
    let to = r.user(worker);
    if !r.act(Wait::Due(0.1, 0.7, 0.04), Who::Dispatcher, "dispatch", to)
        || !r.act(Wait::Due(0.1, 0.9, 0.06), worker, "accept", Req::default())
    {
        return;
    }
    let n = r.note("report_back");
    if r.act(Wait::Due(0.1, 0.9, 0.08), worker, "report_back", n) {
        r.act(
            Wait::Due(0.1, 0.8, 0.04),
            Who::Intake,
            "verify",
            Req::default(),
        );
    }
}
