//! Refusals, replay, cards and the shape the API sees.

use super::*;
use crate::FieldError;

#[test]
fn not_allowed_now_lists_what_the_role_may_do() {
    let t = ty("general");
    let refusal = t
        .fire("registered", "verify", Dispatcher, &[], 0)
        .expect_err("verify before handling");
    assert_eq!(
        refusal,
        Refusal::NotAllowedNow {
            action: "verify".into(),
            state: "registered".into(),
            allowed: strings(&["cancel", "dispatch", "supervise", "escalate"]),
        }
    );
    assert_eq!(refusal.code(), "action_not_allowed_now");
    assert_eq!(refusal.field(), "action");
    assert_eq!(
        refusal.allowed(),
        strings(&["cancel", "dispatch", "supervise", "escalate"])
    );
    assert!(
        refusal
            .message_zh()
            .contains("当前可执行：cancel、dispatch"),
        "{refusal}"
    );
    // "*" actions fire from every open state but never from a terminal one.
    assert_eq!(
        ids(&t.allowed("suspended", Leader)),
        ["resume", "supervise"]
    );
    assert!(t.allowed("evaluated", Leader).is_empty());
    assert!(t.allowed("no_such_state", Leader).is_empty());
    let stale = t.fire("no_such_state", "register", IntakeOperator, &[], 0);
    assert!(matches!(stale, Err(Refusal::NotAllowedNow { ref allowed, .. }) if allowed.is_empty()));
}

#[test]
fn other_refusals_name_roles_fields_and_limits() {
    let t = ty("general");
    let role = t
        .fire("collected", "register", Enterprise, &[], 0)
        .expect_err("enterprise");
    assert_eq!(
        role,
        Refusal::RoleNotAllowed {
            action: "register".into(),
            roles: vec![IntakeOperator, Dispatcher, GridWorker],
        }
    );
    assert_eq!((role.code(), role.field()), ("role_not_allowed", "action"));
    assert_eq!(
        role.message_zh(),
        "“register”只能由综治中心受理员、派遣员、网格员执行"
    );
    assert!(role.allowed().is_empty());

    let missing = t
        .fire("registered", "dispatch", Dispatcher, &[NOTE], 0)
        .expect_err("no assignee");
    assert_eq!(missing, Refusal::MissingField { field: ASSIGNEE });
    assert_eq!(
        (missing.code(), missing.field()),
        ("missing_field", "assignee")
    );
    let e = FieldError::from(missing);
    assert_eq!((e.field.as_str(), e.code), ("assignee", "missing_field"));
    assert!(e.message.contains("承办人"), "{}", e.message);

    let unknown = t
        .fire("collected", "teleport", GridWorker, &[], 0)
        .expect_err("unknown");
    assert_eq!(
        unknown,
        Refusal::UnknownAction {
            action: "teleport".into(),
            allowed: strings(&["register", "escalate"]),
        }
    );
    assert_eq!(unknown.code(), "unknown_action");

    let petition = ty("petition");
    let limit = petition
        .fire("handling", "extend", Leader, &[], 1)
        .expect_err("second extension");
    assert_eq!((limit.code(), limit.field()), ("limit_reached", "action"));
    assert!(limit.message_zh().contains('1'), "{limit}");
}

#[test]
fn a_stay_keeps_state_and_clock() {
    let t = ty("dispute");
    let step = t
        .fire("mediating", "supervise", Dispatcher, &[NOTE], 7)
        .expect("supervise");
    assert_eq!(
        (step.from.as_str(), step.to.as_str()),
        ("mediating", "mediating")
    );
    assert!(!step.entered);
    assert_eq!((step.time_limit, step.clock), (None, Clock::Keep));
    assert_eq!(step.action.effect, Effect::Supervise);
}

#[test]
fn replay_rebuilds_the_state_and_names_a_bad_entry() {
    let t = ty("hotline_12345");
    assert_eq!(t.replay([]), Ok("accepted".to_string()));
    let good = [
        "dispatch",
        "sign",
        "supervise",
        "request_extension",
        "approve_extension",
    ];
    assert_eq!(t.replay(good), Ok("handling".to_string()));

    let skipped = t
        .replay(["dispatch", "reply"])
        .expect_err("reply before sign");
    assert_eq!(
        skipped,
        Refusal::Timeline {
            index: 1,
            cause: Box::new(Refusal::NotAllowedNow {
                action: "reply".into(),
                state: "dispatched".into(),
                allowed: strings(&["sign", "return", "supervise", "escalate"]),
            }),
        }
    );
    assert_eq!(
        (skipped.code(), skipped.field()),
        ("timeline_invalid", "timeline")
    );
    assert!(
        skipped.message_zh().starts_with("办理记录第2条无效"),
        "{skipped}"
    );

    let unknown = t
        .replay(["dispatch", "sign", "vanish"])
        .expect_err("unknown");
    assert!(
        matches!(&unknown, Refusal::Timeline { index: 2, cause } if matches!(**cause, Refusal::UnknownAction { .. })),
        "{unknown:?}"
    );
    // Nothing follows a terminal state except the reopen.
    let after_close = ["dispatch", "sign", "reply", "follow_up", "close", "sign"];
    assert!(matches!(
        t.replay(after_close),
        Err(Refusal::Timeline { index: 5, .. })
    ));
}

#[test]
fn cards_at_their_boundaries() {
    // A ten-unit deadline from 1000 to 1010, yellow from 80%.
    assert_eq!(card(1000, 1010, 990, 0.8), Card::None);
    assert_eq!(card(1000, 1010, 1000, 0.8), Card::None);
    assert_eq!(card(1000, 1010, 1007, 0.8), Card::None);
    assert_eq!(card(1000, 1010, 1008, 0.8), Card::Yellow);
    assert_eq!(card(1000, 1010, 1010, 0.8), Card::Yellow);
    assert_eq!(card(1000, 1010, 1011, 0.8), Card::Red);
    assert_eq!(card(1000, 1010, 1006, 0.6), Card::Yellow);
    // A deadline at its own start is yellow until it passes.
    assert_eq!(card(1000, 1000, 1000, 0.8), Card::Yellow);
    assert_eq!(card(1000, 1000, 1001, 0.8), Card::Red);
    // Extremes do not overflow.
    assert_eq!(card(i64::MIN, i64::MAX, 0, 0.8), Card::None);
    assert_eq!(card(i64::MIN, i64::MAX, i64::MAX, 0.8), Card::Yellow);
    let json = serde_json::to_string(&[Card::None, Card::Yellow, Card::Red]).expect("json");
    assert_eq!(json, r#"["none","yellow","red"]"#);
    assert_eq!(Card::Red.name_zh(), "红牌");
}

#[test]
fn overlay_replaces_by_id_and_appends_new_types() {
    let local = WorkflowSet::from_toml(malformed::BASE).expect("base loads");
    let renamed = malformed::BASE.replace("id = \"t\"", "id = \"petition\"");
    let replacing = WorkflowSet::from_toml(&renamed).expect("renamed loads");
    let set = WorkflowSet::defaults().overlay(local).overlay(replacing);
    let got: Vec<&str> = set.types().iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        got,
        [
            "general",
            "hotline_12345",
            "petition",
            "dispute",
            "device_alert",
            "t"
        ]
    );
    assert_eq!(set.get("petition").map(|t| t.states.len()), Some(2));
}

#[test]
fn case_types_serialise_for_the_api() {
    let t = ty("petition");
    let json = serde_json::to_value(&t).expect("json");
    assert_eq!(json["id"], "petition");
    assert_eq!(
        json["states"][0]["time_limit"],
        serde_json::json!({ "days": 15 })
    );
    let extend = &json["actions"][3];
    assert_eq!(extend["id"], "extend");
    assert_eq!(
        extend["roles"],
        serde_json::json!(["department_handler", "leader"])
    );
    assert_eq!(
        extend["requires"],
        serde_json::json!(["reason", "extension_days"])
    );
    assert_eq!(extend["effect"], "extend");
    assert_eq!(extend["max_times"], 1);
    assert_eq!(extend["to"], serde_json::Value::Null);
    let supervise = t.action("supervise").expect("supervise");
    let open: Vec<&str> = t
        .states
        .iter()
        .filter(|s| !s.terminal)
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(
        supervise.from, open,
        "\"*\" is every non-terminal state in file order"
    );
}

#[test]
fn names_round_trip() {
    for f in Field::ALL {
        assert_eq!(Field::parse(f.as_str()), Some(f));
        let json = serde_json::to_string(&f).expect("json");
        assert_eq!(json, format!("\"{}\"", f.as_str()));
    }
    for e in Effect::ALL {
        assert_eq!(Effect::parse(e.as_str()), Some(e));
        let json = serde_json::to_string(&e).expect("json");
        assert_eq!(json, format!("\"{}\"", e.as_str()));
    }
    assert_eq!(Field::parse("photo"), None);
    assert_eq!(Effect::parse("teleport"), None);
}
