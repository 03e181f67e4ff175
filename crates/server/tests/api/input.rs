//! Bad input gets a 4xx that names the field and the reason, in the one error body.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;

use crate::helpers::*;

fn raw(path: &str, token: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap()
}

#[tokio::test]
async fn malformed_unknown_missing_oversize_and_wrong_types() {
    let app = TestApp::new().await;
    let t = app.login("grid_a").await;
    let before = app.audit_count().await;

    let r = app
        .request(raw(
            "/api/v1/residents",
            &t,
            "application/json",
            "{\"name\": ",
        ))
        .await;
    assert_eq!(
        (r.status, r.body["details"]["reason"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_json"))
    );
    assert!(r.body["message"].as_str().unwrap().contains("JSON格式错误"));

    let r = app
        .post(
            "/api/v1/residents",
            &t,
            json!({"region_code": GRID_A, "name": "x", "nickname": "y"}),
        )
        .await;
    assert_eq!(
        (
            r.body["details"]["field"].as_str(),
            r.body["details"]["reason"].as_str()
        ),
        (Some("nickname"), Some("unknown_field"))
    );

    let r = app
        .post("/api/v1/residents", &t, json!({"name": "x"}))
        .await;
    assert_eq!(
        (
            r.body["details"]["field"].as_str(),
            r.body["details"]["reason"].as_str()
        ),
        (Some("region_code"), Some("missing_field"))
    );

    let r = app
        .post(
            "/api/v1/residents",
            &t,
            json!({"region_code": 431027, "name": "x"}),
        )
        .await;
    assert_eq!(
        (
            r.body["details"]["field"].as_str(),
            r.body["details"]["reason"].as_str()
        ),
        (Some("region_code"), Some("invalid_value"))
    );

    let big = format!(
        "{{\"region_code\":\"{GRID_A}\",\"name\":\"{}\"}}",
        "长".repeat(400_000)
    );
    let r = app
        .request(raw("/api/v1/residents", &t, "application/json", big))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );

    let r = app
        .request(raw("/api/v1/residents", &t, "text/plain", "hello"))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Some("unsupported_media_type")
        )
    );

    let r = app.get("/api/v1/residents?per_page=abc", &t).await;
    assert_eq!(
        (r.status, r.body["details"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("per_page"))
    );
    let r = app.get("/api/v1/residents?colour=red", &t).await;
    assert_eq!(
        (r.status, r.body["details"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("colour"))
    );

    assert_eq!(
        app.audit_count().await,
        before,
        "refused requests write nothing"
    );
}

#[tokio::test]
async fn invalid_codes_and_ids_name_the_field() {
    let app = TestApp::new().await;
    let t = app.login("grid_a").await;
    let cases = [
        (
            json!({"region_code": "4310271", "name": "x"}),
            "region_code",
            "region_code_length",
        ),
        (
            json!({"region_code": "43102710000A", "name": "x"}),
            "region_code",
            "region_code_format",
        ),
        (
            json!({"region_code": GRID_A, "name": "  "}),
            "name",
            "length",
        ),
        (
            json!({"region_code": GRID_A, "name": "x", "id_number": "431027198005170011"}),
            "id_number",
            "id_number_checksum",
        ),
        (
            json!({"region_code": GRID_A, "name": "x", "id_number": "43102719800230001X"}),
            "id_number",
            "id_number_birth_date",
        ),
        (
            json!({"region_code": GRID_A, "name": "x", "phone": "12345"}),
            "phone",
            "phone_format",
        ),
        (
            json!({"region_code": "431027100001009", "name": "x"}),
            "region_code",
            "region_unknown",
        ),
    ];
    for (body, field, reason) in cases {
        let r = app.post("/api/v1/residents", &t, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {r:?}");
        assert_eq!(r.body["code"], "validation_failed");
        assert_eq!(
            (
                r.body["details"]["field"].as_str(),
                r.body["details"]["reason"].as_str()
            ),
            (Some(field), Some(reason)),
            "{body}"
        );
        assert!(
            !r.body["message"].as_str().unwrap().is_ascii(),
            "message is Chinese: {r:?}"
        );
    }
    let r = app.get("/api/v1/regions/12x", &t).await;
    assert_eq!(
        (r.status, r.body["details"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("code"))
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_use_the_error_body() {
    let app = TestApp::new().await;
    let r = app
        .call(Method::GET, "/api/v1/nothing-here", None, None)
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("route_not_found"))
    );
    let r = app
        .call(Method::DELETE, "/api/v1/auth/login", None, None)
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
}

#[tokio::test]
async fn a_failed_command_leaves_nothing_half_written() {
    let app = TestApp::new().await;
    let t = app.login("grid_a").await;
    app.resident(&t, GRID_A, "甲", &id_number(21), "13700000021")
        .await;
    let before = app.audit_count().await;
    let r = app
        .post(
            "/api/v1/residents",
            &t,
            json!({"region_code": GRID_A, "name": "乙", "id_number": id_number(21)}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("duplicate_id_number"))
    );
    assert_eq!(r.body["details"]["field"], "id_number");
    assert_eq!(app.audit_count().await, before);
    let r = app
        .get(&format!("/api/v1/residents?region={VILLAGE_A}"), &t)
        .await;
    assert_eq!(r.body["total"], 1);
}
