//! The writes a phone sends from its offline outbox carry an `Idempotency-Key`: a repeat
//! (an answer lost on the way back) returns the first result and makes nothing new, two
//! at once make one record, the same key with another request is refused, and keys are
//! per user. Visits, patrols, the 民情日记 and attachments; cases are in `cases.rs`.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

async fn count(app: &TestApp, table: &str) -> i64 {
    let mut c = app.state.store.read().await.unwrap();
    let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&mut *c)
        .await
        .unwrap();
    n
}

/// A POST with a JSON body and an Idempotency-Key.
fn keyed(path: &str, token: &str, key: &str, body: &Value) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("Idempotency-Key", key)
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn replayed(r: &Resp) -> bool {
    r.headers
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true")
}

fn assert_reused(r: &Resp) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{r:?}");
    assert_eq!(r.body["details"]["field"], "Idempotency-Key", "{r:?}");
    assert_eq!(
        r.body["details"]["reason"], "idempotency_key_reused",
        "{r:?}"
    );
}

#[tokio::test]
async fn a_repeated_diary_entry_is_recorded_once() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    let body =
        json!({"region_code": GRID_A, "resident": "李大爷", "request": "楼道灯坏了，晚上看不见"});
    let key = "7d3f6a52-0c1e-4a7b-9a55-2b1f0f0c9e01";

    let first = app.request(keyed("/api/v1/diary", &grid, key, &body)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    assert!(!replayed(&first));
    let audits = app.audit_count().await;

    let again = app.request(keyed("/api/v1/diary", &grid, key, &body)).await;
    assert_eq!(again.status, StatusCode::CREATED, "{again:?}");
    assert!(replayed(&again));
    assert_eq!(again.body, first.body, "the first result, unchanged");
    assert_eq!(count(&app, "diary_entries").await, 1);
    assert_eq!(app.audit_count().await, audits, "a replay writes nothing");
    assert_eq!(
        app.get("/api/v1/diary", &grid)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Another request under the same key is refused, not answered with the first.
    let other = json!({"region_code": GRID_A, "resident": "李大爷", "request": "另一件事"});
    assert_reused(
        &app.request(keyed("/api/v1/diary", &grid, key, &other))
            .await,
    );
    // …and so is the key used for another kind of write.
    let visit = json!({"region_code": GRID_A, "visited_at": "2026-03-02T09:00:00+08:00",
        "place": "东华路1号", "whom": "李大爷", "findings": "一切正常"});
    assert_reused(
        &app.request(keyed("/api/v1/visits", &grid, key, &visit))
            .await,
    );
    assert_eq!(count(&app, "diary_entries").await, 1);
    assert_eq!(count(&app, "visits").await, 0);

    // Keys are per user: the same key from someone else is their own first request.
    let block = app.login("block_a").await;
    let theirs = app
        .request(keyed("/api/v1/diary", &block, key, &body))
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{theirs:?}");
    assert!(!replayed(&theirs));
    assert_ne!(theirs.body["id"], first.body["id"]);

    // Without a key every request is a new entry, as before.
    assert_eq!(
        app.post("/api/v1/diary", &grid, body.clone()).await.status,
        StatusCode::CREATED
    );
    assert_eq!(count(&app, "diary_entries").await, 3);

    // A malformed key is refused before anything is written.
    let bad = app
        .request(keyed("/api/v1/diary", &grid, &"k".repeat(201), &body))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
    assert_eq!(bad.body["details"]["field"], "Idempotency-Key");
    assert_eq!(count(&app, "diary_entries").await, 3);
}

#[tokio::test]
async fn the_same_key_sent_twice_at_once_makes_one_record() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    let diary = json!({"region_code": GRID_A, "resident": "王阿姨", "request": "小区门口积水"});
    let visit = json!({"region_code": GRID_A, "visited_at": "2026-03-02T09:00:00+08:00",
        "place": "东华路3号", "whom": "王阿姨", "findings": "门口排水沟堵塞",
        "raise_case": {"category": "facilities.road"}});
    for round in 0..3 {
        let dk = format!("diary-race-{round}");
        let vk = format!("visit-race-{round}");
        let (a, b, c, d) = tokio::join!(
            app.request(keyed("/api/v1/diary", &grid, &dk, &diary)),
            app.request(keyed("/api/v1/diary", &grid, &dk, &diary)),
            app.request(keyed("/api/v1/visits", &grid, &vk, &visit)),
            app.request(keyed("/api/v1/visits", &grid, &vk, &visit)),
        );
        for r in [&a, &b, &c, &d] {
            assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
        }
        assert_eq!(a.body["id"], b.body["id"]);
        assert_eq!(c.body["id"], d.body["id"]);
        assert!(c.body["case_id"].is_i64(), "{c:?}");
        assert_eq!(
            c.body["case_id"], d.body["case_id"],
            "one case for the visit"
        );
    }
    assert_eq!(count(&app, "diary_entries").await, 3);
    assert_eq!(count(&app, "visits").await, 3);
    assert_eq!(count(&app, "cases").await, 3);
}

#[tokio::test]
async fn a_repeated_visit_raises_its_case_once() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    let body = json!({"region_code": GRID_A, "visited_at": "2026-03-02T09:30:00+08:00",
        "place": "东华路5号", "whom": "赵大哥", "findings": "屋后山体有裂缝",
        "raise_case": {"category": "safety.fire", "description": "屋后山体裂缝约两米"}});
    let first = app
        .request(keyed("/api/v1/visits", &grid, "visit-1", &body))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    let case_id = first.body["case_id"].as_i64().expect("a case was raised");
    let cases = count(&app, "cases").await;

    let again = app
        .request(keyed("/api/v1/visits", &grid, "visit-1", &body))
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{again:?}");
    assert!(replayed(&again));
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.body["case_id"], case_id);
    assert_eq!(count(&app, "visits").await, 1);
    assert_eq!(count(&app, "cases").await, cases);

    let changed = json!({"region_code": GRID_A, "visited_at": "2026-03-02T09:30:00+08:00",
        "place": "东华路5号", "whom": "赵大哥", "findings": "屋后山体有裂缝"});
    assert_reused(
        &app.request(keyed("/api/v1/visits", &grid, "visit-1", &changed))
            .await,
    );
    assert_eq!(count(&app, "visits").await, 1);
}

#[tokio::test]
async fn a_repeated_patrol_is_recorded_once_with_one_case_per_abnormal_item() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    let template = app.get("/api/v1/patrol-templates", &grid).await.body[0]["id"]
        .as_i64()
        .unwrap();
    let body = json!({
        "grid_code": GRID_A, "template_id": template,
        "started_at": "2026-03-02T08:30:00+08:00", "ended_at": "2026-03-02T09:40:00+08:00",
        "items": [
            {"item_id": "hydrant", "result": "abnormal", "note": "消防栓漏水", "lat": 25.9815, "lng": 113.9415},
            {"item_id": "river", "result": "normal"}
        ]
    });
    let first = app
        .request(keyed("/api/v1/patrols", &grid, "patrol-1", &body))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    assert!(first.body["items"][0]["case_id"].is_i64());
    let cases = count(&app, "cases").await;

    let (a, b) = tokio::join!(
        app.request(keyed("/api/v1/patrols", &grid, "patrol-1", &body)),
        app.request(keyed("/api/v1/patrols", &grid, "patrol-1", &body)),
    );
    for r in [&a, &b] {
        assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
        assert!(replayed(r));
        assert_eq!(r.body, first.body);
    }
    assert_eq!(count(&app, "patrols").await, 1);
    assert_eq!(count(&app, "patrol_items").await, 2);
    assert_eq!(count(&app, "cases").await, cases);

    let mut other = body.clone();
    other["items"][1]["result"] = json!("abnormal");
    other["items"][1]["note"] = json!("河道有垃圾");
    assert_reused(
        &app.request(keyed("/api/v1/patrols", &grid, "patrol-1", &other))
            .await,
    );
    assert_eq!(count(&app, "patrols").await, 1);
    assert_eq!(count(&app, "cases").await, cases);
}

#[tokio::test]
async fn a_repeated_photo_upload_is_stored_once() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    let c = app
        .request(keyed(
            "/api/v1/cases",
            &grid,
            "case-1",
            &json!({"type": "general", "category": "facilities.manhole", "source": "grid_report",
                    "region_code": GRID_A, "title": "井盖缺失", "description": "东华路井盖缺失"}),
        ))
        .await;
    assert_eq!(c.status, StatusCode::CREATED, "{c:?}");
    let id = c.body["id"].as_i64().unwrap();
    let upload = |key: &str, bytes: Vec<u8>| {
        Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/cases/{id}/attachments?filename=photo.png"))
            .header(header::AUTHORIZATION, format!("Bearer {grid}"))
            .header(header::CONTENT_TYPE, "image/png")
            .header("Idempotency-Key", key)
            .body(Body::from(bytes))
            .unwrap()
    };
    let png = [b"\x89PNG\r\n\x1a\n".to_vec(), vec![7u8; 300]].concat();
    let first = app.request(upload("case-1/photo", png.clone())).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    let (a, b) = tokio::join!(
        app.request(upload("case-1/photo", png.clone())),
        app.request(upload("case-1/photo", png.clone())),
    );
    for r in [&a, &b] {
        assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
        assert!(replayed(r));
        assert_eq!(r.body["id"], first.body["id"]);
    }
    let detail = app.get(&format!("/api/v1/cases/{id}"), &grid).await.body;
    assert_eq!(detail["attachments"].as_array().unwrap().len(), 1);

    // Other bytes under the same key are another request.
    let other = [b"\x89PNG\r\n\x1a\n".to_vec(), vec![8u8; 300]].concat();
    assert_reused(&app.request(upload("case-1/photo", other)).await);
    assert_eq!(count(&app, "attachments").await, 1);

    // Someone who cannot see the case learns nothing from a key.
    let b_grid = app.login("grid_b").await;
    let r = app
        .request(
            Request::builder()
                .method(Method::POST)
                .uri(format!("/api/v1/cases/{id}/attachments?filename=photo.png"))
                .header(header::AUTHORIZATION, format!("Bearer {b_grid}"))
                .header(header::CONTENT_TYPE, "image/png")
                .header("Idempotency-Key", "case-1/photo")
                .body(Body::from(png))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{r:?}");
}
