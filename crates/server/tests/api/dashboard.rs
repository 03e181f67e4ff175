//! The leaders' dashboard, map and 成绩单 against a hand-built fixture: cases raised,
//! closed, cancelled and left to run past their deadline in two villages and at the
//! township itself; disputes resolved and failed; grids, posts and households; patrols.
//! Every figure is counted by hand below, the rates are checked against the rates
//! endpoint, the Excel export is read back and compared with the JSON, and the scope
//! rules hold (a village's leader sees neither its sibling nor its township).

use std::io::Cursor;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use calamine::{Data, Reader, Xlsx};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use wangge_store::households;
use wangge_store::users::{self, NewUser};

use crate::cases::{act, case_body, new_case};
use crate::helpers::*;

const GRID_A2: &str = "431027100001002";

async fn user_id(app: &TestApp, username: &str) -> i64 {
    let t = app.login(username).await;
    app.get("/api/v1/auth/me", &t).await.body["id"]
        .as_i64()
        .unwrap()
}

/// County-wide users the shared fixture does not have.
async fn county_users(app: &TestApp) {
    let hash = wangge_crypto::password::hash(PASSWORD);
    let mut tx = app.state.store.begin().await.unwrap();
    for (username, role, region) in [
        ("leader_c", "leader", COUNTY),
        ("intake_c", "intake_operator", COUNTY),
        ("leader_p", "leader", "430000000000"),
    ] {
        let scope = vec![region.to_string()];
        users::create(
            &mut tx,
            &NewUser {
                username,
                display_name: username,
                role,
                password_hash: &hash,
                must_change_password: false,
                regions: &scope,
            },
            START_MS,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

fn square(lng: f64, lat: f64, size: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]]})
}

struct Fixture {
    /// Open cases raised in grid A, in id order.
    open_a: Vec<i64>,
    open_b: i64,
    open_township: i64,
}

/// Cases at 2026-03-02 10:00 (then the clock moves to 13:00, past the 2-hour limit of
/// 信息收集):
/// - village A: a1 walked to 综合评价 (closed), a2 and a3 left in 信息收集 (overdue),
///   a4 不予立案 (terminal, not closed); dispute d1 resolved and followed up (closed),
///   dispute d2 failed and referred (closed);
/// - village B: b1 left in 信息收集 (overdue);
/// - the township itself: t1 left in 信息收集 (overdue).
///
/// So for the township: 8 raised, 3 closed, 4 open, 4 overdue; 2 disputes, 1 resolved.
async fn fixture(app: &TestApp) -> Fixture {
    county_users(app).await;
    let grid = app.login("grid_a").await;
    let handler = user_id(app, "handler_a").await;
    let mediator = user_id(app, "mediator_a").await;

    let a1 = new_case(
        app,
        &grid,
        case_body("general", "facilities.hydrant", "东华路消防栓压力不足"),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    act(app, "intake_a", a1, json!({"action": "register"})).await;
    act(
        app,
        "dispatcher_a",
        a1,
        json!({"action": "dispatch", "assignee": handler}),
    )
    .await;
    act(app, "handler_a", a1, json!({"action": "accept"})).await;
    act(
        app,
        "handler_a",
        a1,
        json!({"action": "report_back", "note": "已更换减压阀"}),
    )
    .await;
    act(app, "grid_a", a1, json!({"action": "verify"})).await;
    act(
        app,
        "leader_a",
        a1,
        json!({"action": "evaluate", "note": "处置及时"}),
    )
    .await;

    let mut open_a = Vec::new();
    for title in ["东华路垃圾堆积", "菜市场门口垃圾未清运"] {
        let id = new_case(
            app,
            &grid,
            case_body("general", "environment.garbage", title),
        )
        .await["id"]
            .as_i64()
            .unwrap();
        open_a.push(id);
    }
    let a4 = new_case(
        app,
        &grid,
        case_body("general", "environment.garbage", "重复上报的垃圾"),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    act(
        app,
        "intake_a",
        a4,
        json!({"action": "cancel", "reason": "与已受理事件重复"}),
    )
    .await;

    for (title, success) in [("邻里排水沟争执", true), ("宅基地边界争执", false)] {
        let mut b = case_body("dispute", "dispute.neighbor", title);
        b["type"] = json!("dispute");
        let id = new_case(app, &grid, b).await["id"].as_i64().unwrap();
        act(
            app,
            "grid_a",
            id,
            json!({"action": "assign", "assignee": mediator}),
        )
        .await;
        if success {
            act(
                app,
                "mediator_a",
                id,
                json!({"action": "succeed", "resolution": "双方握手言和"}),
            )
            .await;
            act(
                app,
                "mediator_a",
                id,
                json!({"action": "follow_up", "satisfaction": "satisfied"}),
            )
            .await;
        } else {
            act(
                app,
                "mediator_a",
                id,
                json!({"action": "fail", "reason": "双方分歧较大"}),
            )
            .await;
            act(
                app,
                "mediator_a",
                id,
                json!({"action": "refer", "note": "引导诉讼"}),
            )
            .await;
        }
    }

    let grid_b = app.login("grid_b").await;
    let mut b = case_body("general", "facilities.street_light", "金洞村路灯不亮");
    b["region_code"] = json!(GRID_B);
    let open_b = new_case(app, &grid_b, b).await["id"].as_i64().unwrap();

    let intake_c = app.login("intake_c").await;
    let mut t = case_body("general", "facilities.road", "镇区主街道路破损");
    t["region_code"] = json!(TOWNSHIP);
    t["source"] = json!("walk_in");
    let open_township = new_case(app, &intake_c, t).await["id"].as_i64().unwrap();

    app.clock.advance_minutes(180);
    Fixture {
        open_a,
        open_b,
        open_township,
    }
}

/// Every row of the trigger-kept tables, in key order, as text.
async fn derived_snapshot(app: &TestApp) -> Vec<String> {
    let mut conn = app.state.store.read().await.unwrap();
    let mut out = Vec::new();
    const C: &str = "created, dispatched, responded_on_time, closed, closed_on_time, \
                     handling_ms, rated, satisfied, basic_satisfied, unsatisfied, solved";
    for (table, key, rest, filter) in [
        ("case_rollups_monthly", "region_code, month", C, ""),
        (
            "case_category_months",
            "node, month, category",
            "created",
            "",
        ),
        ("case_node_months", "level, node, month", C, ""),
        // Emptied state rows stay until the rebuild drops them: compare the others.
        (
            "case_node_states",
            "level, node, type, state",
            "n",
            "WHERE n <> 0",
        ),
        ("case_node_due_days", "level, node, day", "n", ""),
        (
            "dispute_months",
            "region_code, month",
            "screened, resolved, failed, civil_to_criminal, criminal_to_homicide",
            "",
        ),
    ] {
        let text = format!("{key}, {rest}")
            .split(", ")
            .map(|c| format!("CAST({c} AS TEXT)"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let rows: Vec<(String,)> = sqlx::query_as(&format!(
            "SELECT {text} FROM {table} {filter} ORDER BY {key}"
        ))
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        out.push(format!("{table}: {rows:?}"));
    }
    out
}

fn num(v: &Value, path: &[&str]) -> i64 {
    let mut x = v;
    for p in path {
        x = &x[*p];
    }
    x.as_i64()
        .unwrap_or_else(|| panic!("{} missing in {v}", path.join(".")))
}

#[tokio::test]
async fn dashboard_figures_match_the_hand_counted_fixture() {
    let app = TestApp::new().await;
    let f = fixture(&app).await;
    let leader = app.login("leader_c").await;
    let r = app
        .get(&format!("/api/v1/dashboard?region={TOWNSHIP}"), &leader)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let d = r.body;
    assert_eq!(d["region"]["name"], "沤江镇");
    let path: Vec<&str> = d["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        path,
        [COUNTY, TOWNSHIP],
        "the breadcrumb stops at the scope"
    );

    assert_eq!(
        (
            num(&d, &["this_month", "created"]),
            num(&d, &["this_month", "closed"]),
            num(&d, &["this_year", "created"]),
            num(&d, &["this_year", "closed"]),
        ),
        (8, 3, 8, 3),
        "{d}"
    );
    assert_eq!(d["this_year"]["from"], "2026-01");
    assert_eq!((num(&d, &["open"]), num(&d, &["overdue"])), (4, 4));
    assert_eq!(
        (
            d["closure_rate"]["numerator"].as_f64(),
            d["closure_rate"]["denominator"].as_i64()
        ),
        (Some(3.0), Some(8))
    );

    // The trend: twelve months ending this one, oldest first.
    let trend = d["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 12);
    assert_eq!(trend[0]["month"], "2025-04");
    assert_eq!(
        trend[11],
        json!({"month": "2026-03", "created": 8, "closed": 3})
    );
    assert!(trend[..11].iter().all(|m| m["created"] == 0));

    // The three rates are exactly what the rates endpoint says for the same months.
    let rates = app
        .get(
            &format!("/api/v1/stats/rates?region={TOWNSHIP}&from=2026-01&to=2026-03"),
            &leader,
        )
        .await
        .body;
    assert_eq!(d["rates"], rates["rates"]);
    assert_eq!(d["counters"], rates["counters"]);
    assert_eq!(
        d["rates"]["response_rate"]["denominator"], 3,
        "a1 dispatched, d1 and d2 assigned: {d}"
    );

    let top = &d["top_categories"];
    assert_eq!(
        (top[0]["key"].as_str(), top[0]["count"].as_i64()),
        (Some("environment.garbage"), Some(3))
    );
    let name = top[0]["name"].as_str().unwrap();
    assert!(
        name.ends_with(" · 暴露垃圾"),
        "first and second level: {name}"
    );

    // The overdue list: red cards, oldest deadline first, then by id.
    let listed: Vec<i64> = d["overdue_cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    let mut expected = f.open_a.clone();
    expected.extend([f.open_b, f.open_township]);
    assert_eq!(listed, expected);
    let first = &d["overdue_cases"][0];
    assert_eq!(first["card"], "red");
    assert_eq!(first["overdue_hours"], 1.0, "due 12:00, now 13:00: {first}");
    assert_eq!(first["region_name"], "东华社区第一网格");
    assert_eq!(first["state_name"], "信息收集");

    assert_eq!(
        (
            num(&d, &["mediation", "screened"]),
            num(&d, &["mediation", "resolved"]),
            num(&d, &["mediation", "failed"]),
        ),
        (2, 1, 1)
    );
    assert_eq!(d["mediation"]["success_rate"]["value"], 0.5);

    // Drill-down: the two villages, and what was raised at the township itself.
    assert_eq!(d["children_level"], "village");
    let kids = d["children"].as_array().unwrap();
    let pick = |code: &str| kids.iter().find(|k| k["code"] == code).unwrap().clone();
    let a = pick(VILLAGE_A);
    let b = pick(VILLAGE_B);
    let figures = |k: &Value| ["created", "closed", "open", "overdue"].map(|f| k[f].as_i64());
    assert_eq!(figures(&a), [6, 3, 2, 2].map(Some), "{a}");
    assert_eq!(figures(&b), [1, 0, 1, 1].map(Some), "{b}");
    assert_eq!(
        d["direct"],
        json!({"created": 1, "closed": 0, "open": 1, "overdue": 1})
    );

    // The county shows the township as its child with the same figures.
    let c = app
        .get(&format!("/api/v1/dashboard?region={COUNTY}"), &leader)
        .await
        .body;
    assert_eq!(c["children_level"], "township", "{c}");
    let t = c["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["code"] == TOWNSHIP)
        .unwrap()
        .clone();
    assert_eq!(
        (
            t["created"].as_i64(),
            t["closed"].as_i64(),
            t["open"].as_i64(),
            t["overdue"].as_i64()
        ),
        (Some(8), Some(3), Some(4), Some(4))
    );
    assert!(c["direct"].is_null());

    // The city and the province are statistical nodes too: the same figures, the same
    // trend and rates, the same longest-overdue list (found by walking the deadlines).
    let leader_p = app.login("leader_p").await;
    let p = app
        .get("/api/v1/dashboard?region=430000000000", &leader_p)
        .await
        .body;
    assert_eq!(p["children_level"], "city");
    let city = p["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["code"] == "431000000000")
        .unwrap()
        .clone();
    assert_eq!(figures(&city), [8, 3, 4, 4].map(Some), "{city}");
    assert_eq!(
        (
            num(&p, &["this_year", "created"]),
            num(&p, &["open"]),
            num(&p, &["overdue"])
        ),
        (8, 4, 4)
    );
    assert_eq!((&p["trend"], &p["rates"]), (&d["trend"], &d["rates"]));
    assert!(p["direct"].is_null());
    let ids = |v: &Value| -> Vec<i64> {
        v["overdue_cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(ids(&p), expected);

    // Two days on, every deadline lies on an earlier day than today: the node figures
    // now come from the deadline-day buckets, and still agree with the township's, which
    // are counted from the cases themselves.
    app.clock.advance_minutes(2 * 24 * 60);
    let (leader, leader_p) = (app.login("leader_c").await, app.login("leader_p").await);
    let t2 = app
        .get(&format!("/api/v1/dashboard?region={TOWNSHIP}"), &leader)
        .await
        .body;
    let p2 = app
        .get("/api/v1/dashboard?region=430000000000", &leader_p)
        .await
        .body;
    assert_eq!((num(&t2, &["open"]), num(&t2, &["overdue"])), (4, 4));
    assert_eq!((num(&p2, &["open"]), num(&p2, &["overdue"])), (4, 4));
    assert_eq!(p2["children"][0]["overdue"], 4);

    // A case raised at the county itself shows as the county's own (`direct`), and in
    // the province's totals, but in no township.
    let intake_c = app.login("intake_c").await;
    let own = new_case(
        &app,
        &intake_c,
        json!({"type": "general", "category": "environment.garbage", "title": "县城垃圾清运不及时",
               "description": "县城主干道垃圾清运不及时", "region_code": COUNTY, "source": "walk_in"}),
    )
    .await;
    assert!(own["id"].is_i64(), "{own}");
    let c2 = app
        .get(&format!("/api/v1/dashboard?region={COUNTY}"), &leader)
        .await
        .body;
    assert_eq!(num(&c2, &["open"]), 5);
    assert_eq!(c2["direct"]["open"], 1, "{}", c2["direct"]);
    assert_eq!(c2["direct"]["created"], 1, "{}", c2["direct"]);
    assert_eq!(num(&c2, &["this_month", "created"]), 9);
    let p3 = app
        .get("/api/v1/dashboard?region=430000000000", &leader_p)
        .await
        .body;
    assert_eq!(num(&p3, &["open"]), 5);
    assert_eq!(p3["children"][0]["open"], 5);
    assert_eq!(num(&p3, &["this_month", "created"]), 9);

    // Everything the triggers keep equals what a rebuild from the sources computes.
    let before = derived_snapshot(&app).await;
    let mut tx = app.state.store.begin().await.unwrap();
    wangge_store::derived::rebuild(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(derived_snapshot(&app).await, before);

    // A village: its grids by open and overdue cases (the rollups stop at villages).
    let leader_a = app.login("leader_a").await;
    let v = app
        .get(&format!("/api/v1/dashboard?region={VILLAGE_A}"), &leader_a)
        .await;
    assert_eq!(v.status, StatusCode::OK, "{v:?}");
    let v = v.body;
    assert_eq!(
        v["path"].as_array().unwrap().len(),
        1,
        "leader_a cannot see the township"
    );
    assert_eq!(v["children_level"], "grid");
    assert_eq!(
        v["children"][0],
        json!({"code": GRID_A, "name": "东华社区第一网格", "level": "grid",
               "created": null, "closed": null, "open": 2, "overdue": 2})
    );
    assert_eq!(
        (num(&v, &["this_month", "created"]), num(&v, &["open"])),
        (6, 2)
    );
    let listed: Vec<i64> = v["overdue_cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, f.open_a, "only village A's cases");
}

#[tokio::test]
async fn closing_a_case_moves_the_figures_by_exactly_one() {
    let app = TestApp::new().await;
    let leader = app.login("leader_a").await;
    let read = || async {
        let d = app
            .get(&format!("/api/v1/dashboard?region={VILLAGE_A}"), &leader)
            .await
            .body;
        (
            num(&d, &["this_month", "created"]),
            num(&d, &["this_month", "closed"]),
            num(&d, &["open"]),
        )
    };
    assert_eq!(read().await, (0, 0, 0));
    let grid = app.login("grid_a").await;
    let id = new_case(
        &app,
        &grid,
        case_body("general", "facilities.manhole", "井盖缺失"),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(read().await, (1, 0, 1));
    let handler = user_id(&app, "handler_a").await;
    act(&app, "intake_a", id, json!({"action": "register"})).await;
    act(
        &app,
        "dispatcher_a",
        id,
        json!({"action": "dispatch", "assignee": handler}),
    )
    .await;
    act(&app, "handler_a", id, json!({"action": "accept"})).await;
    act(
        &app,
        "handler_a",
        id,
        json!({"action": "report_back", "note": "已补装井盖"}),
    )
    .await;
    act(&app, "grid_a", id, json!({"action": "verify"})).await;
    // 核查结案 closes it; it leaves the open count once 综合评价 ends its workflow.
    assert_eq!(read().await, (1, 1, 1));
    act(
        &app,
        "leader_a",
        id,
        json!({"action": "evaluate", "note": "好"}),
    )
    .await;
    assert_eq!(read().await, (1, 1, 0));
}

#[tokio::test]
async fn coverage_and_the_scorecard_with_its_excel_export() {
    let app = TestApp::new().await;
    fixture(&app).await;
    let admin = app.login("admin_a").await;
    let block = format!("{GRID_A}01");
    let group = format!("{block}01");
    let n1 = format!("{group}01");
    let n2 = format!("{group}02");
    for (code, name) in [
        (GRID_A2, "东华社区第二网格"),
        (block.as_str(), "第一片"),
        (group.as_str(), "第一组"),
        (n1.as_str(), "第一邻"),
        (n2.as_str(), "第二邻"),
    ] {
        let r = app
            .post(
                "/api/v1/regions",
                &admin,
                json!({"code": code, "name": name}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    }
    for (code, post, employment, name) in [
        (GRID_A, "grid_worker", Some("full_time"), "王网格"),
        (GRID_A2, "grid_worker", Some("part_time"), "陈网格"),
        (&block, "block_leader", None, "李片长"),
        (&group, "group_leader", None, "张组长"),
        (&n1, "neighbor_leader", None, "赵邻长"),
    ] {
        let mut body = json!({"region_code": code, "post": post, "name": name});
        if let Some(e) = employment {
            body["employment"] = json!(e);
        }
        let r = app.post("/api/v1/posts", &admin, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    }
    // Two households at 邻1 (which has a 邻长), one at 邻2 (which has none).
    let mut tx = app.state.store.begin().await.unwrap();
    for (no, node) in [("H001", &n1), ("H002", &n1), ("H003", &n2)] {
        households::upsert(&mut tx, no, node, "东华路", START_MS)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    // Two daily patrol plans since today; one patrol done.
    let dispatcher = app.login("dispatcher_a").await;
    let template = app.get("/api/v1/patrol-templates", &dispatcher).await.body[0]["id"]
        .as_i64()
        .unwrap();
    let mut plan = 0;
    for g in [GRID_A, GRID_A2] {
        let r = app
            .post(
                "/api/v1/patrol-plans",
                &dispatcher,
                json!({"grid_code": g, "template_id": template, "every_days": 1}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
        if plan == 0 {
            plan = r.body["id"].as_i64().unwrap();
        }
    }
    let grid = app.login("grid_a").await;
    let p = app
        .post(
            "/api/v1/patrols",
            &grid,
            json!({"grid_code": GRID_A, "plan_id": plan, "template_id": template,
                   "started_at": "2026-03-02T11:00:00+08:00", "ended_at": "2026-03-02T11:40:00+08:00",
                   "track": [[113.941, 25.981, 1772420400000_i64]], "items": [{"item_id": "hydrant", "result": "normal"},
                   {"item_id": "river", "result": "normal"}, {"item_id": "neighbors", "result": "normal"}]}),
        )
        .await;
    assert_eq!(p.status, StatusCode::CREATED, "{p:?}");

    let leader = app.login("leader_c").await;
    let d = app
        .get(&format!("/api/v1/dashboard?region={TOWNSHIP}"), &leader)
        .await
        .body;
    let c = &d["coverage"];
    assert_eq!(
        [
            "grids",
            "grids_with_worker",
            "grid_workers_full_time",
            "grid_workers_part_time",
            "block_leaders",
            "group_leaders",
            "neighbor_leaders",
            "households",
            "households_covered"
        ]
        .map(|k| c[k].as_i64().unwrap()),
        [3, 2, 1, 1, 1, 1, 1, 3, 2],
        "{c}"
    );
    assert_eq!(c["household_rate"]["denominator"], 3);

    let r = app
        .get(
            &format!("/api/v1/scorecard?region={TOWNSHIP}&year=2026"),
            &leader,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let s = r.body;
    assert_eq!(
        (s["from"].as_str(), s["to"].as_str()),
        (Some("2026-01-01"), Some("2026-03-02"))
    );
    let items: Vec<Value> = s["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|sec| sec["items"].as_array().unwrap().clone())
        .collect();
    let item = |key: &str| {
        items
            .iter()
            .find(|i| i["key"] == key)
            .unwrap_or_else(|| panic!("{key} missing"))
            .clone()
    };
    let value = |key: &str| item(key)["value"].as_f64();
    for (key, expected) in [
        ("disputes.screened", 2.0),
        ("disputes.resolved", 1.0),
        ("disputes.failed", 1.0),
        ("disputes.success_rate", 0.5),
        ("grids.count", 3.0),
        ("grids.with_worker", 2.0),
        ("grid_workers.full_time", 1.0),
        ("grid_workers.part_time", 1.0),
        ("households.count", 3.0),
        ("households.covered", 2.0),
        ("patrols.planned", 2.0),
        ("patrols.done", 1.0),
        ("patrols.completion_rate", 0.5),
        ("cases.created", 8.0),
        ("cases.source.grid_report", 7.0),
        ("cases.source.walk_in", 1.0),
        ("cases.source.hotline_12345", 0.0),
        ("cases.closed", 3.0),
    ] {
        assert_eq!(value(key), Some(expected), "{key}: {}", item(key));
    }
    let sr = item("disputes.success_rate");
    assert_eq!(
        (sr["numerator"].as_f64(), sr["denominator"].as_i64()),
        (Some(1.0), Some(2))
    );
    assert!(sr["definition"].as_str().unwrap().contains("÷"));
    let resp = item("rates.response");
    assert_eq!(
        resp["denominator"],
        d["rates"]["response_rate"]["denominator"]
    );
    assert_eq!(resp["value"], d["rates"]["response_rate"]["value"]);
    assert!(items
        .iter()
        .all(|i| !i["definition"].as_str().unwrap().is_empty()));

    // The workbook holds the same numbers, row for row.
    let req = Request::builder()
        .method(Method::GET)
        .uri(format!(
            "/api/v1/scorecard.xlsx?region={TOWNSHIP}&year=2026"
        ))
        .header(header::AUTHORIZATION, format!("Bearer {leader}"))
        .body(Body::empty())
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("scorecard-431027100000-2026.xlsx"));
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("成绩单").unwrap();
    let cell = |r: u32, c: u32| sheet.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    assert_eq!(cell(0, 0), Data::String("沤江镇 2026年度成绩单".into()));
    assert_eq!(cell(3, 1), Data::String("项目".into()));
    assert_eq!(items.len() as u32 + 4, sheet.height() as u32);
    for (i, it) in items.iter().enumerate() {
        let r = 4 + i as u32;
        assert_eq!(
            cell(r, 1),
            Data::String(it["name"].as_str().unwrap().into())
        );
        match it["value"].as_f64() {
            Some(v) => assert_eq!(cell(r, 2), Data::Float(v), "{it}"),
            None => assert_eq!(cell(r, 2), Data::String("—".into()), "{it}"),
        }
        if let Some(n) = it["numerator"].as_f64() {
            assert_eq!(cell(r, 4), Data::Float(n), "{it}");
        }
        if let Some(n) = it["denominator"].as_i64() {
            assert_eq!(cell(r, 5), Data::Float(n as f64), "{it}");
        }
        assert_eq!(
            cell(r, 6),
            Data::String(it["definition"].as_str().unwrap().into())
        );
    }

    // A past year has nothing; a future one is refused.
    let old = app
        .get(
            &format!("/api/v1/scorecard?region={TOWNSHIP}&year=2025"),
            &leader,
        )
        .await
        .body;
    assert_eq!(old["to"], "2025-12-31");
    let bad = app
        .get(
            &format!("/api/v1/scorecard?region={TOWNSHIP}&year=2027"),
            &leader,
        )
        .await;
    assert_eq!(
        (bad.status, bad.body["details"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("year"))
    );
}

#[tokio::test]
async fn the_map_draws_grids_with_their_open_cases() {
    let app = TestApp::new().await;
    let f = fixture(&app).await;
    let admin = app.login("county_admin").await;
    // A detailed boundary for grid A (a square with 400 points along its edges) and a
    // plain square for grid B.
    let mut ring = Vec::new();
    for i in 0..100 {
        ring.push(json!([113.94 + 0.0001 * f64::from(i), 25.98]));
    }
    for i in 0..100 {
        ring.push(json!([113.95, 25.98 + 0.0001 * f64::from(i)]));
    }
    for i in 0..100 {
        ring.push(json!([113.95 - 0.0001 * f64::from(i), 25.99]));
    }
    for i in 0..100 {
        ring.push(json!([113.94, 25.99 - 0.0001 * f64::from(i)]));
    }
    ring.push(json!([113.94, 25.98]));
    for (code, geometry) in [
        (GRID_A, json!({"type": "Polygon", "coordinates": [ring]})),
        (GRID_B, square(113.96, 25.98, 0.01)),
    ] {
        let r = app
            .put(&format!("/api/v1/grids/{code}/boundary"), &admin, geometry)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{r:?}");
    }
    let leader = app.login("leader_c").await;
    let r = app
        .get(&format!("/api/v1/dashboard/map?region={TOWNSHIP}"), &leader)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let m = r.body;
    let grids = m["grids"].as_array().unwrap();
    assert_eq!(grids.len(), 2);
    assert_eq!(
        (
            grids[0]["code"].as_str(),
            grids[0]["open"].as_i64(),
            grids[0]["overdue"].as_i64()
        ),
        (Some(GRID_A), Some(f.open_a.len() as i64), Some(2))
    );
    assert_eq!(grids[0]["name"], "东华社区第一网格");
    assert_eq!(grids[0]["village_code"], VILLAGE_A);
    assert_eq!(
        (grids[1]["open"].as_i64(), m["max_open"].as_i64()),
        (Some(1), Some(2))
    );
    let points = grids[0]["rings"][0].as_array().unwrap().len();
    assert!(
        (5..=10).contains(&points),
        "the 401-point square is simplified to its corners: {points}"
    );
    assert_eq!(grids[0]["label"], json!([113.945, 25.985]));
    assert_eq!(m["open_not_drawn"], 1, "the township's own case");
    assert_eq!(m["bbox"], json!([113.94, 25.98, 113.97, 25.99]));
    assert!(m["tiles"].is_null(), "no tile layer unless configured");

    // A city is too large for one map.
    let province = app.login("leader_p").await;
    let big = app
        .get("/api/v1/dashboard/map?region=431000000000", &province)
        .await;
    assert_eq!(
        (big.status, big.body["details"]["reason"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("map_too_large"))
    );
    let big = app
        .get("/api/v1/dashboard/map?region=431000000000", &admin)
        .await;
    assert_eq!(
        big.status,
        StatusCode::NOT_FOUND,
        "outside the admin's county"
    );
    let county_admin_map = app
        .get(&format!("/api/v1/dashboard/map?region={COUNTY}"), &admin)
        .await;
    assert_eq!(county_admin_map.status, StatusCode::OK);
}

#[tokio::test]
async fn scope_a_village_leader_sees_only_its_village() {
    let app = TestApp::new().await;
    let leader_a = app.login("leader_a").await;
    for path in [
        "/api/v1/dashboard",
        "/api/v1/dashboard/map",
        "/api/v1/scorecard",
        "/api/v1/scorecard.xlsx",
    ] {
        for region in [VILLAGE_B, TOWNSHIP, COUNTY] {
            let r = app.get(&format!("{path}?region={region}"), &leader_a).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path} {region}: {r:?}");
            assert_eq!(r.body["code"], "not_found");
        }
        let r = app
            .get(&format!("{path}?region={VILLAGE_A}"), &leader_a)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {r:?}");
    }
    // Roles without statistics: 403 in scope, 404 outside.
    let grid_a = app.login("grid_a").await;
    let r = app
        .get(&format!("/api/v1/dashboard?region={VILLAGE_A}"), &grid_a)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r:?}");
    let r = app
        .get(&format!("/api/v1/dashboard?region={VILLAGE_B}"), &grid_a)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The dashboard stops at villages; bad codes name the field.
    for (q, reason) in [
        (format!("region={GRID_A}"), "below_village"),
        ("region=12x".to_string(), "region_code_format"),
    ] {
        let r = app.get(&format!("/api/v1/dashboard?{q}"), &leader_a).await;
        assert_eq!(r.body["details"]["field"], "region", "{r:?}");
        assert_eq!(r.body["details"]["reason"], reason, "{r:?}");
    }
    let r = app
        .get(
            &format!("/api/v1/dashboard?region={VILLAGE_A}&month=2026-03"),
            &leader_a,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "unknown parameters are refused"
    );
    // An administrator reads the figures but not case titles.
    let admin = app.login("admin_a").await;
    let r = app
        .get(&format!("/api/v1/dashboard?region={VILLAGE_A}"), &admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert!(r.body["overdue_cases"].is_null());
}
