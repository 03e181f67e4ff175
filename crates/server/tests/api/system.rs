//! Health, metrics, request ids, the OpenAPI document, and tamper-evidence through the API.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn health_metrics_and_request_ids() {
    let app = TestApp::new().await;
    let r = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    assert!(r.headers.get("x-request-id").is_some());
    app.login("grid_a").await;
    let r = app.call(Method::GET, "/metrics", None, None).await;
    let text = r.body.as_str().unwrap().to_string();
    assert!(text.contains("wangge_http_requests_total{method=\"POST\",route=\"/api/v1/auth/login\",status=\"200\"} 1"), "{text}");
    assert!(text.contains("wangge_http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn openapi_document_describes_the_real_api() {
    let app = TestApp::new().await;
    let doc = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    // Operation ids are unique (clients generate method names from them).
    let mut ids = std::collections::BTreeSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let id = op["operationId"].as_str().unwrap().to_string();
            assert!(ids.insert(id.clone()), "duplicate operationId {id}");
        }
    }
    assert!(doc["paths"]["/api/v1/residents/{id}"]["put"].is_object());
    // Request schemas forbid unknown fields, as the server does.
    let input = &doc["components"]["schemas"]["ResidentInput"];
    assert_eq!(input["additionalProperties"], json!(false), "{input}");
    assert_eq!(input["required"], json!(["region_code", "name"]));
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    // Query strings are documented as query parameters, path ids as path parameters.
    for p in doc["paths"]["/api/v1/audit"]["get"]["parameters"]
        .as_array()
        .unwrap()
    {
        assert_eq!(p["in"], "query", "{p}");
    }
    assert_eq!(
        doc["paths"]["/api/v1/residents/{id}"]["get"]["parameters"][0]["in"],
        "path"
    );
}

#[tokio::test]
async fn audit_chain_verifies_and_names_a_tampered_entry() {
    let app = TestApp::new().await;
    let t = app.login("grid_a").await;
    for n in 0..3 {
        app.resident(
            &t,
            GRID_A,
            "居民",
            &id_number(60 + n),
            &format!("1380000006{n}"),
        )
        .await;
    }
    let admin = app.login("admin_a").await;
    let r = app.get("/api/v1/audit/verify", &admin).await;
    assert_eq!(r.body["intact"], true, "{r:?}");
    let mut c = app.state.store.read().await.unwrap();
    sqlx::query("UPDATE audit_log SET details = '{\"name\":\"改过\"}' WHERE seq = 3")
        .execute(&mut *c)
        .await
        .unwrap();
    drop(c);
    let r = app.get("/api/v1/audit/verify", &admin).await;
    assert_eq!(
        (r.body["intact"].as_bool(), r.body["first_bad_seq"].as_i64()),
        (Some(false), Some(3)),
        "{r:?}"
    );
}
