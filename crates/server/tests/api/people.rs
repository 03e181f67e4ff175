//! Personal data: encrypted at rest, masked in views, exact search by keyed hash,
//! audited reveals, optimistic versions.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn id_numbers_and_phones_are_encrypted_masked_and_searchable() {
    let app = TestApp::new().await;
    let t = app.login("grid_a").await;
    let id = id_number(31);
    let rid = app
        .resident(&t, GRID_A, "黄桂芳", &id, "138 1234 5678")
        .await;
    let r = app.get(&format!("/api/v1/residents/{rid}"), &t).await;
    assert_eq!(r.body["id_number"], format!("4310**********{}", &id[14..]));
    assert_eq!(r.body["phone"], "138****5678");
    assert_eq!(r.body["birth_date"], "1980-05-17");

    // At rest: no plaintext anywhere in the row.
    let mut c = app.state.store.read().await.unwrap();
    let (enc, hash): (Vec<u8>, String) =
        sqlx::query_as("SELECT id_number_enc, id_number_hash FROM residents WHERE id = $1")
            .bind(rid)
            .fetch_one(&mut *c)
            .await
            .unwrap();
    drop(c);
    assert!(!String::from_utf8_lossy(&enc).contains(&id[..10]));
    assert!(!hash.contains(&id[..10]) && hash.len() == 64);

    // Exact search by 身份证号 and by phone (any spelling) still works.
    for q in [
        format!("id_number={id}"),
        format!("id_number={}", id.to_lowercase()),
        "phone=13812345678".to_string(),
    ] {
        let r = app.get(&format!("/api/v1/residents?{q}"), &t).await;
        assert_eq!(
            (r.body["total"].as_i64(), r.body["items"][0]["id"].as_i64()),
            (Some(1), Some(rid)),
            "{q}"
        );
    }
    let r = app.get("/api/v1/residents?id_number=123", &t).await;
    assert_eq!(r.body["details"]["field"], "id_number");
}

#[tokio::test]
async fn every_unmasked_view_is_audited_with_its_reason() {
    let app = TestApp::new().await;
    let t = app.login("grid_a").await;
    let id = id_number(41);
    let rid = app.resident(&t, GRID_A, "李秀英", &id, "13912345678").await;
    let r = app
        .post(
            &format!("/api/v1/residents/{rid}/reveal"),
            &t,
            json!({"reason": "上门走访核实"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (r.body["id_number"].as_str(), r.body["phone"].as_str()),
        (Some(id.as_str()), Some("13912345678"))
    );
    let r = app
        .post(
            &format!("/api/v1/residents/{rid}/reveal"),
            &t,
            json!({"reason": " "}),
        )
        .await;
    assert_eq!(r.body["details"]["field"], "reason");

    let admin = app.login("admin_a").await;
    let log = app
        .get(
            &format!("/api/v1/audit?action=resident.reveal&target_id={rid}"),
            &admin,
        )
        .await
        .body;
    let entries = log.as_array().unwrap();
    assert_eq!(
        entries.len(),
        1,
        "one successful reveal, one audit entry: {log}"
    );
    assert_eq!(entries[0]["actor"], "grid_a");
    assert_eq!(entries[0]["details"]["reason"], "上门走访核实");
    assert!(
        !log.to_string().contains(&id),
        "the audit log holds no plaintext ID"
    );
}

#[tokio::test]
async fn concurrent_edits_are_refused_not_lost() {
    let app = TestApp::new().await;
    let t = app.login("grid_a").await;
    let rid = app
        .resident(&t, GRID_A, "陈德明", &id_number(51), "13612345678")
        .await;
    let first = app
        .put(
            &format!("/api/v1/residents/{rid}"),
            &t,
            json!({"region_code": GRID_A, "name": "陈德明", "phone": "13612340000", "version": 1}),
        )
        .await;
    assert_eq!(
        (first.status, first.body["version"].as_i64()),
        (StatusCode::OK, Some(2))
    );
    let second = app
        .put(
            &format!("/api/v1/residents/{rid}"),
            &t,
            json!({"region_code": GRID_A, "name": "陈德民", "version": 1}),
        )
        .await;
    assert_eq!(
        (second.status, second.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("version_conflict"))
    );
    let r = app.get(&format!("/api/v1/residents/{rid}"), &t).await;
    assert_eq!(
        (r.body["name"].as_str(), r.body["phone"].as_str()),
        (Some("陈德明"), Some("136****0000"))
    );
    let r = app
        .put(
            &format!("/api/v1/residents/{rid}"),
            &t,
            json!({"region_code": GRID_A, "name": "x"}),
        )
        .await;
    assert_eq!(r.body["details"]["field"], "version");
}

#[tokio::test]
async fn a_partial_update_keeps_the_personal_fields() {
    let app = TestApp::new().await;
    let t = app.login("grid_a").await;
    let id = id_number(81);
    let rid = app.resident(&t, GRID_A, "郭桂芳", &id, "13812340081").await;
    let r = app
        .put(
            &format!("/api/v1/residents/{rid}"),
            &t,
            json!({"region_code": GRID_A, "name": "郭桂芳", "version": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(
        (r.body["phone"].as_str(), r.body["birth_date"].as_str()),
        (Some("138****0081"), Some("1980-05-17"))
    );
    let full = app
        .post(
            &format!("/api/v1/residents/{rid}/reveal"),
            &t,
            json!({"reason": "核对"}),
        )
        .await
        .body;
    assert_eq!(full["id_number"], id.as_str());
    assert_eq!(
        app.get(&format!("/api/v1/residents?id_number={id}"), &t)
            .await
            .body["total"],
        1,
        "still found by ID"
    );
    let cleared = app
        .put(
            &format!("/api/v1/residents/{rid}"),
            &t,
            json!({"region_code": GRID_A, "name": "郭桂芳", "phone": "", "version": 2}),
        )
        .await;
    assert!(cleared.body["phone"].is_null(), "{cleared:?}");
}
