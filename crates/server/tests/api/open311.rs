//! Open311 GeoReport v2: services and requests in JSON and XML, a form-encoded POST with
//! an api_key exactly as the spec describes, and the spec's error format.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;

use crate::helpers::*;

async fn api_key(app: &TestApp) -> String {
    let t = app.login("grid_a").await;
    app.post("/api/v1/auth/tokens", &t, json!({"label": "Open311"}))
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_string()
}

fn form_post(path: &str, form: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .unwrap()
}

async fn get_text(app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = app
        .request(Request::builder().uri(path).body(Body::empty()).unwrap())
        .await;
    let text = match r.body {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    (r.status, text)
}

#[tokio::test]
async fn services_requests_and_errors_in_json_and_xml() {
    let app = TestApp::new().await;
    let services = app
        .call(Method::GET, "/open311/v2/services.json", None, None)
        .await
        .body;
    let hydrant = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service_code"] == "facilities.hydrant")
        .unwrap()
        .clone();
    assert_eq!(
        (
            hydrant["type"].as_str(),
            hydrant["metadata"].as_bool(),
            hydrant["group"].as_str()
        ),
        (Some("realtime"), Some(false), Some("公共设施"))
    );
    let (status, xml) = get_text(&app, "/open311/v2/services.xml").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        xml.starts_with("<?xml")
            && xml.contains("<service><service_code>environment.garbage</service_code>"),
        "{xml}"
    );

    let key = api_key(&app).await;
    let form = format!(
        "api_key={key}&service_code=facilities.hydrant&lat=25.9801&long=113.9402&description={}",
        "%E6%B6%88%E9%98%B2%E6%A0%93%E5%8E%8B%E5%8A%9B%E4%B8%8D%E8%B6%B3%20%3C%26%3E" // 消防栓压力不足 <&>
    );
    let r = app
        .request(form_post("/open311/v2/requests.json", &form))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let id = r.body[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(id.starts_with("431027-2026-"));
    let one = app
        .call(
            Method::GET,
            &format!("/open311/v2/requests/{id}.json"),
            None,
            None,
        )
        .await
        .body;
    assert_eq!(one[0]["description"], "消防栓压力不足 <&>");
    assert_eq!(
        (
            one[0]["lat"].as_f64(),
            one[0]["long"].as_f64(),
            one[0]["status"].as_str()
        ),
        (Some(25.9801), Some(113.9402), Some("open"))
    );
    let (_, xml) = get_text(&app, &format!("/open311/v2/requests/{id}.xml")).await;
    assert!(
        xml.contains("<description>消防栓压力不足 &lt;&amp;&gt;</description>")
            && xml.contains("<long>113.9402</long>"),
        "{xml}"
    );
    let list = app
        .call(
            Method::GET,
            "/open311/v2/requests.json?service_code=facilities.hydrant&status=open",
            None,
            None,
        )
        .await
        .body;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let none = app
        .call(
            Method::GET,
            "/open311/v2/requests.json?status=closed",
            None,
            None,
        )
        .await
        .body;
    assert_eq!(none, json!([]));
    let tok = app
        .call(
            Method::GET,
            &format!("/open311/v2/tokens/{id}.json"),
            None,
            None,
        )
        .await
        .body;
    assert_eq!(tok[0]["service_request_id"], id);
    // The case is a real case, visible to the grid worker through the API.
    let t = app.login("grid_a").await;
    let cases = app.get("/api/v1/cases?source=open311", &t).await.body;
    assert_eq!(
        (
            cases["total"].as_i64(),
            cases["items"][0]["number"].as_str()
        ),
        (Some(1), Some(id.as_str()))
    );

    // Errors follow the spec.
    let r = app
        .request(form_post(
            "/open311/v2/requests.json",
            "service_code=facilities.hydrant&lat=1&long=1",
        ))
        .await;
    assert_eq!(
        (r.status, r.body[0]["code"].as_i64()),
        (StatusCode::FORBIDDEN, Some(403))
    );
    let r = app
        .request(form_post(
            "/open311/v2/requests.json",
            &format!("api_key={key}&service_code=nope&lat=1&long=1"),
        ))
        .await;
    assert_eq!(
        (r.status, r.body[0]["code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(400))
    );
    let r = app
        .request(form_post(
            "/open311/v2/requests.json",
            &format!("api_key={key}&service_code=facilities.hydrant"),
        ))
        .await;
    assert!(r.body[0]["description"]
        .as_str()
        .unwrap()
        .contains("location"));
    let (status, xml) = get_text(&app, "/open311/v2/requests/431027-2026-999999.xml").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(xml.contains("<errors><error><code>404</code>"), "{xml}");
    let r = app
        .request(form_post(
            "/open311/v2/requests.xml",
            "api_key=wgt_wrong&service_code=facilities.hydrant&lat=1&long=1",
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Cases from other channels are never listed publicly.
    let mut b = json!({"type": "general", "category": "facilities.hydrant", "source": "grid_report", "region_code": GRID_A, "title": "内部事件", "description": "x"});
    b["lat"] = json!(25.0);
    b["lng"] = json!(113.0);
    app.post("/api/v1/cases", &t, b).await;
    let list = app
        .call(Method::GET, "/open311/v2/requests.json", None, None)
        .await
        .body;
    assert_eq!(list.as_array().unwrap().len(), 1);
}
