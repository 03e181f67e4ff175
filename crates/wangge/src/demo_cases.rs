//! Demo cases: a few months of work in 桂东县 — raised from every channel, dispatched,
//! handled, closed and rated — made through the real case engine (so the timelines,
//! rollups and rates are what production would keep), at times spread over the past weeks.

use std::sync::Arc;

use wangge_core::role::Role;
use wangge_server::access::{AuthKind, Caller, RequestCtx};
use wangge_server::cases::create::{create_case, NewCaseRequest};
use wangge_server::cases::transition::{fire, TransitionRequest};
use wangge_server::cases::CaseConfig;
use wangge_server::{AppState, ManualClock, Settings};
use wangge_store::{users, Store};

const MATTERS: [(&str, &str, &str); 12] = [
    ("general", "facilities.hydrant", "消防栓压力不足"),
    ("general", "environment.river_garbage", "河道垃圾堆积"),
    (
        "general",
        "facilities.street_light",
        "路灯不亮，夜间出行不便",
    ),
    (
        "general",
        "safety.dangerous_house",
        "老屋墙体开裂，存在倒塌隐患",
    ),
    (
        "hotline_12345",
        "livelihood.social_security",
        "咨询城乡居民医保缴费",
    ),
    (
        "hotline_12345",
        "livelihood.transport",
        "村道坑洼，车辆难行",
    ),
    (
        "hotline_12345",
        "business.enterprise_request",
        "企业反映用电报装进度慢",
    ),
    ("dispute", "dispute.homestead", "两户宅基地界址纠纷"),
    ("dispute", "dispute.neighbor", "邻里排水沟堵塞引发争执"),
    ("general", "environment.clutter", "路边乱堆柴草"),
    (
        "hotline_12345",
        "livelihood.health",
        "村卫生室开诊时间不固定",
    ),
    (
        "device_alert",
        "safety.gathering",
        "雪亮工程摄像头：村部广场人员聚集",
    ),
];

const SOURCES: [&str; 5] = [
    "grid_report",
    "walk_in",
    "diary",
    "cannot_do_window",
    "grid_report",
];

async fn caller(store: &Store, username: &str) -> anyhow::Result<Caller> {
    let mut conn = store.read().await?;
    let u = users::by_username(&mut conn, username).await?;
    let role = Role::parse(&u.row.role).ok_or_else(|| anyhow::anyhow!("role"))?;
    let ctx = RequestCtx {
        ip: "demo".into(),
        request_id: String::new(),
    };
    Ok(Caller::new(&u, role, AuthKind::ApiToken, None, ctx))
}

fn act(action: &str) -> TransitionRequest {
    TransitionRequest {
        action: action.into(),
        ..Default::default()
    }
}

/// Raises and works `n` cases in villages of 沤江镇 (where the demo mediator serves).
pub async fn seed(
    store: &Store,
    state_template: &AppState,
    villages: &[String],
    now_ms: i64,
    n: usize,
) -> anyhow::Result<usize> {
    let clock = Arc::new(ManualClock::new(now_ms));
    let state = AppState::new(
        store.clone(),
        state_template.cipher.clone(),
        clock.clone(),
        Settings::default(),
    )
    .with_cases(CaseConfig::clone(&state_template.cases));
    let [intake, dispatcher, handler, mediator] = [
        caller(store, "intake").await?,
        caller(store, "dispatcher").await?,
        caller(store, "handler").await?,
        caller(store, "mediator").await?,
    ];
    let local: Vec<&String> = villages
        .iter()
        .filter(|v| v.starts_with("431027100"))
        .collect();
    let mut made = 0;
    for i in 0..n {
        let (case_type, category, title) = MATTERS[i % MATTERS.len()];
        let village = local[i % local.len().max(1)];
        // Spread over the past ~10 weeks, in office hours.
        let days_ago = (n - i) as i64 * 70 / n as i64;
        clock.set(now_ms - days_ago * 86_400_000 - (i as i64 % 5) * 3_600_000);
        let source = match case_type {
            "hotline_12345" => "hotline_12345",
            "device_alert" => "device_alert",
            _ => SOURCES[i % SOURCES.len()],
        };
        let req = NewCaseRequest {
            case_type: case_type.into(),
            category: category.into(),
            source: source.into(),
            region_code: format!("{village}{:03}", 1 + i % 2),
            title: title.into(),
            description: format!("{title}。群众反映，请核实处理。"),
            lat: Some(25.98 + (i as f64) * 0.001),
            lng: Some(113.94 + (i as f64) * 0.0013),
            priority: None,
            reporter_name: None,
            reporter_phone: None,
            parties: Vec::new(),
            dispute: None,
        };
        let id = create_case(&state, &intake, &req, None)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?
            .id;
        made += 1;
        let stage = i % 6; // how far along this one is
        let step = |minutes: i64| clock.set(clock_now(&clock) + minutes * 60_000);
        let run = |who: &Caller, r: TransitionRequest| {
            let state = state.clone();
            let who = who.clone();
            async move {
                fire(&state, &who, id, &r)
                    .await
                    .map_err(|e| anyhow::anyhow!("{} {}", r.action, e.message))
            }
        };
        if stage == 0 {
            continue;
        }
        match case_type {
            "general" => {
                step(30);
                run(&intake, act("register")).await?;
                step(40);
                run(
                    &dispatcher,
                    TransitionRequest {
                        assignee: Some(handler.user_id),
                        ..act("dispatch")
                    },
                )
                .await?;
                if stage >= 2 {
                    step(60);
                    run(&handler, act("accept")).await?;
                }
                if stage >= 3 {
                    step(24 * 60);
                    run(
                        &handler,
                        TransitionRequest {
                            note: Some("已到现场处置完毕".into()),
                            ..act("report_back")
                        },
                    )
                    .await?;
                    step(120);
                    run(&intake, act("verify")).await?;
                }
            }
            "hotline_12345" => {
                step(20);
                run(
                    &dispatcher,
                    TransitionRequest {
                        assignee: Some(handler.user_id),
                        ..act("dispatch")
                    },
                )
                .await?;
                step(if stage == 1 { 300 } else { 45 });
                run(&handler, act("sign")).await?;
                if stage >= 2 {
                    step(2 * 24 * 60);
                    run(
                        &handler,
                        TransitionRequest {
                            note: Some("已联系来电人并答复".into()),
                            ..act("reply")
                        },
                    )
                    .await?;
                    step(24 * 60);
                    let sat = [
                        "satisfied",
                        "satisfied",
                        "basic_satisfied",
                        "satisfied",
                        "unsatisfied",
                    ][i % 5];
                    run(
                        &intake,
                        TransitionRequest {
                            satisfaction: Some(sat.into()),
                            ..act("follow_up")
                        },
                    )
                    .await?;
                    if sat != "unsatisfied" {
                        step(30);
                        run(&intake, act("close")).await?;
                    }
                }
            }
            "dispute" => {
                step(60);
                run(
                    &intake,
                    TransitionRequest {
                        assignee: Some(mediator.user_id),
                        ..act("assign")
                    },
                )
                .await?;
                if stage >= 2 {
                    step(2 * 24 * 60);
                    run(
                        &mediator,
                        TransitionRequest {
                            resolution: Some("经三长和法律顾问现场调解，双方达成协议".into()),
                            ..act("succeed")
                        },
                    )
                    .await?;
                    step(7 * 24 * 60);
                    run(
                        &mediator,
                        TransitionRequest {
                            satisfaction: Some("satisfied".into()),
                            ..act("follow_up")
                        },
                    )
                    .await?;
                }
            }
            _ => {
                step(15);
                run(
                    &intake,
                    TransitionRequest {
                        reason: Some("经核实为群众文艺活动，误报".into()),
                        ..act("dismiss")
                    },
                )
                .await?;
            }
        }
    }
    Ok(made)
}

fn clock_now(c: &ManualClock) -> i64 {
    use wangge_server::Clock;
    c.now_ms()
}
