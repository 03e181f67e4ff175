//! The scope matrix for dispute mediation: village A's mediators and advisors reach
//! nothing of village B's disputes.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn village_a_cannot_touch_village_b_disputes() {
    let app = TestApp::new().await;
    let county = app.login("county_admin").await;
    let _ = county;
    let grid_b = app.login("grid_b").await;
    let body = json!({"category": "dispute.neighbor", "region_code": GRID_B, "title": "金洞村邻里纠纷", "description": "x", "came_by": "screening",
        "parties": [{"role": "applicant", "name": "甲"}, {"role": "respondent", "name": "乙"}]});
    let r = app.post("/api/v1/disputes", &grid_b, body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let b = r.body["case"]["id"].as_i64().unwrap();
    let mediator = app.login("mediator_a").await;
    let advisor = app.login("advisor_a").await;
    let leader = app.login("leader_a").await;
    let intake = app.login("intake_a").await;
    let before = app.audit_count().await;
    let session = json!({"held_at": "2026-03-02T09:00:00+08:00", "place": "x", "attendees": ["甲"], "facts": "x", "proposals": "x", "result": "continue"});
    let cases: Vec<(&String, Method, String, Option<serde_json::Value>)> = vec![
        (&intake, Method::POST, "/api/v1/disputes".into(), Some(body)),
        (
            &mediator,
            Method::GET,
            format!("/api/v1/disputes/{b}"),
            None,
        ),
        (
            &mediator,
            Method::POST,
            format!("/api/v1/disputes/{b}/sessions"),
            Some(session),
        ),
        (
            &mediator,
            Method::POST,
            format!("/api/v1/disputes/{b}/consultations"),
            Some(json!({"question": "x"})),
        ),
        (
            &mediator,
            Method::POST,
            format!("/api/v1/disputes/{b}/refer"),
            Some(json!({"to": "litigation", "note": "x"})),
        ),
        (
            &mediator,
            Method::POST,
            format!("/api/v1/disputes/{b}/outcomes"),
            Some(json!({"civil_to_criminal": false, "criminal_to_homicide": false, "note": "x"})),
        ),
        (
            &leader,
            Method::GET,
            format!("/api/v1/disputes/watchlist?region={VILLAGE_B}"),
            None,
        ),
        (
            &leader,
            Method::GET,
            format!("/api/v1/disputes/stats?region={VILLAGE_B}&from=2026-01-01&to=2026-12-31"),
            None,
        ),
        (
            &mediator,
            Method::PUT,
            format!("/api/v1/disputes/{b}/agreement"),
            Some(
                json!({"committee": "x", "facts": "x", "disputed_points": "x", "terms": ["x"], "performance": "x", "mediators": ["x"], "signed_date": "2026-03-02"}),
            ),
        ),
        (
            &mediator,
            Method::GET,
            format!("/api/v1/disputes/{b}/agreement.pdf"),
            None,
        ),
        (
            &mediator,
            Method::GET,
            format!("/api/v1/disputes/{b}/agreement.html"),
            None,
        ),
        (
            &mediator,
            Method::POST,
            format!("/api/v1/disputes/{b}/agreement/signatures"),
            Some(json!({"party_id": 1, "method": "device"})),
        ),
        (
            &mediator,
            Method::POST,
            format!("/api/v1/disputes/{b}/judicial-confirmation"),
            Some(json!({"number": "x"})),
        ),
        (
            &mediator,
            Method::POST,
            format!("/api/v1/disputes/{b}/followups"),
            Some(json!({"performed": true, "note": "x"})),
        ),
    ];
    for (token, method, path, body) in cases {
        let r = app.call(method.clone(), &path, Some(token), body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path} → {r:?}");
    }
    // A consultation on B's dispute, asked by B's grid worker, cannot be answered from A.
    let q = app
        .post(
            &format!("/api/v1/disputes/{b}/consultations"),
            &grid_b,
            json!({"question": "怎么办？"}),
        )
        .await;
    let qid = q.body["id"].as_i64().unwrap();
    let before = before + 1;
    let r = app
        .post(
            &format!("/api/v1/consultations/{qid}/answer"),
            &advisor,
            json!({"answer": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.audit_count().await, before, "refusals write nothing");
}
