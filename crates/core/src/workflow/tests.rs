use super::*;
use crate::role::Role::{
    DepartmentHandler, Dispatcher, Enterprise, GridWorker, IntakeOperator, Leader, Mediator,
    NeighborLeader,
};

mod malformed;
mod refusals;

const ASSIGNEE: Field = Field::Assignee;
const NOTE: Field = Field::Note;
const REASON: Field = Field::Reason;
const DAYS: Field = Field::ExtensionDays;
const SATISFACTION: Field = Field::Satisfaction;
const RESOLUTION: Field = Field::Resolution;

fn ty(id: &str) -> CaseType {
    WorkflowSet::defaults()
        .get(id)
        .cloned()
        .unwrap_or_else(|| panic!("default type {id}"))
}

fn ids(actions: &[&Action]) -> Vec<String> {
    actions.iter().map(|a| a.id.clone()).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// One step of a walk: the action, who fires it, what the request carries, the state after.
type Walk = &'static [(&'static str, Role, &'static [Field], &'static str)];

/// Fires every step from the initial state, checking each answer, and returns the end state.
/// Also checks that leaving out any one required field is refused naming that field, and
/// that replaying the fired actions reaches the same state.
fn walk(t: &CaseType, steps: Walk) -> String {
    let mut state = t.initial.clone();
    for (action, role, fields, expected) in steps {
        for (i, &left_out) in fields.iter().enumerate() {
            let mut fewer = fields.to_vec();
            fewer.remove(i);
            assert_eq!(
                t.fire(&state, action, *role, &fewer, 0).err(),
                Some(Refusal::MissingField { field: left_out }),
                "{}: {action} without {left_out:?}",
                t.id
            );
        }
        let step = t
            .fire(&state, action, *role, fields, 0)
            .unwrap_or_else(|r| panic!("{}: {action} from {state}: {r}", t.id));
        assert_eq!(step.action.id, *action);
        assert_eq!(
            (step.from.as_str(), step.to.as_str()),
            (state.as_str(), *expected)
        );
        assert_eq!(step.entered, state != *expected);
        if step.entered && !step.action.keep_deadline {
            let limit = t.state(expected).and_then(|s| s.time_limit);
            assert_eq!(step.time_limit, limit, "{}: {action}", t.id);
        }
        state = expected.to_string();
    }
    let timeline: Vec<&str> = steps.iter().map(|s| s.0).collect();
    assert_eq!(t.replay(timeline).as_ref(), Ok(&state), "{}", t.id);
    state
}

const GENERAL: Walk = &[
    ("register", IntakeOperator, &[], "registered"),
    ("dispatch", Dispatcher, &[ASSIGNEE], "dispatched"),
    ("accept", DepartmentHandler, &[], "handling"),
    ("supervise", Leader, &[NOTE], "handling"),
    ("report_back", DepartmentHandler, &[NOTE], "reported"),
    ("verify", GridWorker, &[], "closed"),
    ("evaluate", Leader, &[NOTE], "evaluated"),
];
const HOTLINE: Walk = &[
    ("dispatch", Dispatcher, &[ASSIGNEE], "dispatched"),
    ("sign", DepartmentHandler, &[], "handling"),
    ("reply", DepartmentHandler, &[NOTE], "replied"),
    ("follow_up", IntakeOperator, &[SATISFACTION], "followed_up"),
    ("close", IntakeOperator, &[], "closed"),
];
const PETITION: Walk = &[
    ("route", IntakeOperator, &[ASSIGNEE], "transferred"),
    ("accept", DepartmentHandler, &[], "handling"),
    ("extend", Leader, &[REASON, DAYS], "handling"),
    ("reply", DepartmentHandler, &[NOTE], "replied"),
    ("request_review", IntakeOperator, &[REASON], "reviewing"),
    ("decide_review", DepartmentHandler, &[NOTE], "reviewed"),
    ("request_recheck", IntakeOperator, &[REASON], "rechecking"),
    ("decide_recheck", Leader, &[NOTE], "rechecked"),
];
const DISPUTE: Walk = &[
    ("assign", IntakeOperator, &[ASSIGNEE], "mediating"),
    ("escalate", Mediator, &[REASON], "mediating"),
    ("succeed", Mediator, &[RESOLUTION], "resolved"),
    ("follow_up", NeighborLeader, &[SATISFACTION], "closed"),
];
const DEVICE_ALERT: Walk = &[
    ("confirm", GridWorker, &[], "confirmed"),
    ("dispatch", Dispatcher, &[ASSIGNEE], "dispatched"),
    ("accept", GridWorker, &[], "handling"),
    ("report_back", GridWorker, &[NOTE], "reported"),
    ("verify", IntakeOperator, &[], "closed"),
];

#[test]
fn defaults_load_with_the_five_types() {
    let set = WorkflowSet::defaults();
    let got: Vec<(&str, &str)> = set
        .types()
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("general", "一般事件"),
            ("hotline_12345", "12345工单"),
            ("petition", "信访"),
            ("dispute", "矛盾纠纷"),
            ("device_alert", "设备告警"),
        ]
    );
    assert!(set.get("unknown").is_none());
    for t in set.types() {
        assert_eq!(t.yellow_at, DEFAULT_YELLOW_AT);
        assert!(!t.is_terminal(&t.initial), "{}", t.id);
    }
}

#[test]
fn each_default_type_walks_end_to_end() {
    for (id, steps, end) in [
        ("general", GENERAL, "evaluated"),
        ("hotline_12345", HOTLINE, "closed"),
        ("petition", PETITION, "rechecked"),
        ("dispute", DISPUTE, "closed"),
        ("device_alert", DEVICE_ALERT, "closed"),
    ] {
        let t = ty(id);
        assert_eq!(walk(&t, steps), end, "{id}");
        assert!(t.is_terminal(end), "{id} ends in a terminal state");
    }
}

#[test]
fn default_time_limits_follow_the_rules() {
    let limit = |t: &CaseType, s: &str| t.state(s).and_then(|s| s.time_limit);
    let petition = ty("petition");
    assert_eq!(
        limit(&petition, "registered"),
        Some(TimeLimit::CalendarDays(15))
    );
    assert_eq!(
        limit(&petition, "transferred"),
        Some(TimeLimit::CalendarDays(15))
    );
    assert_eq!(
        limit(&petition, "handling"),
        Some(TimeLimit::CalendarDays(60))
    );
    for s in ["replied", "reviewing", "reviewed", "rechecking"] {
        assert_eq!(
            limit(&petition, s),
            Some(TimeLimit::CalendarDays(30)),
            "{s}"
        );
    }
    let object = petition.action("object").map(|a| a.within);
    assert_eq!(object, Some(Some(TimeLimit::WorkingDays(5))));
    let hotline = ty("hotline_12345");
    assert_eq!(
        limit(&hotline, "dispatched"),
        Some(TimeLimit::WorkingHours(2))
    );
    assert_eq!(
        limit(&ty("dispute"), "mediating"),
        Some(TimeLimit::CalendarDays(30))
    );
    let general = ty("general");
    assert_eq!(limit(&general, "handling"), Some(TimeLimit::WorkingDays(3)));
    assert_eq!(limit(&general, "suspended"), None);
    assert_eq!(
        general.escalation_limit("village"),
        Some(TimeLimit::WorkingDays(3))
    );
    assert_eq!(
        general.escalation_limit("township"),
        Some(TimeLimit::WorkingDays(7))
    );
    assert_eq!(general.escalation_limit("county"), None);
    let dispute = ty("dispute");
    assert_eq!(
        dispute.escalation_limit("township"),
        Some(TimeLimit::CalendarDays(30))
    );
}

#[test]
fn general_return_suspend_and_failed_check() {
    let t = ty("general");
    let state = walk(
        &t,
        &[
            ("register", GridWorker, &[], "registered"),
            ("dispatch", IntakeOperator, &[ASSIGNEE], "dispatched"),
            ("return", DepartmentHandler, &[REASON], "registered"),
            ("dispatch", Dispatcher, &[ASSIGNEE], "dispatched"),
            ("accept", GridWorker, &[], "handling"),
            ("extend", Dispatcher, &[REASON, DAYS], "handling"),
            ("suspend", Leader, &[REASON], "suspended"),
            ("resume", Dispatcher, &[NOTE], "handling"),
            ("report_back", GridWorker, &[NOTE], "reported"),
            ("reject_fix", GridWorker, &[REASON], "handling"),
            ("return", GridWorker, &[REASON], "registered"),
            ("cancel", Dispatcher, &[REASON], "cancelled"),
        ],
    );
    assert!(t.is_terminal(&state));
    // 挂账 stops the clock; resuming starts the handling limit again.
    let suspend = t.fire("handling", "suspend", Leader, &[REASON], 0);
    assert_eq!(suspend.map(|s| s.clock).ok(), Some(Clock::Stop));
    let resume = t.fire("suspended", "resume", Leader, &[NOTE], 0);
    let start = Clock::Start(TimeLimit::WorkingDays(3));
    assert_eq!(resume.map(|s| s.clock).ok(), Some(start));
}

#[test]
fn hotline_extension_review_keeps_the_running_deadline() {
    let t = ty("hotline_12345");
    let request = t
        .fire(
            "handling",
            "request_extension",
            DepartmentHandler,
            &[REASON, DAYS],
            0,
        )
        .expect("request");
    assert_eq!(request.to, "extension_requested");
    assert!(request.entered);
    assert_eq!((request.clock, request.time_limit), (Clock::Keep, None));

    let approve = t
        .fire(
            "extension_requested",
            "approve_extension",
            Leader,
            &[REASON, DAYS],
            0,
        )
        .expect("approve");
    assert_eq!(approve.to, "handling");
    assert_eq!(approve.action.effect, Effect::Extend);
    assert_eq!((approve.clock, approve.time_limit), (Clock::Keep, None));
    assert_eq!(approve.action.extension(3), Ok(TimeLimit::WorkingDays(3)));

    let deny = t.fire(
        "extension_requested",
        "deny_extension",
        Dispatcher,
        &[REASON],
        0,
    );
    assert_eq!(
        deny.map(|s| (s.to, s.clock)).ok(),
        Some(("handling".into(), Clock::Keep))
    );
    // The handler cannot approve its own request.
    let own = t.fire(
        "extension_requested",
        "approve_extension",
        DepartmentHandler,
        &[REASON, DAYS],
        0,
    );
    assert_eq!(
        own.err(),
        Some(Refusal::RoleNotAllowed {
            action: "approve_extension".into(),
            roles: vec![Dispatcher, Leader],
        })
    );
}

#[test]
fn hotline_return_redispatch_redo_and_reopen() {
    let t = ty("hotline_12345");
    let state = walk(
        &t,
        &[
            ("dispatch", Dispatcher, &[ASSIGNEE], "dispatched"),
            ("return", DepartmentHandler, &[REASON], "accepted"),
            ("dispatch", IntakeOperator, &[ASSIGNEE], "dispatched"),
            ("sign", DepartmentHandler, &[], "handling"),
            ("reply", DepartmentHandler, &[NOTE], "replied"),
            ("follow_up", Dispatcher, &[SATISFACTION], "followed_up"),
            ("redo", Dispatcher, &[REASON], "handling"),
            ("reply", DepartmentHandler, &[NOTE], "replied"),
            ("follow_up", Dispatcher, &[SATISFACTION], "followed_up"),
            ("close", Dispatcher, &[], "closed"),
            ("reopen", Leader, &[REASON], "handling"),
        ],
    );
    assert_eq!(state, "handling");
    // From the terminal state only the reopen is offered, and only to those who may.
    assert_eq!(ids(&t.allowed("closed", IntakeOperator)), ["reopen"]);
    assert!(t.allowed("closed", DepartmentHandler).is_empty());
    let reopen = t
        .fire("closed", "reopen", Dispatcher, &[REASON], 0)
        .expect("reopen");
    assert_eq!(reopen.clock, Clock::Start(TimeLimit::WorkingDays(5)));
    assert_eq!(reopen.action.effect, Effect::Reopen);
    // A consultation answered on the spot skips dispatch.
    let answered = walk(&t, &[("answer", IntakeOperator, &[NOTE], "replied")]);
    assert_eq!(answered, "replied");
}

#[test]
fn petition_extends_once_by_at_most_thirty_days() {
    let t = ty("petition");
    let first = t
        .fire("handling", "extend", DepartmentHandler, &[REASON, DAYS], 0)
        .expect("first extension");
    assert!(!first.entered);
    assert_eq!((first.to.as_str(), first.clock), ("handling", Clock::Keep));
    assert_eq!(
        t.fire("handling", "extend", DepartmentHandler, &[REASON, DAYS], 1)
            .err(),
        Some(Refusal::LimitReached {
            action: "extend".into(),
            max_times: 1,
        })
    );
    let extend = first.action;
    assert_eq!(extend.max_extension, Some(TimeLimit::CalendarDays(30)));
    assert_eq!(extend.extension(30), Ok(TimeLimit::CalendarDays(30)));
    assert_eq!(extend.extension(1), Ok(TimeLimit::CalendarDays(1)));
    for bad in [0, 31] {
        let e = extend.extension(bad).expect_err("out of range");
        assert_eq!(
            (e.field.as_str(), e.code),
            ("extension_days", "out_of_range")
        );
    }
    // An objection sends the matter back to be routed again; after 复核 nothing continues.
    walk(
        &t,
        &[
            ("route", Dispatcher, &[ASSIGNEE], "transferred"),
            ("object", DepartmentHandler, &[REASON], "registered"),
            ("route", Dispatcher, &[ASSIGNEE], "transferred"),
            ("accept", DepartmentHandler, &[], "handling"),
            ("reply", DepartmentHandler, &[NOTE], "replied"),
            ("close", IntakeOperator, &[], "closed"),
        ],
    );
    assert!(t.allowed("rechecked", Leader).is_empty());
    assert!(t.allowed("rechecked", Dispatcher).is_empty());
}

#[test]
fn dispute_failure_is_referred_and_device_alerts_can_be_dismissed() {
    let dispute = ty("dispute");
    let end = walk(
        &dispute,
        &[
            ("assign", Dispatcher, &[ASSIGNEE], "mediating"),
            ("fail", Mediator, &[REASON], "failed"),
            ("refer", Mediator, &[NOTE], "referred"),
        ],
    );
    assert!(dispute.is_terminal(&end));
    let alert = ty("device_alert");
    let end = walk(
        &alert,
        &[("dismiss", IntakeOperator, &[REASON], "dismissed")],
    );
    assert!(alert.is_terminal(&end));
    assert_eq!(
        alert.action("dismiss").map(|a| a.effect),
        Some(Effect::Cancel)
    );
}
