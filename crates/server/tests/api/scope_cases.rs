//! The scope matrix for the case engine's endpoints (see `scope.rs` for the rule).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

use crate::helpers::*;

fn body(region: &str, title: &str) -> serde_json::Value {
    json!({"type": "general", "category": "facilities.road", "source": "grid_report", "region_code": region, "title": title, "description": "x"})
}

fn upload(id: i64, token: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/cases/{id}/attachments?filename=a.png"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "image/png")
        .body(Body::from(b"\x89PNG\r\n\x1a\nxxxx".to_vec()))
        .unwrap()
}

#[tokio::test]
async fn village_a_cannot_touch_village_b_cases() {
    let app = TestApp::new().await;
    let grid_b = app.login("grid_b").await;
    let b = app
        .post("/api/v1/cases", &grid_b, body(GRID_B, "金洞村道路破损"))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let b_attachment = app.request(upload(b, &grid_b)).await.body["id"]
        .as_i64()
        .unwrap();
    let grid_a = app.login("grid_a").await;
    let a = app
        .post("/api/v1/cases", &grid_a, body(GRID_A, "东华路道路破损"))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let b_user = app.get("/api/v1/auth/me", &grid_b).await.body["id"]
        .as_i64()
        .unwrap();
    let mut tokens = std::collections::HashMap::new();
    for who in ["grid_a", "intake_a", "leader_a", "dispatcher_a"] {
        tokens.insert(who, app.login(who).await);
    }
    let before = app.audit_count().await;
    let cases: Vec<(&str, Method, String, Option<serde_json::Value>)> = vec![
        ("grid_a", Method::GET, format!("/api/v1/cases/{b}"), None),
        (
            "grid_a",
            Method::GET,
            format!("/api/v1/cases?region={VILLAGE_B}"),
            None,
        ),
        (
            "grid_a",
            Method::POST,
            "/api/v1/cases".into(),
            Some(body(GRID_B, "越权登记")),
        ),
        (
            "grid_a",
            Method::POST,
            format!("/api/v1/cases/{b}/transitions"),
            Some(json!({"action": "register"})),
        ),
        (
            "grid_a",
            Method::GET,
            format!("/api/v1/cases/{b}/duplicates"),
            None,
        ),
        (
            "intake_a",
            Method::POST,
            format!("/api/v1/cases/{b}/merge"),
            Some(json!({"into": a})),
        ),
        (
            "grid_a",
            Method::GET,
            format!("/api/v1/attachments/{b_attachment}"),
            None,
        ),
        (
            "leader_a",
            Method::GET,
            format!("/api/v1/stats/rates?region={VILLAGE_B}&month=2026-03"),
            None,
        ),
        (
            "leader_a",
            Method::GET,
            format!("/api/v1/stats/cases?region={VILLAGE_B}&month=2026-03"),
            None,
        ),
        (
            "dispatcher_a",
            Method::POST,
            "/api/v1/routing-rules".into(),
            Some(
                json!({"category_prefix": "facilities", "region_code": VILLAGE_B, "assignee_user_id": b_user}),
            ),
        ),
    ];
    for (who, method, path, body) in cases {
        let r = app
            .call(method.clone(), &path, Some(&tokens[who]), body)
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{who} {method} {path} → {r:?}"
        );
        assert_eq!(r.body["code"], "not_found");
    }
    assert_eq!(
        app.request(upload(b, &grid_a)).await.status,
        StatusCode::NOT_FOUND
    );
    // Merging A into B: B is not a case the caller can see, and the field says so.
    let r = app
        .post(
            &format!("/api/v1/cases/{a}/merge"),
            &tokens["intake_a"],
            json!({"into": b}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["details"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("into")),
        "{r:?}"
    );
    assert_eq!(app.audit_count().await, before, "refusals write nothing");
    // B's case is untouched and lists hold only A.
    let untouched = app.get(&format!("/api/v1/cases/{b}"), &grid_b).await.body;
    assert_eq!(
        (untouched["state"].as_str(), untouched["version"].as_i64()),
        (Some("collected"), Some(1))
    );
    let all = app.get("/api/v1/cases?per_page=100", &grid_a).await.body;
    assert_eq!(all["total"], 1);
    // Another user's notification answers 404.
    let dispatcher = app.login("dispatcher_a").await;
    let handler = app.login("handler_a").await;
    let handler_id = app.get("/api/v1/auth/me", &handler).await.body["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/v1/cases/{a}/transitions"),
        &grid_a,
        json!({"action": "register"}),
    )
    .await;
    app.post(
        &format!("/api/v1/cases/{a}/transitions"),
        &dispatcher,
        json!({"action": "dispatch", "assignee": handler_id}),
    )
    .await;
    let notice = app.get("/api/v1/notifications", &handler).await.body[0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.post(
            &format!("/api/v1/notifications/{notice}/read"),
            &grid_a,
            json!({})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/notifications/{notice}/read"),
            &handler,
            json!({})
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert!(app
        .get("/api/v1/notifications", &grid_a)
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["id"] != notice));
    // Routing rules: A's dispatcher adds one for A and never sees B's.
    let rule = app
        .post("/api/v1/routing-rules", &dispatcher, json!({"category_prefix": "facilities", "region_code": VILLAGE_A, "assignee_user_id": handler_id}))
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{rule:?}");
    let county = app.login("county_admin").await;
    let rb = app.post("/api/v1/routing-rules", &county, json!({"category_prefix": "facilities", "region_code": VILLAGE_B, "assignee_user_id": b_user})).await;
    assert_eq!(rb.status, StatusCode::CREATED, "{rb:?}");
    let rules = app.get("/api/v1/routing-rules", &dispatcher).await.body;
    assert_eq!(rules.as_array().unwrap().len(), 1, "{rules}");
    // With a rule in place, dispatch without an assignee routes by it.
    let c = app
        .post("/api/v1/cases", &grid_a, body(GRID_A, "东华路井盖破损"))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/v1/cases/{c}/transitions"),
        &grid_a,
        json!({"action": "register"}),
    )
    .await;
    let routed = app
        .post(
            &format!("/api/v1/cases/{c}/transitions"),
            &dispatcher,
            json!({"action": "dispatch"}),
        )
        .await;
    assert_eq!(routed.body["assignee_user_id"], handler_id, "{routed:?}");
}
