//! The scope matrix for grid and people endpoints not already exercised in `grids.rs`.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn village_a_cannot_touch_village_b_grids_and_people() {
    let app = TestApp::new().await;
    let county = app.login("county_admin").await;
    let p = app
        .post(
            "/api/v1/posts",
            &county,
            json!({"region_code": GRID_B, "post": "grid_worker", "name": "金洞网格员"}),
        )
        .await;
    assert_eq!(p.status, StatusCode::CREATED, "{p:?}");
    let post_b = p.body["id"].as_i64().unwrap();
    let admin_a = app.login("admin_a").await;
    let dispatcher_a = app.login("dispatcher_a").await;
    let grid_a = app.login("grid_a").await;
    let before = app.audit_count().await;
    for (token, method, path, body) in [
        (&admin_a, "delete", format!("/api/v1/posts/{post_b}"), None),
        (
            &grid_a,
            "post",
            "/api/v1/households".to_string(),
            Some(json!({"household_no": "B-1", "region_code": GRID_B, "address": "金洞村"})),
        ),
        (
            &dispatcher_a,
            "post",
            "/api/v1/patrol-plans".to_string(),
            Some(json!({"grid_code": GRID_B, "template_id": 1, "every_days": 1})),
        ),
        (
            &grid_a,
            "get",
            format!("/api/v1/patrols/stats?region={VILLAGE_B}&from=2026-03-01&to=2026-03-31"),
            None,
        ),
        (
            &grid_a,
            "get",
            format!("/api/v1/posts?region={VILLAGE_B}"),
            None,
        ),
        (
            &grid_a,
            "get",
            format!("/api/v1/grids?region={VILLAGE_B}"),
            None,
        ),
    ] {
        let m = axum::http::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let r = app.call(m, &path, Some(token), body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path} → {r:?}");
    }
    assert_eq!(app.audit_count().await, before);
    // Import jobs belong to their uploader.
    let (bytes, _) = wangge_importers::generate_roster_csv(1, 2, 0.0, &[GRID_A.to_string()]);
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/imports/roster?filename=r.csv")
        .header("authorization", format!("Bearer {grid_a}"))
        .header("content-type", "text/csv")
        .body(axum::body::Body::from(bytes))
        .unwrap();
    let id = app.request(req).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = app.login("intake_a").await;
    assert_eq!(
        app.get(&format!("/api/v1/imports/{id}"), &other)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/imports/{id}/errors"), &other)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/imports/{id}"), &grid_a)
            .await
            .status,
        StatusCode::OK
    );
}
