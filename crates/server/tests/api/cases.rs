//! The case engine over HTTP: every default workflow end to end, automatic escalation by
//! a controllable clock, idempotent intake, refusals that list what is allowed, version
//! checks, duplicates and merging, search, the three rates, attachments and notices.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use wangge_server::Clock;

pub async fn new_case(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post("/api/v1/cases", token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    r.body
}

pub fn case_body(case_type: &str, category: &str, title: &str) -> Value {
    json!({"type": case_type, "category": category, "source": "grid_report", "region_code": GRID_A,
           "title": title, "description": format!("{title}，请尽快处理")})
}

pub async fn act(app: &TestApp, who: &str, id: i64, body: Value) -> Value {
    let t = app.login(who).await;
    let r = app
        .post(&format!("/api/v1/cases/{id}/transitions"), &t, body.clone())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{who} {body} → {r:?}");
    r.body
}

async fn user_id(app: &TestApp, username: &str) -> i64 {
    let t = app.login(username).await;
    app.get("/api/v1/auth/me", &t).await.body["id"]
        .as_i64()
        .unwrap()
}

fn actions(case: &Value) -> Vec<String> {
    case["allowed_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn general_case_walks_the_seven_steps() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    let c = new_case(
        &app,
        &grid,
        case_body("general", "facilities.hydrant", "东华路消防栓压力不足"),
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    assert!(
        c["number"].as_str().unwrap().starts_with("431027-2026-"),
        "{c}"
    );
    assert_eq!(
        (c["state"].as_str(), c["state_name"].as_str()),
        (Some("collected"), Some("信息收集"))
    );
    assert_eq!(c["handling_region"], VILLAGE_A);
    // 2 working hours from Monday 10:00 run out at the lunch break, 12:00.
    assert_eq!(c["due_at"], "2026-03-02T12:00:00+08:00");
    let handler = user_id(&app, "handler_a").await;
    act(&app, "intake_a", id, json!({"action": "register"})).await;
    let d = act(
        &app,
        "dispatcher_a",
        id,
        json!({"action": "dispatch", "assignee": handler}),
    )
    .await;
    assert_eq!(d["assignee_user_id"], handler);
    let h = app.login("handler_a").await;
    let inbox = app.get("/api/v1/notifications?unread=true", &h).await.body;
    assert!(
        inbox[0]["message"]
            .as_str()
            .unwrap()
            .contains("东华路消防栓"),
        "{inbox}"
    );
    act(&app, "handler_a", id, json!({"action": "accept"})).await;
    act(
        &app,
        "handler_a",
        id,
        json!({"action": "report_back", "note": "已更换减压阀，压力恢复正常"}),
    )
    .await;
    act(&app, "grid_a", id, json!({"action": "verify"})).await;
    let done = act(
        &app,
        "leader_a",
        id,
        json!({"action": "evaluate", "note": "处置及时"}),
    )
    .await;
    assert_eq!(
        (done["state"].as_str(), done["terminal"].as_bool()),
        (Some("evaluated"), Some(true))
    );
    let steps: Vec<_> = done["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "create",
            "register",
            "dispatch",
            "accept",
            "report_back",
            "verify",
            "evaluate"
        ]
    );
    assert!(done["closed_at"].is_string());
    assert!(actions(&done).is_empty());
    // The timeline is the truth: replaying its actions through the workflow gives the state.
    let wf = wangge_core::workflow::WorkflowSet::defaults();
    let replayed = wf
        .get("general")
        .unwrap()
        .replay(steps.iter().copied().skip(1))
        .unwrap();
    assert_eq!(replayed, done["state"].as_str().unwrap());
}

#[tokio::test]
async fn hotline_order_with_return_extension_follow_up_and_reopen() {
    let app = TestApp::new().await;
    let intake = app.login("intake_a").await;
    let mut body = case_body("hotline_12345", "livelihood.transport", "村口公交站牌损坏");
    body["source"] = json!("hotline_12345");
    body["reporter_name"] = json!("刘女士");
    body["reporter_phone"] = json!("13512345678");
    let c = new_case(&app, &intake, body).await;
    assert_eq!(c["reporter_phone"], "135****5678");
    let id = c["id"].as_i64().unwrap();
    let handler = user_id(&app, "handler_a").await;
    act(
        &app,
        "dispatcher_a",
        id,
        json!({"action": "dispatch", "assignee": handler}),
    )
    .await;
    let r = act(
        &app,
        "handler_a",
        id,
        json!({"action": "return", "reason": "不属于本单位职责"}),
    )
    .await;
    assert_eq!(
        (r["state"].as_str(), r["assignee_user_id"].is_null()),
        (Some("accepted"), true)
    );
    act(
        &app,
        "dispatcher_a",
        id,
        json!({"action": "dispatch", "assignee": handler}),
    )
    .await;
    act(&app, "handler_a", id, json!({"action": "sign"})).await;
    let before = act(
        &app,
        "handler_a",
        id,
        json!({"action": "request_extension", "reason": "需采购配件", "extension_days": 3}),
    )
    .await;
    let due_before = before["due_at"].as_str().unwrap().to_string();
    let after = act(
        &app,
        "leader_a",
        id,
        json!({"action": "approve_extension", "reason": "同意", "extension_days": 3}),
    )
    .await;
    assert_eq!(after["state"], "handling");
    assert!(
        after["due_at"].as_str().unwrap() > due_before.as_str(),
        "{} vs {due_before}",
        after["due_at"]
    );
    act(
        &app,
        "handler_a",
        id,
        json!({"action": "reply", "note": "已更换站牌"}),
    )
    .await;
    act(
        &app,
        "intake_a",
        id,
        json!({"action": "follow_up", "satisfaction": "unsatisfied"}),
    )
    .await;
    act(
        &app,
        "intake_a",
        id,
        json!({"action": "redo", "reason": "群众反映站牌仍歪斜"}),
    )
    .await;
    act(
        &app,
        "handler_a",
        id,
        json!({"action": "reply", "note": "已重新固定"}),
    )
    .await;
    act(
        &app,
        "intake_a",
        id,
        json!({"action": "follow_up", "satisfaction": "satisfied"}),
    )
    .await;
    let closed = act(&app, "intake_a", id, json!({"action": "close"})).await;
    assert_eq!(closed["state"], "closed");
    let reopened = act(
        &app,
        "intake_a",
        id,
        json!({"action": "reopen", "reason": "再次损坏"}),
    )
    .await;
    assert_eq!(
        (reopened["state"].as_str(), reopened["terminal"].as_bool()),
        (Some("handling"), Some(false))
    );
}

#[tokio::test]
async fn petition_routes_extends_once_and_rechecks() {
    let app = TestApp::new().await;
    let intake = app.login("intake_a").await;
    let mut body = case_body("petition", "livelihood.social_security", "反映低保评定不公");
    body["source"] = json!("petition");
    body["parties"] = json!([{"role": "applicant", "name": "黄某", "id_number": id_number(71), "phone": "13700000071"}]);
    let c = new_case(&app, &intake, body).await;
    assert_eq!(
        c["parties"][0]["id_number"],
        format!("4310**********{}", &id_number(71)[14..])
    );
    let id = c["id"].as_i64().unwrap();
    // 15 日 to route: start day not counted; 2026-03-17 is a Tuesday.
    assert_eq!(
        c["due_at"], "2026-03-18T00:00:00+08:00",
        "the end of 17 March"
    );
    let handler = user_id(&app, "handler_a").await;
    act(
        &app,
        "intake_a",
        id,
        json!({"action": "route", "assignee": handler}),
    )
    .await;
    // 异议 only within 5 working days of receiving the transfer.
    app.clock.advance_minutes(8 * 24 * 60);
    let h = app.login("handler_a").await;
    let late = app
        .post(
            &format!("/api/v1/cases/{id}/transitions"),
            &h,
            json!({"action": "object", "reason": "非本单位职责"}),
        )
        .await;
    assert_eq!(
        (late.status, late.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("time_window_passed")),
        "{late:?}"
    );
    act(&app, "handler_a", id, json!({"action": "accept"})).await;
    let too_long = app
        .post(
            &format!("/api/v1/cases/{id}/transitions"),
            &h,
            json!({"action": "extend", "reason": "需调查", "extension_days": 31}),
        )
        .await;
    assert_eq!(
        too_long.body["details"]["field"], "extension_days",
        "{too_long:?}"
    );
    act(
        &app,
        "handler_a",
        id,
        json!({"action": "extend", "reason": "需调查核实", "extension_days": 30}),
    )
    .await;
    let twice = app
        .post(
            &format!("/api/v1/cases/{id}/transitions"),
            &h,
            json!({"action": "extend", "reason": "再延", "extension_days": 5}),
        )
        .await;
    assert_eq!(
        (twice.status, twice.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("limit_reached")),
        "{twice:?}"
    );
    act(
        &app,
        "handler_a",
        id,
        json!({"action": "reply", "note": "经核查，评定符合规定"}),
    )
    .await;
    act(
        &app,
        "intake_a",
        id,
        json!({"action": "request_review", "reason": "不服处理意见"}),
    )
    .await;
    act(
        &app,
        "leader_a",
        id,
        json!({"action": "decide_review", "note": "维持原意见"}),
    )
    .await;
    act(
        &app,
        "intake_a",
        id,
        json!({"action": "request_recheck", "reason": "不服复查意见"}),
    )
    .await;
    // 听证 is not counted: the clock stops for the hearing and resumes with what was left.
    app.clock.advance_minutes(5 * 24 * 60);
    let due = act(
        &app,
        "leader_a",
        id,
        json!({"action": "start_hearing", "note": "组织听证"}),
    )
    .await;
    assert!(due["due_at"].is_null());
    let h = app.login("leader_a").await;
    let twice = app
        .post(
            &format!("/api/v1/cases/{id}/transitions"),
            &h,
            json!({"action": "start_hearing", "note": "再次"}),
        )
        .await;
    assert_eq!(twice.body["code"], "already_paused");
    app.clock.advance_minutes(10 * 24 * 60);
    let resumed = act(&app, "leader_a", id, json!({"action": "end_hearing"})).await;
    // 30 日 from the request, less the 5 days used before the hearing: about 25 days from now.
    let now = app.clock.now_ms();
    let due_at = time::OffsetDateTime::parse(
        resumed["due_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left_days = (due_at.unix_timestamp() * 1000 - now) as f64 / 86_400_000.0;
    assert!((left_days - 25.0).abs() < 1.01, "{left_days} days left");
    let end = act(
        &app,
        "leader_a",
        id,
        json!({"action": "decide_recheck", "note": "维持"}),
    )
    .await;
    assert_eq!(
        (end["state"].as_str(), end["terminal"].as_bool()),
        (Some("rechecked"), Some(true))
    );
    let intake = app.login("intake_a").await;
    let again = app
        .post(
            &format!("/api/v1/cases/{id}/transitions"),
            &intake,
            json!({"action": "request_recheck", "reason": "再次"}),
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "after 复核 the matter is not accepted again"
    );
    assert_eq!(again.body["details"]["allowed"], json!([]));
}

#[tokio::test]
async fn dispute_and_device_alert_paths() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    let mediator = user_id(&app, "mediator_a").await;
    let d = new_case(
        &app,
        &grid,
        case_body("dispute", "dispute.homestead", "两户宅基地界址纠纷"),
    )
    .await;
    let id = d["id"].as_i64().unwrap();
    act(
        &app,
        "grid_a",
        id,
        json!({"action": "assign", "assignee": mediator}),
    )
    .await;
    act(
        &app,
        "mediator_a",
        id,
        json!({"action": "succeed", "resolution": "双方确认界址，签订协议"}),
    )
    .await;
    let done = act(
        &app,
        "mediator_a",
        id,
        json!({"action": "follow_up", "satisfaction": "satisfied"}),
    )
    .await;
    assert_eq!(done["state"], "closed");

    let intake = app.login("intake_a").await;
    let mut alert = case_body(
        "device_alert",
        "safety.gathering",
        "摄像头告警：村部广场异常聚集",
    );
    alert["source"] = json!("device_alert");
    let a = new_case(&app, &intake, alert).await;
    let dismissed = act(
        &app,
        "intake_a",
        a["id"].as_i64().unwrap(),
        json!({"action": "dismiss", "reason": "为广场舞活动，误报"}),
    )
    .await;
    assert_eq!(
        (dismissed["state"].as_str(), dismissed["terminal"].as_bool()),
        (Some("dismissed"), Some(true))
    );
}

#[tokio::test]
async fn cases_escalate_by_themselves_when_a_level_runs_out_of_time() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    let c = new_case(
        &app,
        &grid,
        case_body("general", "environment.river_garbage", "河道垃圾堆积"),
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    // Village limit: 3 working days after Monday → the end of Thursday.
    app.clock.advance_minutes((3 * 24 + 13) * 60);
    assert_eq!(sweep(&app).await, 0, "not yet");
    app.clock.advance_minutes(2 * 60);
    assert_eq!(sweep(&app).await, 1);
    let grid = app.login("grid_a").await;
    let r = app.get(&format!("/api/v1/cases/{id}"), &grid).await.body;
    assert_eq!(r["handling_region"], TOWNSHIP);
    let last = r["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["action"].as_str(), last["actor"].as_str()),
        (Some("auto_escalate"), Some("system"))
    );
    // Township limit: 7 working days more, then the county; no further.
    app.clock.advance_minutes(12 * 24 * 60);
    assert_eq!(sweep(&app).await, 1);
    let grid = app.login("grid_a").await;
    assert_eq!(
        app.get(&format!("/api/v1/cases/{id}"), &grid).await.body["handling_region"],
        COUNTY
    );
    app.clock.advance_minutes(30 * 24 * 60);
    assert_eq!(sweep(&app).await, 0);
    let grid = app.login("grid_a").await;
    // By hand: 上报 with a reason; at the county it is refused.
    let c2 = new_case(
        &app,
        &grid,
        case_body("general", "safety.fire", "仓库堆放易燃物"),
    )
    .await;
    let up = act(
        &app,
        "grid_a",
        c2["id"].as_i64().unwrap(),
        json!({"action": "escalate", "reason": "涉及多个部门"}),
    )
    .await;
    assert_eq!(up["handling_region"], TOWNSHIP);
    // The red card shows on the overdue case, and 督办 records it.
    let overdue = app.get(&format!("/api/v1/cases/{id}"), &grid).await.body;
    assert_eq!(overdue["card"], "red");
    let s = act(
        &app,
        "dispatcher_a",
        id,
        json!({"action": "supervise", "note": "请今日内处置"}),
    )
    .await;
    assert_eq!(s["supervise_level"], "red");
    let grid_only = app.get("/api/v1/system/sweep", &grid).await;
    assert_eq!(grid_only.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        app.post("/api/v1/system/sweep", &grid, json!({}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_retried_intake_never_makes_a_second_case() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    let send = |key: &'static str, token: String| {
        let body = case_body("general", "facilities.street_light", "路灯不亮").to_string();
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/cases")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", key)
            .body(Body::from(body))
            .unwrap()
    };
    let first = app.request(send("phone-7f3a-0001", grid.clone())).await;
    let again = app.request(send("phone-7f3a-0001", grid.clone())).await;
    assert_eq!(
        (first.status, again.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert_eq!(first.body["id"], again.body["id"]);
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    let other = app.request(send("phone-7f3a-0002", grid.clone())).await;
    assert_ne!(other.body["id"], first.body["id"]);
    // Concurrent retries with one key: still one case.
    let mut handles = Vec::new();
    for _ in 0..6 {
        let router = app.router.clone();
        let req = send("phone-7f3a-0003", grid.clone());
        handles.push(tokio::spawn(async move {
            tower::ServiceExt::oneshot(router, req)
                .await
                .unwrap()
                .status()
        }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap(), StatusCode::CREATED);
    }
    let list = app
        .get("/api/v1/cases?q=路灯不亮&per_page=100", &grid)
        .await
        .body;
    assert_eq!(list["total"], 3, "{list}");
}

#[tokio::test]
async fn refusals_name_the_field_and_list_the_allowed_actions() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    for (body, field, reason) in [
        (json!({"type": "nope"}), "type", "unknown_type"),
        (
            json!({"category": "facilities"}),
            "category",
            "unknown_category",
        ),
        (json!({"source": "wechat"}), "source", "unknown_source"),
        (json!({"title": ""}), "title", "length"),
        (json!({"lat": 95.0, "lng": 113.9}), "lat", "out_of_range"),
        (
            json!({"parties": [{"role": "applicant", "name": "x", "id_number": "123"}]}),
            "parties[0].id_number",
            "id_number_length",
        ),
    ] {
        let mut b = case_body("general", "facilities.road", "道路破损");
        for (k, v) in body.as_object().unwrap() {
            b[k] = v.clone();
        }
        let r = app.post("/api/v1/cases", &grid, b).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {r:?}");
        assert_eq!(
            (
                r.body["details"]["field"].as_str(),
                r.body["details"]["reason"].as_str()
            ),
            (Some(field), Some(reason)),
            "{r:?}"
        );
    }
    let c = new_case(
        &app,
        &grid,
        case_body("general", "facilities.road", "道路破损"),
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    let path = format!("/api/v1/cases/{id}/transitions");
    let r = app.post(&path, &grid, json!({"action": "verify"})).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("action_not_allowed_now")),
        "{r:?}"
    );
    assert_eq!(
        r.body["details"]["allowed"],
        json!(["register", "escalate"])
    );
    let r = app.post(&path, &grid, json!({"action": "fly"})).await;
    assert_eq!(r.body["code"], "unknown_action", "{r:?}");
    let r = app.post(&path, &grid, json!({"action": "escalate"})).await;
    assert_eq!(
        (r.status, r.body["details"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let leader = app.login("leader_a").await;
    let r = app
        .post(&path, &leader, json!({"action": "register"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r:?}");
    // Version check: a stale version is refused, not silently applied.
    let r = app
        .post(&path, &grid, json!({"action": "register", "version": 99}))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("version_conflict"))
    );
    let r = app
        .post(
            &path,
            &grid,
            json!({"action": "register", "version": c["version"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Dispatch to someone outside the case's region.
    let b = user_id(&app, "grid_b").await;
    let intake = app.login("intake_a").await;
    let r = app
        .post(&path, &intake, json!({"action": "dispatch", "assignee": b}))
        .await;
    assert_eq!(r.body["details"]["field"], "assignee", "{r:?}");
}

#[tokio::test]
async fn duplicates_are_flagged_and_merged_cases_close_together() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    let mut a = case_body(
        "general",
        "environment.river_garbage",
        "沤江河道大量垃圾漂浮",
    );
    a["lat"] = json!(25.9800);
    a["lng"] = json!(113.9400);
    let first = new_case(&app, &grid, a.clone()).await;
    app.clock.advance_minutes(60);
    let grid = app.login("grid_a").await;
    a["title"] = json!("沤江河道垃圾漂浮发臭");
    a["lat"] = json!(25.9805);
    let second = new_case(&app, &grid, a).await;
    assert_eq!(second["possible_duplicate_of"], first["id"]);
    let (p, c) = (
        first["id"].as_i64().unwrap(),
        second["id"].as_i64().unwrap(),
    );
    let dups = app
        .get(&format!("/api/v1/cases/{c}/duplicates"), &grid)
        .await
        .body;
    assert_eq!(dups[0]["case"]["id"], p, "{dups}");
    let intake = app.login("intake_a").await;
    assert_eq!(
        app.post(
            &format!("/api/v1/cases/{c}/merge"),
            &grid,
            json!({"into": p})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let merged = app
        .post(
            &format!("/api/v1/cases/{c}/merge"),
            &intake,
            json!({"into": p}),
        )
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{merged:?}");
    assert_eq!(merged.body["merged_cases"], json!([c]));
    let r = app
        .post(
            &format!("/api/v1/cases/{c}/transitions"),
            &grid,
            json!({"action": "register"}),
        )
        .await;
    assert_eq!(r.body["code"], "case_merged");
    let handler = user_id(&app, "handler_a").await;
    act(&app, "intake_a", p, json!({"action": "register"})).await;
    act(
        &app,
        "intake_a",
        p,
        json!({"action": "dispatch", "assignee": handler}),
    )
    .await;
    act(&app, "handler_a", p, json!({"action": "accept"})).await;
    act(
        &app,
        "handler_a",
        p,
        json!({"action": "report_back", "note": "已清理"}),
    )
    .await;
    act(&app, "grid_a", p, json!({"action": "verify"})).await;
    let child = app.get(&format!("/api/v1/cases/{c}"), &grid).await.body;
    assert_eq!(
        (child["state"].as_str(), child["terminal"].as_bool()),
        (Some("closed"), Some(true)),
        "{child}"
    );
    let steps: Vec<_> = child["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["create", "merge_into", "close_with_primary"]);
}

#[tokio::test]
async fn search_filters_and_chinese_full_text() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    for t in ["东华路路灯不亮", "沤江河道垃圾", "村道塌方阻断交通"] {
        new_case(&app, &grid, case_body("general", "facilities.road", t)).await;
    }
    let grid_b = app.login("grid_b").await;
    let mut b = case_body("general", "facilities.road", "金洞村路灯不亮");
    b["region_code"] = json!(GRID_B);
    new_case(&app, &grid_b, b).await;
    let q = |s: &str| format!("/api/v1/cases?q={}", urlencode(s));
    assert_eq!(
        app.get(&q("路灯不亮"), &grid).await.body["total"],
        1,
        "scope hides village B"
    );
    assert_eq!(
        app.get(&q("河道"), &grid).await.body["total"],
        1,
        "two-character query"
    );
    assert_eq!(app.get(&q("塌方阻断"), &grid).await.body["total"], 1);
    assert_eq!(app.get(&q("不存在的事"), &grid).await.body["total"], 0);
    let r = app
        .get(
            "/api/v1/cases?state=collected&source=grid_report&type=general&category=facilities",
            &grid,
        )
        .await;
    assert_eq!(r.body["total"], 3, "{r:?}");
    assert_eq!(
        app.get("/api/v1/cases?overdue=true", &grid).await.body["total"],
        0
    );
    app.clock.advance_minutes(24 * 60);
    let grid = app.login("grid_a").await;
    assert_eq!(
        app.get("/api/v1/cases?overdue=true", &grid).await.body["total"],
        3
    );
    assert_eq!(
        app.get("/api/v1/cases?from=2026-03-02&to=2026-03-02", &grid)
            .await
            .body["total"],
        3
    );
    assert_eq!(
        app.get("/api/v1/cases?from=2026-03-03", &grid).await.body["total"],
        0
    );
    assert_eq!(
        app.get(&format!("/api/v1/cases?region={VILLAGE_B}"), &grid)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = app.get("/api/v1/cases?from=March", &grid).await;
    assert_eq!(r.body["details"]["field"], "from");
    let page = app.get("/api/v1/cases?per_page=2&page=2", &grid).await.body;
    assert_eq!(
        (
            page["items"].as_array().unwrap().len(),
            page["total"].as_i64()
        ),
        (1, Some(3))
    );
}

/// Logs in afresh (the clock may have moved past the idle timeout) and runs the sweep.
async fn sweep(app: &TestApp) -> i64 {
    let admin = app.login("county_admin").await;
    let r = app.post("/api/v1/system/sweep", &admin, json!({})).await;
    r.body["escalated"]
        .as_i64()
        .unwrap_or_else(|| panic!("{r:?}"))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn the_three_rates_for_a_region_and_month() {
    let app = TestApp::new().await;
    let intake = app.login("intake_a").await;
    let handler = user_id(&app, "handler_a").await;
    let mut ids = Vec::new();
    for (i, sat) in ["satisfied", "basic_satisfied", "unsatisfied"]
        .iter()
        .enumerate()
    {
        let mut b = case_body(
            "hotline_12345",
            "livelihood.health",
            &format!("诊所收费问题{i}"),
        );
        b["source"] = json!("hotline_12345");
        let id = new_case(&app, &intake, b).await["id"].as_i64().unwrap();
        act(
            &app,
            "dispatcher_a",
            id,
            json!({"action": "dispatch", "assignee": handler}),
        )
        .await;
        if i == 2 {
            app.clock.advance_minutes(20); // past the 2 working hours to sign: not a timely response
            app.clock.advance_minutes(24 * 60);
        }
        act(&app, "handler_a", id, json!({"action": "sign"})).await;
        act(
            &app,
            "handler_a",
            id,
            json!({"action": "reply", "note": "已答复"}),
        )
        .await;
        act(
            &app,
            "intake_a",
            id,
            json!({"action": "follow_up", "satisfaction": sat}),
        )
        .await;
        ids.push(id);
    }
    let leader = app.login("leader_a").await;
    let r = app
        .get(
            &format!("/api/v1/stats/rates?region={VILLAGE_A}&month=2026-03"),
            &leader,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let rates = &r.body["rates"];
    assert_eq!(
        (
            rates["response_rate"]["numerator"].as_f64(),
            rates["response_rate"]["denominator"].as_i64()
        ),
        (Some(2.0), Some(3))
    );
    assert_eq!(
        (
            rates["resolution_rate"]["numerator"].as_f64(),
            rates["resolution_rate"]["denominator"].as_i64()
        ),
        (Some(2.0), Some(3))
    );
    assert!(
        (rates["satisfaction_rate"]["value"].as_f64().unwrap() - 1.8 / 3.0).abs() < 1e-9,
        "{rates}"
    );
    // The same figures for the whole county, as its administrator sees them; none in April.
    let admin = app.login("county_admin").await;
    let county = app
        .get(
            &format!("/api/v1/stats/rates?region={COUNTY}&month=2026-03"),
            &admin,
        )
        .await
        .body;
    assert_eq!(county["counters"]["rated"], 3);
    let april = app
        .get(
            &format!("/api/v1/stats/rates?region={COUNTY}&month=2026-04"),
            &admin,
        )
        .await
        .body;
    assert!(april["rates"]["response_rate"]["value"].is_null());
    let counts = app
        .get(
            &format!("/api/v1/stats/cases?region={TOWNSHIP}&from=2026-01&to=2026-12"),
            &admin,
        )
        .await
        .body;
    assert_eq!(counts["created"], 3);
    assert_eq!(counts["by_source"][0]["key"], "hotline_12345");
    assert_eq!(counts["by_state"][0]["state"], "followed_up");
    // Out of scope → 404; bad month → the field.
    assert_eq!(
        app.get(
            &format!("/api/v1/stats/rates?region={COUNTY}&month=2026-03"),
            &leader
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let bad = app
        .get(
            &format!("/api/v1/stats/rates?region={VILLAGE_A}&month=2026-13"),
            &leader,
        )
        .await;
    assert_eq!(bad.body["details"]["field"], "month");
}

#[tokio::test]
async fn attachments_are_checked_stored_and_scoped() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    let c = new_case(
        &app,
        &grid,
        case_body("general", "facilities.manhole", "井盖缺失"),
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    let upload = |ct: &str, bytes: Vec<u8>, token: &str| {
        Request::builder()
            .method(Method::POST)
            .uri(format!(
                "/api/v1/cases/{id}/attachments?filename={}",
                urlencode("现场.png")
            ))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(bytes))
            .unwrap()
    };
    let png = [b"\x89PNG\r\n\x1a\n".to_vec(), vec![0u8; 2_000_000]].concat();
    let r = app.request(upload("image/png", png.clone(), &grid)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let url = r.body["url"].as_str().unwrap().to_string();
    let got = app
        .request(
            Request::builder()
                .uri(&url)
                .header(header::AUTHORIZATION, format!("Bearer {grid}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(got.status, StatusCode::OK);
    let r = app
        .request(upload("image/png", b"GIF89a....".to_vec(), &grid))
        .await;
    assert_eq!(r.body["details"]["reason"], "content_mismatch");
    let r = app
        .request(upload("text/html", b"<script>".to_vec(), &grid))
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let other = app.login("grid_b").await;
    let denied = app
        .request(
            Request::builder()
                .uri(&url)
                .header(header::AUTHORIZATION, format!("Bearer {other}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(denied.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/api/v1/cases/{id}"), &grid).await.body["attachments"][0]["size"],
        png.len()
    );
}

#[tokio::test]
async fn catalogue_endpoints_list_what_cases_take() {
    let app = TestApp::new().await;
    let t = app.login("grid_a").await;
    let types = app.get("/api/v1/case-types", &t).await.body;
    let ids: Vec<_> = types
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "general",
            "hotline_12345",
            "petition",
            "dispute",
            "device_alert"
        ]
    );
    assert!(types[0]["states"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "任务派遣"));
    let cats = app.get("/api/v1/categories", &t).await.body;
    assert!(cats.as_array().unwrap().iter().any(|c| c["children"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["id"] == "facilities.hydrant")));
    let sources = app.get("/api/v1/sources", &t).await.body;
    assert_eq!(sources.as_array().unwrap().len(), 8);
}

#[tokio::test]
async fn webhooks_reach_wecom_and_dingtalk_robots_after_commit() {
    use std::sync::{Arc, Mutex};
    use wangge_server::cases::config::{Webhook, WebhookFormat};
    // A local stand-in for the two robots that records what it receives.
    let got: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let seen = got.clone();
    let robot = axum::Router::new().route(
        "/{which}",
        axum::routing::post(
            move |axum::extract::Path(which): axum::extract::Path<String>,
                  axum::Json(v): axum::Json<Value>| {
                let seen = seen.clone();
                async move {
                    seen.lock().unwrap().push((which, v));
                    axum::Json(json!({"errcode": 0}))
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, robot).await.unwrap() });
    let app = TestApp::with_cases(|c| {
        c.webhooks = vec![
            Webhook {
                url: format!("http://{addr}/wecom"),
                format: WebhookFormat::Wecom,
            },
            Webhook {
                url: format!("http://{addr}/dingtalk"),
                format: WebhookFormat::Dingtalk,
            },
        ];
    })
    .await;
    let grid = app.login("grid_a").await;
    let id = new_case(
        &app,
        &grid,
        case_body("general", "safety.fire", "加油站旁违规堆放柴草"),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    act(
        &app,
        "dispatcher_a",
        id,
        json!({"action": "supervise", "note": "请立即清理"}),
    )
    .await;
    assert!(
        got.lock().unwrap().is_empty(),
        "nothing is sent before delivery runs"
    );
    let sent = wangge_server::cases::deliver::deliver_pending(&app.state)
        .await
        .unwrap();
    assert_eq!(sent, 2);
    let got = got.lock().unwrap().clone();
    let wecom = got.iter().find(|(w, _)| w == "wecom").unwrap();
    assert_eq!(wecom.1["msgtype"], "markdown");
    assert!(wecom.1["markdown"]["content"]
        .as_str()
        .unwrap()
        .contains("加油站旁违规堆放柴草"));
    let ding = got.iter().find(|(w, _)| w == "dingtalk").unwrap();
    assert_eq!(ding.1["markdown"]["title"], "督办");
    // Delivered rows are not sent again.
    assert_eq!(
        wangge_server::cases::deliver::deliver_pending(&app.state)
            .await
            .unwrap(),
        0
    );
}

/// Many intakes at once share transactions (group commit); a refused one in the middle
/// takes nothing else down, twins with one key make one case, the numbers stay unique,
/// and the audit chain stays whole.
#[tokio::test]
async fn concurrent_intakes_commit_together_and_a_refused_one_spoils_nothing() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    let audit_before = app.audit_count().await;
    let request = |title: String, region: &str, key: Option<&str>| {
        let mut body = case_body("general", "facilities.street_light", &title);
        body["region_code"] = json!(region);
        let mut b = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/cases")
            .header(header::AUTHORIZATION, format!("Bearer {grid}"))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(k) = key {
            b = b.header("Idempotency-Key", k);
        }
        b.body(Body::from(body.to_string())).unwrap()
    };
    let unknown_grid = format!("{VILLAGE_A}099");
    let mut reqs = Vec::new();
    for i in 0..30 {
        reqs.push((format!("批量路灯{i:02}"), GRID_A.to_string(), None));
    }
    for i in 0..2 {
        reqs.insert(
            10 + i * 10,
            (format!("不存在的网格{i}"), unknown_grid.clone(), None),
        );
    }
    for _ in 0..3 {
        reqs.push(("同一键".to_string(), GRID_A.to_string(), Some("twin-key")));
    }
    let mut handles = Vec::new();
    for (title, region, key) in reqs {
        let router = app.router.clone();
        let req = request(title.clone(), &region, key);
        handles.push(tokio::spawn(async move {
            let resp = tower::ServiceExt::oneshot(router, req).await.unwrap();
            let status = resp.status();
            let bytes = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .unwrap()
                .to_bytes();
            let body: Value = serde_json::from_slice(&bytes).unwrap();
            (title, status, body)
        }));
    }
    let mut twin_ids = std::collections::BTreeSet::new();
    let mut numbers = std::collections::BTreeSet::new();
    for h in handles {
        let (title, status, body) = h.await.unwrap();
        if title.starts_with("不存在") {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(body["details"]["field"], "region_code");
            assert_eq!(body["code"], "validation_failed", "{body}");
            continue;
        }
        assert_eq!(status, StatusCode::CREATED, "{title}: {body}");
        assert_eq!(body["title"], title.as_str());
        if title == "同一键" {
            twin_ids.insert(body["id"].as_i64().unwrap());
        }
        numbers.insert(body["number"].as_str().unwrap().to_string());
    }
    assert_eq!(twin_ids.len(), 1, "one key, one case");
    assert_eq!(
        numbers.len(),
        31,
        "30 cases and the twins' one, each numbered once"
    );
    let mut conn = app.state.store.read().await.unwrap();
    let (cases,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cases")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let (events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM case_events")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let (created,): (i64,) =
        sqlx::query_as("SELECT CAST(COALESCE(SUM(created), 0) AS BIGINT) FROM case_rollups")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!((cases, events, created), (31, 31, 31));
    assert_eq!(app.audit_count().await - audit_before, 31);
    let verdict = wangge_store::audit::verify(&mut conn, app.state.cipher.audit_key())
        .await
        .unwrap();
    assert!(
        matches!(verdict, wangge_store::audit::Verdict::Intact { .. }),
        "{verdict:?}"
    );
}

/// Intakes (group commit) and single-case transitions at once, from one process: on
/// PostgreSQL both take the rollup rows and the audit head, in one order (ADR 0013), so
/// none of them deadlocks, and every count holds.
#[tokio::test]
async fn intakes_and_transitions_at_once_all_commit() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    let intake = app.login("intake_a").await;
    let mut open = Vec::new();
    for i in 0..12 {
        let c = new_case(
            &app,
            &grid,
            case_body(
                "general",
                "facilities.street_light",
                &format!("先报路灯{i:02}"),
            ),
        )
        .await;
        open.push(c["id"].as_i64().unwrap());
    }
    let call = |uri: String, token: &str, body: Value, key: Option<String>| {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(k) = key {
            b = b.header("Idempotency-Key", k);
        }
        b.body(Body::from(body.to_string())).unwrap()
    };
    let mut reqs = Vec::new();
    for i in 0..36 {
        reqs.push(call(
            "/api/v1/cases".into(),
            &grid,
            case_body("general", "environment.garbage", &format!("并发垃圾{i:02}")),
            Some(format!("mix-{i}")),
        ));
        if let Some(id) = open.get(i / 3).filter(|_| i % 3 == 0) {
            reqs.push(call(
                format!("/api/v1/cases/{id}/transitions"),
                &intake,
                json!({"action": "register"}),
                None,
            ));
        }
    }
    let mut handles = Vec::new();
    for req in reqs {
        let router = app.router.clone();
        handles.push(tokio::spawn(async move {
            let resp = tower::ServiceExt::oneshot(router, req).await.unwrap();
            let status = resp.status();
            let bytes = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .unwrap()
                .to_bytes();
            (status, String::from_utf8_lossy(&bytes).to_string())
        }));
    }
    for h in handles {
        let (status, body) = h.await.unwrap();
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{status} {body}"
        );
    }
    let mut conn = app.state.store.read().await.unwrap();
    let one = |sql: &'static str| sqlx::query_as::<_, (i64,)>(sql);
    let (cases,) = one("SELECT COUNT(*) FROM cases")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let (states,) = one("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM case_state_counts")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let (province,) = one(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM case_node_states WHERE level = 'province'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    let (open_due,) = one(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM case_node_due_days WHERE level = 'province'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    let (open_cases,) =
        one("SELECT COUNT(*) FROM cases WHERE terminal = 0 AND state_due_at IS NOT NULL")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!((cases, states, province), (48, 48, 48));
    assert_eq!(open_due, open_cases);
    let verdict = wangge_store::audit::verify(&mut conn, app.state.cipher.audit_key())
        .await
        .unwrap();
    assert!(
        matches!(verdict, wangge_store::audit::Verdict::Intact { .. }),
        "{verdict:?}"
    );
}
