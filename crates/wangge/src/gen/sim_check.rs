//! The replay against the real engine: the same cases, raised and worked at the same
//! times through `create_case`, `transition::fire` and the escalation sweep, must leave
//! the same row, the same timeline and the same rollups as [`Sim`].

use std::sync::Arc;

use wangge_core::rates::Counters;
use wangge_core::role::Role;
use wangge_crypto::{Algorithm, FieldCipher, MasterKey};
use wangge_server::access::{AuthKind, Caller, RequestCtx};
use wangge_server::cases::create::{create_case, NewCaseRequest};
use wangge_server::cases::transition::{fire, TransitionRequest};
use wangge_server::{AppState, ManualClock, Settings};
use wangge_store::cases::{self, CaseRow};
use wangge_store::regions::{self, Region};
use wangge_store::users::{self, NewUser};
use wangge_store::{case_stats, ConnectOptions, Store};

use super::people::StaffUser;
use super::sim::{Intake, Req, Sim};

const HOUR: i64 = 3_600_000;
const VILLAGE: &str = "431027100202";
const GRID: &str = "431027100202001";

type Step = (i64, &'static str, TransitionRequest);

struct World {
    state: AppState,
    clock: Arc<ManualClock>,
    staff: Vec<(Caller, StaffUser)>,
    _dir: tempfile::TempDir,
}

async fn world(start: i64) -> World {
    let dir = tempfile::tempdir().expect("dir");
    let url = wangge_store::sqlite_url_for_dir(dir.path());
    let store = Store::connect(&url, ConnectOptions::default())
        .await
        .expect("store");
    store.migrate().await.expect("migrate");
    let cipher = FieldCipher::new(&MasterKey::generate(), Algorithm::Aes256Gcm);
    let store = store.with_audit_key(cipher.audit_key());
    let mut tx = store.begin().await.expect("tx");
    for code in [
        "430000000000",
        "431000000000",
        "431027000000",
        "431027100000",
        VILLAGE,
        GRID,
    ] {
        let c = wangge_core::region::RegionCode::parse("c", code).expect("code");
        let r = Region {
            code: code.into(),
            name: code.into(),
            level: c.level().as_str().into(),
            parent_code: c.parent().map(|p| p.to_string()),
        };
        regions::upsert(&mut tx, &r, start).await.expect("region");
    }
    let scope = vec!["431027000000".to_string()];
    // In a fresh database their ids are 1 to 5 in this order (the steps name 3 and 5).
    let mut staff = Vec::new();
    for (name, role) in [
        ("intake", Role::IntakeOperator),
        ("dispatcher", Role::Dispatcher),
        ("handler", Role::DepartmentHandler),
        ("leader", Role::Leader),
        ("mediator", Role::Mediator),
    ] {
        let new = NewUser {
            username: name,
            display_name: &format!("{name}（显示名）"),
            role: role.as_str(),
            password_hash: "x",
            must_change_password: false,
            regions: &scope,
        };
        let id = users::create(&mut tx, &new, start).await.expect("user");
        let u = users::by_id(&mut tx, id).await.expect("user");
        let ctx = RequestCtx {
            ip: "test".into(),
            request_id: String::new(),
        };
        let staff_user = StaffUser {
            id,
            username: name.into(),
            display: u.row.display_name.clone(),
        };
        staff.push((
            Caller::new(&u, role, AuthKind::ApiToken, None, ctx),
            staff_user,
        ));
    }
    tx.commit().await.expect("commit");
    let clock = Arc::new(ManualClock::new(start));
    let state = AppState::new(store, cipher, clock.clone(), Settings::default());
    World {
        state,
        clock,
        staff,
        _dir: dir,
    }
}

fn who<'w>(w: &'w World, name: &str) -> &'w (Caller, StaffUser) {
    w.staff
        .iter()
        .find(|s| s.1.username == name)
        .expect("staff")
}

fn req(action: &str) -> TransitionRequest {
    TransitionRequest {
        action: action.into(),
        ..Default::default()
    }
}

fn note(action: &str, s: &str) -> TransitionRequest {
    TransitionRequest {
        note: Some(s.into()),
        ..req(action)
    }
}

fn reason(action: &str, s: &str) -> TransitionRequest {
    TransitionRequest {
        reason: Some(s.into()),
        ..req(action)
    }
}

fn to(action: &str, id: i64) -> TransitionRequest {
    TransitionRequest {
        assignee: Some(id),
        ..req(action)
    }
}

fn rated(s: &str) -> TransitionRequest {
    TransitionRequest {
        satisfaction: Some(s.into()),
        ..req("follow_up")
    }
}

fn extend(action: &str, days: u32) -> TransitionRequest {
    TransitionRequest {
        extension_days: Some(days),
        ..reason(action, "需协调")
    }
}

fn as_req(t: &TransitionRequest, w: &World) -> Req {
    Req {
        note: t.note.clone(),
        reason: t.reason.clone(),
        assignee: t.assignee.map(|id| {
            w.staff
                .iter()
                .find(|s| s.1.id == id)
                .expect("assignee")
                .1
                .clone()
        }),
        satisfaction: t.satisfaction.as_deref().map(|s| match s {
            "satisfied" => "satisfied",
            "basic_satisfied" => "basic_satisfied",
            _ => "unsatisfied",
        }),
        extension_days: t.extension_days,
        resolution: t.resolution.clone(),
    }
}

/// Raises one case and works it both ways. Before the steps in `sweep_after` the
/// server's sweep runs half a minute after the level deadline, as [`Sim::sweep_until`]
/// has it.
async fn same(case_type: &str, category: &str, steps: Vec<Step>, sweep_after: &[usize]) {
    let start = T0;
    let w = world(start).await;
    let cfg = &w.state.cases;
    let (intake, intake_user) = who(&w, "intake");
    let new = NewCaseRequest {
        case_type: case_type.into(),
        category: category.into(),
        source: "walk_in".into(),
        region_code: GRID.into(),
        title: "河道漂浮垃圾较多".into(),
        description: "群众反映：河道漂浮垃圾较多，请尽快核实处理。".into(),
        lat: None,
        lng: None,
        priority: None,
        reporter_name: None,
        reporter_phone: None,
        parties: Vec::new(),
        dispute: None,
    };
    let id = create_case(&w.state, intake, &new, None)
        .await
        .expect("create")
        .id;
    let mut conn = w.state.store.read().await.expect("conn");
    let made = cases::get(&mut conn, id).await.expect("case");
    drop(conn);
    let wf = cfg.workflows.get(case_type).expect("type");
    let intake_row = Intake {
        id,
        number: made.number.clone(),
        category: category.into(),
        source: "walk_in".into(),
        region_code: GRID.into(),
        lat: None,
        lng: None,
        title: new.title.clone(),
        description: new.description.clone(),
        priority: "normal".into(),
        reporter_name: None,
        reporter_phone_enc: None,
        at: start,
    };
    let mut sim = Sim::new(wf, &cfg.calendar, intake_row, intake_user).expect("sim");
    for (i, (at, actor, t)) in steps.iter().enumerate() {
        if sweep_after.contains(&i) {
            let mut conn = w.state.store.read().await.expect("conn");
            let due = cases::get(&mut conn, id)
                .await
                .expect("case")
                .level_due_at
                .expect("level due");
            drop(conn);
            w.clock.set(due + 30_000);
            wangge_server::cases::escalate::sweep(&w.state)
                .await
                .expect("sweep");
        }
        sim.sweep_until(*at - 1);
        w.clock.set(*at);
        let (caller, user) = who(&w, actor);
        fire(&w.state, caller, id, t)
            .await
            .unwrap_or_else(|e| panic!("{}: {}", t.action, e.message));
        assert!(
            sim.fire(&t.action, caller.role, user, &as_req(t, &w), *at),
            "{} refused",
            t.action
        );
    }
    let mut conn = w.state.store.read().await.expect("conn");
    let real: CaseRow = cases::get(&mut conn, id).await.expect("case");
    assert_eq!(sim.row, real, "the row");
    let events = cases::events(&mut conn, id).await.expect("events");
    let strip = |e: &wangge_store::cases::EventRow| {
        (
            e.at,
            e.actor.clone(),
            e.actor_user_id,
            e.action.clone(),
            e.effect.clone(),
            e.from_state.clone(),
            e.to_state.clone(),
            e.note.clone(),
            e.data.clone(),
        )
    };
    let real_events: Vec<_> = events.iter().map(strip).collect();
    let sim_events: Vec<_> = sim.events.iter().map(strip).collect();
    assert_eq!(sim_events, real_events, "the timeline");
    let sum: Counters = case_stats::sum(&mut conn, "4", "5", "0000-00", "9999-99")
        .await
        .expect("sum");
    assert_eq!(sim.delta, sum, "the rollups");
    let states = case_stats::states(&mut conn, "4", "5")
        .await
        .expect("states");
    assert_eq!(
        states,
        vec![(case_type.to_string(), sim.row.state.clone(), 1)]
    );
}

/// Monday 2025-03-03 09:00 China time.
const T0: i64 = 1_740_963_600_000;

#[tokio::test]
async fn general_case_with_lateness_supervision_extension_and_escalation() {
    let steps: Vec<Step> = vec![
        (T0 + HOUR, "intake", req("register")),
        (T0 + 2 * HOUR, "dispatcher", to("dispatch", 3)),
        (T0 + 30 * HOUR, "handler", req("accept")),
        (T0 + 31 * HOUR, "leader", note("supervise", "请加快")),
        (T0 + 32 * HOUR, "dispatcher", extend("extend", 2)),
        (T0 + 150 * HOUR, "handler", note("report_back", "已处置")),
        (T0 + 151 * HOUR, "intake", req("verify")),
        (T0 + 152 * HOUR, "leader", note("evaluate", "好")),
    ];
    same("general", "environment.river_garbage", steps, &[5]).await;
}

#[tokio::test]
async fn hotline_with_extension_unsatisfied_redo_and_reopen() {
    let steps: Vec<Step> = vec![
        (T0 + HOUR, "dispatcher", to("dispatch", 3)),
        (T0 + 2 * HOUR, "handler", req("sign")),
        (T0 + 5 * HOUR, "handler", extend("request_extension", 3)),
        (T0 + 6 * HOUR, "dispatcher", extend("approve_extension", 3)),
        (T0 + 40 * HOUR, "handler", note("reply", "已答复")),
        (T0 + 41 * HOUR, "intake", rated("unsatisfied")),
        (T0 + 42 * HOUR, "intake", reason("redo", "未解决")),
        (T0 + 60 * HOUR, "handler", note("reply", "已解决")),
        (T0 + 61 * HOUR, "intake", rated("basic_satisfied")),
        (T0 + 62 * HOUR, "intake", req("close")),
        (T0 + 200 * HOUR, "intake", reason("reopen", "复发")),
    ];
    same("hotline_12345", "livelihood.transport", steps, &[]).await;
}

#[tokio::test]
async fn petition_with_hearing_pause_and_dispute_mediated() {
    let steps: Vec<Step> = vec![
        (T0 + HOUR, "intake", to("route", 3)),
        (T0 + 20 * HOUR, "handler", req("accept")),
        (T0 + 100 * HOUR, "handler", extend("extend", 20)),
        (T0 + 300 * HOUR, "handler", note("reply", "意见")),
        (T0 + 400 * HOUR, "intake", reason("request_review", "不服")),
        (T0 + 420 * HOUR, "leader", note("start_hearing", "听证")),
        (T0 + 600 * HOUR, "leader", req("end_hearing")),
        (T0 + 650 * HOUR, "leader", note("decide_review", "维持")),
    ];
    same("petition", "livelihood.housing", steps, &[]).await;
    let steps: Vec<Step> = vec![
        (T0 + 3 * HOUR, "intake", to("assign", 5)),
        (
            T0 + 500 * HOUR,
            "mediator",
            TransitionRequest {
                resolution: Some("达成协议".into()),
                ..req("succeed")
            },
        ),
        (T0 + 600 * HOUR, "mediator", rated("satisfied")),
    ];
    same("dispute", "dispute.neighbor", steps, &[1]).await;
}
