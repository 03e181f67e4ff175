//! Field work over HTTP: 包干 assignments, visits that raise cases in one step, the 民情日记
//! (crossed off, turned into cases, counted), and 家庭家事档案 (encrypted, every read
//! audited, versions, the review list) — and village B never reaching any of it.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use wangge_server::Clock;

use crate::helpers::*;

/// A second grid in village A.
const GRID_A2: &str = "431027100001002";

async fn household(app: &TestApp, no: &str, region: &str) -> i64 {
    let mut tx = app.state.store.begin().await.unwrap();
    let (id, _) = wangge_store::households::upsert(&mut tx, no, region, "东华路1号", START_MS)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn add_region(app: &TestApp, code: &str, name: &str) {
    let c = wangge_core::region::RegionCode::parse("c", code).unwrap();
    let mut tx = app.state.store.begin().await.unwrap();
    wangge_store::regions::upsert(
        &mut tx,
        &wangge_store::regions::Region {
            code: code.into(),
            name: name.into(),
            level: c.level().as_str().into(),
            parent_code: c.parent().map(|p| p.to_string()),
        },
        START_MS,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// A user beyond the fixture's (e.g. a village-B dispatcher).
async fn add_user(app: &TestApp, username: &str, role: &str, region: &str) {
    let hash = wangge_crypto::password::hash(PASSWORD);
    let regions = vec![region.to_string()];
    let mut tx = app.state.store.begin().await.unwrap();
    wangge_store::users::create(
        &mut tx,
        &wangge_store::users::NewUser {
            username,
            display_name: username,
            role,
            password_hash: &hash,
            must_change_password: false,
            regions: &regions,
        },
        START_MS,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn user_id(app: &TestApp, token: &str) -> i64 {
    app.get("/api/v1/auth/me", token).await.body["id"]
        .as_i64()
        .unwrap()
}

fn field(r: &Resp) -> &str {
    r.body["details"]["field"].as_str().unwrap_or_default()
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_i64().unwrap())
        .collect()
}

/// An hour before the test clock's start, in Beijing time.
const VISITED: &str = "2026-03-02T09:00:00+08:00";

fn visit_body(region: &str) -> Value {
    json!({"region_code": region, "visited_at": VISITED, "place": "东华路1号",
           "whom": "户主黄大爷", "findings": "屋后山体有裂缝，雨季有滑坡风险"})
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let mut c = app.state.store.read().await.unwrap();
    let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&mut *c)
        .await
        .unwrap();
    n
}

async fn audit_actions(app: &TestApp, action: &str) -> Vec<Value> {
    let admin = app.login("admin_a").await;
    let r = app
        .get(&format!("/api/v1/audit?action={action}&limit=200"), &admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    r.body.as_array().unwrap().clone()
}

#[tokio::test]
async fn assignments_are_scoped_masked_and_audited() {
    let app = TestApp::new().await;
    let dispatcher = app.login("dispatcher_a").await;
    let grid = app.login("grid_a").await;
    let grid_uid = user_id(&app, &grid).await;
    let r = app
        .post(
            "/api/v1/assignments",
            &dispatcher,
            json!({"region_code": VILLAGE_A, "kind": "party_member", "name": "李建国",
                   "agency": "县财政局", "phone": "138 1234 5678"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(r.body["phone"], "138****5678");
    assert_eq!(r.body["kind_name"], "党员");
    assert_eq!(r.body["active"], true);
    let first = r.body["id"].as_i64().unwrap();
    // The system administrator may tie a police officer with an account to a grid.
    let admin = app.login("admin_a").await;
    let r = app
        .post(
            "/api/v1/assignments",
            &admin,
            json!({"region_code": GRID_A, "kind": "police_officer", "name": "王警官",
                   "agency": "沤江派出所", "user_id": grid_uid}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(
        (r.body["phone"].clone(), r.body["user_id"].as_i64()),
        (Value::Null, Some(grid_uid))
    );

    // At rest the phone is ciphertext.
    let mut c = app.state.store.read().await.unwrap();
    let (enc,): (Vec<u8>,) = sqlx::query_as("SELECT phone_enc FROM assignments WHERE id = $1")
        .bind(first)
        .fetch_one(&mut *c)
        .await
        .unwrap();
    drop(c);
    assert!(!String::from_utf8_lossy(&enc).contains("12345678"));

    // Field workers read the list; they may not write it.
    let r = app.get("/api/v1/assignments", &grid).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.body.as_array().unwrap().len(), 2);
    let r = app
        .get(&format!("/api/v1/assignments?region={GRID_A}"), &grid)
        .await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    assert_eq!(r.body[0]["kind"], "police_officer");
    let r = app
        .post(
            "/api/v1/assignments",
            &grid,
            json!({"region_code": VILLAGE_A, "kind": "cadre", "name": "张三", "agency": "县委办"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r:?}");
    let enterprise = app.login("enterprise_a").await;
    assert_eq!(
        app.get("/api/v1/assignments", &enterprise).await.status,
        StatusCode::FORBIDDEN
    );

    // Refusals name the field.
    let grid_b = app.login("grid_b").await;
    let grid_b_uid = user_id(&app, &grid_b).await;
    for (body, want) in [
        (
            json!({"region_code": VILLAGE_A, "kind": "boss", "name": "甲", "agency": "乙"}),
            "kind",
        ),
        (
            json!({"region_code": format!("{GRID_A}01"), "kind": "cadre", "name": "甲", "agency": "乙"}),
            "region_code",
        ),
        (
            json!({"region_code": VILLAGE_A, "kind": "cadre", "name": " ", "agency": "乙"}),
            "name",
        ),
        (
            json!({"region_code": VILLAGE_A, "kind": "cadre", "name": "甲", "agency": ""}),
            "agency",
        ),
        (
            json!({"region_code": VILLAGE_A, "kind": "cadre", "name": "甲", "agency": "乙", "phone": "12"}),
            "phone",
        ),
        (
            json!({"region_code": VILLAGE_A, "kind": "cadre", "name": "甲", "agency": "乙", "user_id": grid_b_uid}),
            "user_id",
        ),
        (
            json!({"region_code": VILLAGE_A, "kind": "cadre", "name": "甲", "agency": "乙", "user_id": 99999}),
            "user_id",
        ),
        (
            json!({"region_code": VILLAGE_A, "kind": "cadre", "name": "甲", "agnecy": "乙"}),
            "agnecy",
        ),
    ] {
        let r = app
            .post("/api/v1/assignments", &dispatcher, body.clone())
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {r:?}");
        assert_eq!(field(&r), want, "{body} → {r:?}");
    }
    assert_eq!(count(&app, "assignments").await, 2);
    let log = audit_actions(&app, "assignment.create").await;
    assert_eq!(log.len(), 2);
    assert!(!Value::Array(log).to_string().contains("12345678"));
}

#[tokio::test]
async fn a_visit_that_finds_a_problem_raises_a_linked_case() {
    let app = TestApp::new().await;
    let dispatcher = app.login("dispatcher_a").await;
    let grid = app.login("grid_a").await;
    let assignment = app
        .post(
            "/api/v1/assignments",
            &dispatcher,
            json!({"region_code": VILLAGE_A, "kind": "cadre", "name": "李建国", "agency": "县自然资源局"}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let hh = household(&app, "H001", GRID_A).await;

    // A plain visit.
    let r = app.post("/api/v1/visits", &grid, visit_body(GRID_A)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(r.body["case_id"], Value::Null);
    assert_eq!(r.body["visitor_name"], "grid_a");
    assert_eq!(r.body["visited_at"], VISITED);
    let plain = r.body["id"].as_i64().unwrap();

    // The visit finds a hazard: the case is raised in the same request and linked back.
    let mut body = visit_body(GRID_A);
    body["assignment_id"] = json!(assignment);
    body["household_id"] = json!(hh);
    body["raise_case"] = json!({"category": "safety.geological", "lat": 26.08, "lng": 113.95});
    let r = app.post("/api/v1/visits", &grid, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let visit = r.body["id"].as_i64().unwrap();
    let case_id = r.body["case_id"]
        .as_i64()
        .expect("the visit names its case");
    assert_eq!(
        (
            r.body["assignment_id"].as_i64(),
            r.body["household_id"].as_i64()
        ),
        (Some(assignment), Some(hh))
    );
    let c = app.get(&format!("/api/v1/cases/{case_id}"), &grid).await;
    assert_eq!(c.status, StatusCode::OK, "{c:?}");
    assert_eq!(c.body["origin"], format!("visit:{visit}"));
    assert_eq!(c.body["source"], "grid_report");
    assert_eq!(c.body["type"], "general");
    assert_eq!(c.body["category"], "safety.geological");
    assert_eq!(c.body["region_code"], GRID_A);
    assert_eq!(c.body["description"], "屋后山体有裂缝，雨季有滑坡风险");
    assert!(c.body["title"].as_str().unwrap().starts_with("走访发现："));
    let r = app.get(&format!("/api/v1/visits/{visit}"), &grid).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["case_id"].as_i64(), Some(case_id));

    // A case with its own title and type.
    let mut body = visit_body(VILLAGE_A);
    body["raise_case"] = json!({"category": "dispute.homestead", "type": "dispute",
                                "title": "两户宅基地边界争议", "description": "东西两户争议一米宽的通道"});
    let r = app.post("/api/v1/visits", &grid, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let c = app
        .get(
            &format!("/api/v1/cases/{}", r.body["case_id"].as_i64().unwrap()),
            &grid,
        )
        .await;
    assert_eq!(
        (c.body["type"].as_str(), c.body["title"].as_str()),
        (Some("dispute"), Some("两户宅基地边界争议"))
    );

    // Lists: newest visit first, filtered by region.
    let r = app.get("/api/v1/visits", &grid).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(ids(&r.body).len(), 3);
    let r = app
        .get(&format!("/api/v1/visits?region={GRID_A}&limit=10"), &grid)
        .await;
    let mut got = ids(&r.body);
    got.sort();
    assert_eq!(got, vec![plain, visit]);

    // Every write is audited: three visits, two links, two cases.
    assert_eq!(audit_actions(&app, "visit.create").await.len(), 3);
    let links = audit_actions(&app, "visit.raise_case").await;
    assert_eq!(links.len(), 2);
    assert!(links
        .iter()
        .any(
            |e| e["target_id"].as_str().and_then(|s| s.parse().ok()) == Some(visit)
                && e["details"]["case_id"] == case_id
        ));
    assert_eq!(audit_actions(&app, "case.create").await.len(), 2);

    // Enterprises do no field work.
    let enterprise = app.login("enterprise_a").await;
    assert_eq!(
        app.get(&format!("/api/v1/visits/{visit}"), &enterprise)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn visit_refusals_name_their_fields_and_write_nothing() {
    let app = TestApp::new().await;
    add_region(&app, GRID_A2, "东华社区第二网格").await;
    let grid = app.login("grid_a").await;
    let county = app.login("county_admin").await;
    let b_assignment = app
        .post(
            "/api/v1/assignments",
            &county,
            json!({"region_code": VILLAGE_B, "kind": "cadre", "name": "赵六", "agency": "县林业局"}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let a2_assignment = app
        .post(
            "/api/v1/assignments",
            &county,
            json!({"region_code": GRID_A2, "kind": "cadre", "name": "钱七", "agency": "县林业局"}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let hh_b = household(&app, "H900", GRID_B).await;
    let hh_a2 = household(&app, "H002", GRID_A2).await;
    let before = (count(&app, "visits").await, count(&app, "cases").await);
    let with = |k: &str, v: Value| {
        let mut b = visit_body(GRID_A);
        b[k] = v;
        b
    };
    for (body, want, reason) in [
        (
            with("visited_at", json!("2026-03-02T12:00:00+08:00")),
            "visited_at",
            "in_future",
        ),
        (
            with("visited_at", json!("2026-03-02 09:00")),
            "visited_at",
            "invalid_datetime",
        ),
        (with("place", json!("  ")), "place", "length"),
        (with("whom", json!("")), "whom", "length"),
        (with("findings", json!("")), "findings", "length"),
        (
            with("region_code", json!("4310271000011")),
            "region_code",
            "region_code_length",
        ),
        (
            with("region_code", json!("431027100001009")),
            "region_code",
            "region_unknown",
        ),
        (
            with("household_id", json!(hh_b)),
            "household_id",
            "unknown_household",
        ),
        (
            with("household_id", json!(hh_a2)),
            "household_id",
            "region_mismatch",
        ),
        (
            with("household_id", json!(424242)),
            "household_id",
            "unknown_household",
        ),
        (
            with("assignment_id", json!(b_assignment)),
            "assignment_id",
            "unknown_assignment",
        ),
        (
            with("assignment_id", json!(a2_assignment)),
            "assignment_id",
            "region_mismatch",
        ),
        (
            with("raise_case", json!({"category": "nonsense"})),
            "raise_case.category",
            "unknown_category",
        ),
        (
            with(
                "raise_case",
                json!({"category": "safety.fire", "type": "nonsense"}),
            ),
            "raise_case.type",
            "unknown_type",
        ),
        (
            with(
                "raise_case",
                json!({"category": "safety.fire", "lat": 26.0}),
            ),
            "raise_case.lng",
            "required",
        ),
        (
            with(
                "raise_case",
                json!({"category": "safety.fire", "title": ""}),
            ),
            "raise_case.title",
            "length",
        ),
        (
            with("raise_case", json!({"categry": "safety.fire"})),
            "raise_case.categry",
            "unknown_field",
        ),
        (with("visitor", json!("x")), "visitor", "unknown_field"),
    ] {
        let r = app.post("/api/v1/visits", &grid, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {r:?}");
        assert_eq!(
            (field(&r), r.body["details"]["reason"].as_str().unwrap()),
            (want, reason),
            "{body} → {r:?}"
        );
    }
    assert_eq!(
        (count(&app, "visits").await, count(&app, "cases").await),
        before,
        "a refused visit writes neither visit nor case"
    );
    // A visit in grid A1 under an assignment to the whole village is fine, and the other
    // way round (an assignment to grid A2, a visit recorded for the village) too.
    let mut b = visit_body(VILLAGE_A);
    b["assignment_id"] = json!(a2_assignment);
    let r = app.post("/api/v1/visits", &grid, b).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    // Department handlers do no field work.
    let handler = app.login("handler_a").await;
    let r = app
        .post("/api/v1/visits", &handler, visit_body(GRID_A))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r:?}");
}

#[tokio::test]
async fn diary_entries_are_crossed_off_or_turned_into_cases() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    let block = app.login("block_a").await;
    let entry = |resident: &str, request: &str| json!({"region_code": GRID_A, "resident": resident, "request": request});
    let r = app
        .post(
            "/api/v1/diary",
            &grid,
            entry("黄大爷", "门前路灯坏了两个月"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(
        (r.body["done"].as_bool(), r.body["author_name"].as_str()),
        (Some(false), Some("grid_a"))
    );
    let lamp = r.body["id"].as_i64().unwrap();
    let r = app
        .post(
            "/api/v1/diary",
            &grid,
            entry("李阿姨", "低保资格复核一直没有消息"),
        )
        .await;
    let pension = r.body["id"].as_i64().unwrap();

    // Mine by default; the region view shows everyone's.
    let r = app.get("/api/v1/diary", &grid).await;
    assert_eq!(ids(&r.body), vec![pension, lamp]);
    assert_eq!(
        ids(&app.get("/api/v1/diary", &block).await.body),
        Vec::<i64>::new()
    );
    let r = app
        .get(
            &format!("/api/v1/diary?mine=false&region={VILLAGE_A}"),
            &block,
        )
        .await;
    assert_eq!(ids(&r.body), vec![pension, lamp]);

    // Only the author crosses an entry off, once.
    let r = app
        .post(
            &format!("/api/v1/diary/{lamp}/done"),
            &block,
            json!({"note": "已修好"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r:?}");
    let r = app
        .post(
            &format!("/api/v1/diary/{lamp}/done"),
            &grid,
            json!({"note": " "}),
        )
        .await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "note")
    );
    let r = app
        .post(
            &format!("/api/v1/diary/{lamp}/done"),
            &grid,
            json!({"note": "联系供电所，路灯已修好"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.body["done"], true);
    assert_eq!(r.body["done_note"], "联系供电所，路灯已修好");
    assert_eq!(r.body["case_id"], Value::Null);
    let r = app
        .post(
            &format!("/api/v1/diary/{lamp}/done"),
            &grid,
            json!({"note": "再销一次"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{r:?}");
    assert_eq!(r.body["code"], "already_done");

    // The other needs a department: it becomes a case, and the entry is crossed off with it.
    let r = app
        .post(
            &format!("/api/v1/diary/{pension}/case"),
            &grid,
            json!({"category": "nonsense"}),
        )
        .await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "category")
    );
    let r = app
        .post(
            &format!("/api/v1/diary/{pension}/case"),
            &block,
            json!({"category": "livelihood.social_security"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r:?}");
    assert_eq!(count(&app, "cases").await, 0, "refusals raise no case");
    let r = app
        .post(
            &format!("/api/v1/diary/{pension}/case"),
            &grid,
            json!({"category": "livelihood.social_security"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(r.body["done"], true);
    let case_id = r.body["case_id"].as_i64().unwrap();
    let c = app.get(&format!("/api/v1/cases/{case_id}"), &grid).await;
    assert_eq!(c.body["origin"], format!("diary:{pension}"));
    assert_eq!(c.body["source"], "diary");
    assert_eq!(c.body["reporter_name"], "李阿姨");
    assert_eq!(c.body["region_code"], GRID_A);
    assert!(r.body["done_note"]
        .as_str()
        .unwrap()
        .contains(c.body["number"].as_str().unwrap()));
    let r = app
        .post(
            &format!("/api/v1/diary/{pension}/case"),
            &grid,
            json!({"category": "livelihood.social_security"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{r:?}");
    assert_eq!(count(&app, "cases").await, 1);
    let r = app
        .post(
            &format!("/api/v1/diary/{pension}/done"),
            &grid,
            json!({"note": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    for (action, n) in [("diary.create", 2), ("diary.done", 1), ("diary.to_case", 1)] {
        assert_eq!(audit_actions(&app, action).await.len(), n, "{action}");
    }
    // Refusals on input.
    for (body, want) in [
        (
            json!({"region_code": GRID_A, "resident": "", "request": "x"}),
            "resident",
        ),
        (
            json!({"region_code": GRID_A, "resident": "甲", "request": " "}),
            "request",
        ),
        (
            json!({"region_code": "abc", "resident": "甲", "request": "x"}),
            "region_code",
        ),
    ] {
        let r = app.post("/api/v1/diary", &grid, body.clone()).await;
        assert_eq!(
            (r.status, field(&r)),
            (StatusCode::UNPROCESSABLE_ENTITY, want),
            "{body}"
        );
    }
    let r = app.get("/api/v1/diary?mine=perhaps", &grid).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn diary_stats_count_open_and_done_per_author() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    let block = app.login("block_a").await;
    let grid_b = app.login("grid_b").await;
    let mut mine = Vec::new();
    for i in 0..3 {
        let r = app
            .post(
                "/api/v1/diary",
                &grid,
                json!({"region_code": GRID_A, "resident": format!("群众{i}"), "request": "修路"}),
            )
            .await;
        mine.push(r.body["id"].as_i64().unwrap());
    }
    app.post(
        &format!("/api/v1/diary/{}/done", mine[0]),
        &grid,
        json!({"note": "已办"}),
    )
    .await;
    app.post(
        "/api/v1/diary",
        &block,
        json!({"region_code": VILLAGE_A, "resident": "群众", "request": "安装监控"}),
    )
    .await;
    let r = app
        .post(
            "/api/v1/diary",
            &grid_b,
            json!({"region_code": GRID_B, "resident": "群众", "request": "村道塌方"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);

    let leader = app.login("leader_a").await;
    let want = json!([
        {"username": "grid_a", "open": 2, "done": 1},
        {"username": "block_a", "open": 1, "done": 0},
    ]);
    for (who, q) in [
        (&leader, format!("?region={VILLAGE_A}")),
        (&grid, String::new()),
    ] {
        let r = app.get(&format!("/api/v1/diary/stats{q}"), who).await;
        assert_eq!(r.status, StatusCode::OK, "{r:?}");
        assert_eq!(
            (
                r.body["open"].as_i64(),
                r.body["done"].as_i64(),
                r.body["total"].as_i64()
            ),
            (Some(3), Some(1), Some(4)),
            "{r:?}"
        );
        let mut got: Vec<Value> = r.body["authors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| json!({"username": a["username"], "open": a["open"], "done": a["done"]}))
            .collect();
        got.sort_by_key(|a| a["username"].as_str().unwrap() != "grid_a");
        assert_eq!(Value::Array(got), want);
    }
    let r = app
        .get(&format!("/api/v1/diary/stats?region={GRID_A}"), &leader)
        .await;
    assert_eq!(
        (r.body["open"].as_i64(), r.body["done"].as_i64()),
        (Some(2), Some(1))
    );
    let r = app.get("/api/v1/diary/stats", &grid_b).await;
    assert_eq!(r.body["total"].as_i64(), Some(1));
    let enterprise = app.login("enterprise_a").await;
    assert_eq!(
        app.get("/api/v1/diary/stats", &enterprise).await.status,
        StatusCode::FORBIDDEN
    );
}

fn file_body(version: Option<i64>) -> Value {
    let mut b = json!({"circumstances": "夫妻长期分居，儿子在外务工，老人独居",
                       "risk_level": "high", "risk_factors": ["长期分居", "赡养纠纷", "长期分居"],
                       "next_review_date": "2026-03-10"});
    if let Some(v) = version {
        b["version"] = json!(v);
    }
    b
}

#[tokio::test]
async fn family_file_reads_are_audited_and_refused_to_others() {
    let app = TestApp::new().await;
    let hh = household(&app, "H001", GRID_A).await;
    let empty = household(&app, "H002", GRID_A).await;
    let grid = app.login("grid_a").await;
    let path = format!("/api/v1/households/{hh}/family-file");
    let r = app.put(&path, &grid, file_body(None)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(r.body["version"], 1);
    assert_eq!(r.body["risk_factors"], json!(["长期分居", "赡养纠纷"]));

    // At rest: no plaintext in the row.
    let mut c = app.state.store.read().await.unwrap();
    let (circ, factors): (Vec<u8>, Vec<u8>) = sqlx::query_as(
        "SELECT circumstances, risk_factors FROM family_files WHERE household_id = $1",
    )
    .bind(hh)
    .fetch_one(&mut *c)
    .await
    .unwrap();
    drop(c);
    for blob in [&circ, &factors] {
        let s = String::from_utf8_lossy(blob);
        assert!(!s.contains("分居") && !s.contains("老人"), "{s}");
    }

    let before = audit_actions(&app, "family_file.read").await.len();
    assert_eq!(before, 0, "writing is not reading");
    let mediator = app.login("mediator_a").await;
    for _ in 0..2 {
        let r = app.get(&path, &mediator).await;
        assert_eq!(r.status, StatusCode::OK, "{r:?}");
        assert_eq!(
            r.body["circumstances"],
            "夫妻长期分居，儿子在外务工，老人独居"
        );
        assert_eq!(r.body["household_no"], "H001");
        assert_eq!(r.body["risk_level"], "high");
    }
    let log = audit_actions(&app, "family_file.read").await;
    assert_eq!(log.len(), 2, "every read is audited: {log:?}");
    assert!(log.iter().all(|e| e["actor"] == "mediator_a"
        && e["details"]["household_id"] == hh
        && e["region_code"] == GRID_A));
    assert!(!Value::Array(log).to_string().contains("分居"));
    assert!(
        !Value::Array(audit_actions(&app, "family_file.create").await)
            .to_string()
            .contains("分居")
    );

    // Leaders see figures, enterprises nothing; village B does not learn it exists.
    for (who, want) in [
        ("leader_a", StatusCode::FORBIDDEN),
        ("enterprise_a", StatusCode::FORBIDDEN),
        ("handler_a", StatusCode::FORBIDDEN),
        ("admin_a", StatusCode::FORBIDDEN),
        ("grid_b", StatusCode::NOT_FOUND),
        ("advisor_a", StatusCode::OK),
        ("block_a", StatusCode::OK),
    ] {
        let t = app.login(who).await;
        let r = app.get(&path, &t).await;
        assert_eq!(r.status, want, "{who} → {r:?}");
    }
    assert_eq!(audit_actions(&app, "family_file.read").await.len(), 4);
    // No file yet, or no such household: 404, and nothing was read.
    let r = app
        .get(
            &format!("/api/v1/households/{empty}/family-file"),
            &mediator,
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let r = app
        .get("/api/v1/households/98765/family-file", &mediator)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(audit_actions(&app, "family_file.read").await.len(), 4);
}

#[tokio::test]
async fn family_file_versions_and_refusals() {
    let app = TestApp::new().await;
    let hh = household(&app, "H001", GRID_A).await;
    let grid = app.login("grid_a").await;
    let mediator = app.login("mediator_a").await;
    let path = format!("/api/v1/households/{hh}/family-file");
    let with = |k: &str, v: Value| {
        let mut b = file_body(None);
        b[k] = v;
        b
    };
    for (body, want, reason) in [
        (with("circumstances", json!(" ")), "circumstances", "length"),
        (
            with("risk_level", json!("extreme")),
            "risk_level",
            "invalid_value",
        ),
        (
            with("risk_factors", json!(["赌博", ""])),
            "risk_factors[1]",
            "length",
        ),
        (
            with("next_review_date", json!("2026-03-01")),
            "next_review_date",
            "in_past",
        ),
        (
            with("next_review_date", json!("2026-02-30")),
            "next_review_date",
            "invalid_date",
        ),
        (
            with("next_review_date", json!("2026/03/10")),
            "next_review_date",
            "invalid_date",
        ),
        (
            with("risk_factors", json!("赌博")),
            "risk_factors",
            "invalid_value",
        ),
        (with("notes", json!("x")), "notes", "unknown_field"),
    ] {
        let r = app.put(&path, &grid, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {r:?}");
        assert_eq!(
            (field(&r), r.body["details"]["reason"].as_str().unwrap()),
            (want, reason),
            "{body}"
        );
    }
    assert_eq!(count(&app, "family_files").await, 0);
    // Today is a valid review date.
    let r = app
        .put(&path, &grid, with("next_review_date", json!("2026-03-02")))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    // Once it exists, a write must say which version it read.
    let r = app.put(&path, &mediator, file_body(None)).await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "version")
    );
    let mut b = file_body(Some(1));
    b["risk_level"] = json!("medium");
    b["risk_factors"] = json!(["赡养纠纷"]);
    let r = app.put(&path, &mediator, b).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(
        (
            r.body["version"].as_i64(),
            r.body["risk_level"].as_str(),
            r.body["updated_by"].as_i64()
        ),
        (
            Some(2),
            Some("medium"),
            Some(user_id(&app, &mediator).await)
        )
    );
    // A second writer still holding version 1 is refused, not lost.
    let r = app.put(&path, &grid, file_body(Some(1))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{r:?}");
    assert_eq!(
        (r.body["code"].as_str(), field(&r)),
        (Some("version_conflict"), "version")
    );
    let r = app.get(&path, &grid).await;
    assert_eq!(
        (r.body["version"].as_i64(), r.body["risk_factors"].clone()),
        (Some(2), json!(["赡养纠纷"]))
    );
    assert_eq!(audit_actions(&app, "family_file.create").await.len(), 1);
    assert_eq!(audit_actions(&app, "family_file.update").await.len(), 1);
    // Roles without family files may not write them either.
    let leader = app.login("leader_a").await;
    let r = app.put(&path, &leader, file_body(Some(2))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r:?}");
}

#[tokio::test]
async fn family_files_due_for_review_show_no_circumstances() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    let grid_b = app.login("grid_b").await;
    let h1 = household(&app, "H001", GRID_A).await;
    let h2 = household(&app, "H002", GRID_A).await;
    let hb = household(&app, "H900", GRID_B).await;
    for (who, hh, level, date) in [
        (&grid, h1, "high", "2026-03-10"),
        (&grid, h2, "low", "2026-04-01"),
        (&grid_b, hb, "medium", "2026-03-05"),
    ] {
        let mut b = file_body(None);
        b["risk_level"] = json!(level);
        b["next_review_date"] = json!(date);
        let r = app
            .put(&format!("/api/v1/households/{hh}/family-file"), who, b)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    }
    let r = app
        .get("/api/v1/family-files/due?date=2026-03-31", &grid)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(
        r.body,
        json!([{"household_id": h1, "household_no": "H001", "region_code": GRID_A,
                "risk_level": "high", "risk_level_name": "高", "next_review_date": "2026-03-10",
                "overdue": false}])
    );
    assert!(!r.body.to_string().contains("分居"));
    let r = app
        .get(
            &format!("/api/v1/family-files/due?region={GRID_A}&date=2026-12-31"),
            &grid,
        )
        .await;
    let nos: Vec<_> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["household_no"].clone())
        .collect();
    assert_eq!(nos, vec![json!("H001"), json!("H002")]);
    // By default: due today; later the file is overdue.
    let r = app.get("/api/v1/family-files/due", &grid).await;
    assert_eq!(r.body, json!([]));
    app.clock.set(START_MS + 10 * 86_400_000);
    let grid = app.login("grid_a").await; // the old session has gone idle
    let r = app.get("/api/v1/family-files/due", &grid).await;
    assert_eq!(r.body[0]["household_no"], "H001");
    assert_eq!(r.body[0]["overdue"], true);
    assert!(app.clock.now_ms() > START_MS);

    let r = app
        .get("/api/v1/family-files/due?date=2026-13-01", &grid)
        .await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "date")
    );
    let leader = app.login("leader_a").await;
    assert_eq!(
        app.get("/api/v1/family-files/due", &leader).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn village_b_reaches_nothing_of_village_a() {
    let app = TestApp::new().await;
    add_user(&app, "dispatcher_b", "dispatcher", VILLAGE_B).await;
    let dispatcher_a = app.login("dispatcher_a").await;
    let grid_a = app.login("grid_a").await;
    let assignment = app
        .post(
            "/api/v1/assignments",
            &dispatcher_a,
            json!({"region_code": VILLAGE_A, "kind": "cadre", "name": "李建国", "agency": "县财政局"}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let visit = app
        .post("/api/v1/visits", &grid_a, visit_body(GRID_A))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let diary = |n: &str| json!({"region_code": GRID_A, "resident": n, "request": "修路"});
    let d1 = app.post("/api/v1/diary", &grid_a, diary("甲")).await.body["id"]
        .as_i64()
        .unwrap();
    let hh = household(&app, "H001", GRID_A).await;
    let r = app
        .put(
            &format!("/api/v1/households/{hh}/family-file"),
            &grid_a,
            file_body(None),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);

    let grid_b = app.login("grid_b").await;
    let dispatcher_b = app.login("dispatcher_b").await;
    let before = (
        app.audit_count().await,
        count(&app, "visits").await,
        count(&app, "cases").await,
    );
    let requests: Vec<(&String, Method, String, Option<Value>)> = vec![
        (
            &dispatcher_b,
            Method::POST,
            "/api/v1/assignments".into(),
            Some(json!({"region_code": VILLAGE_A, "kind": "cadre", "name": "甲", "agency": "乙"})),
        ),
        (
            &dispatcher_b,
            Method::GET,
            format!("/api/v1/assignments?region={VILLAGE_A}"),
            None,
        ),
        (
            &grid_b,
            Method::GET,
            format!("/api/v1/assignments?region={GRID_A}"),
            None,
        ),
        (
            &grid_b,
            Method::POST,
            "/api/v1/visits".into(),
            Some(visit_body(GRID_A)),
        ),
        (
            &grid_b,
            Method::GET,
            format!("/api/v1/visits?region={VILLAGE_A}"),
            None,
        ),
        (
            &grid_b,
            Method::GET,
            format!("/api/v1/visits/{visit}"),
            None,
        ),
        (
            &grid_b,
            Method::POST,
            "/api/v1/diary".into(),
            Some(diary("乙")),
        ),
        (
            &grid_b,
            Method::GET,
            format!("/api/v1/diary?mine=false&region={VILLAGE_A}"),
            None,
        ),
        (
            &grid_b,
            Method::POST,
            format!("/api/v1/diary/{d1}/done"),
            Some(json!({"note": "x"})),
        ),
        (
            &grid_b,
            Method::POST,
            format!("/api/v1/diary/{d1}/case"),
            Some(json!({"category": "facilities.road"})),
        ),
        (
            &grid_b,
            Method::GET,
            format!("/api/v1/diary/stats?region={VILLAGE_A}"),
            None,
        ),
        (
            &grid_b,
            Method::GET,
            format!("/api/v1/households/{hh}/family-file"),
            None,
        ),
        (
            &grid_b,
            Method::PUT,
            format!("/api/v1/households/{hh}/family-file"),
            Some(file_body(Some(1))),
        ),
        (
            &grid_b,
            Method::GET,
            format!("/api/v1/family-files/due?region={VILLAGE_A}"),
            None,
        ),
    ];
    for (t, method, path, body) in requests {
        let r = app.call(method.clone(), &path, Some(t), body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path} → {r:?}");
        assert_eq!(r.body["code"], "not_found");
    }
    assert_eq!(
        (
            app.audit_count().await,
            count(&app, "visits").await,
            count(&app, "cases").await
        ),
        before,
        "refused requests write nothing"
    );
    // A visit in B may not name A's assignment or household either.
    let mut b = visit_body(GRID_B);
    b["assignment_id"] = json!(assignment);
    let r = app.post("/api/v1/visits", &grid_b, b).await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "assignment_id")
    );
    let mut b = visit_body(GRID_B);
    b["household_id"] = json!(hh);
    let r = app.post("/api/v1/visits", &grid_b, b).await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "household_id")
    );

    // Lists without a region never hold A's records.
    for (t, path) in [
        (&dispatcher_b, "/api/v1/assignments"),
        (&grid_b, "/api/v1/assignments"),
        (&grid_b, "/api/v1/visits"),
        (&grid_b, "/api/v1/diary?mine=false"),
        (&grid_b, "/api/v1/family-files/due?date=2099-12-31"),
    ] {
        let r = app.get(path, t).await;
        assert_eq!(r.status, StatusCode::OK, "{path} → {r:?}");
        assert_eq!(r.body, json!([]), "{path}");
    }
    let r = app.get("/api/v1/diary/stats", &grid_b).await;
    assert_eq!(r.body["total"], 0);
    // And the same requests from village A pass.
    let r = app.get(&format!("/api/v1/visits/{visit}"), &grid_a).await;
    assert_eq!(r.status, StatusCode::OK);
}
