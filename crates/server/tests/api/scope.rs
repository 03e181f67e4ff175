//! The scope matrix: a user of village A can neither read nor change anything of village
//! B through any endpoint (404, so existence does not leak), and roles only do what they
//! may. The test reads the OpenAPI document and fails when an endpoint is not covered.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

/// Every endpoint and how the matrix covers it.
pub const COVERED: &[(&str, &str, &str)] = &[
    ("post", "/api/v1/auth/login", "public: no region involved"),
    (
        "post",
        "/api/v1/auth/logout",
        "self: acts on the caller's own session",
    ),
    ("get", "/api/v1/auth/me", "self"),
    ("get", "/api/v1/auth/csrf", "self: the caller's own session"),
    ("post", "/api/v1/auth/password", "self"),
    (
        "post",
        "/api/v1/auth/tokens",
        "self: tokens carry the caller's own scope",
    ),
    ("get", "/api/v1/regions", "list: the caller's own roots"),
    ("post", "/api/v1/regions", "region write"),
    ("get", "/api/v1/regions/{code}", "region read"),
    ("get", "/api/v1/users", "list"),
    ("post", "/api/v1/users", "region write"),
    ("get", "/api/v1/users/{id}", "region read"),
    ("get", "/api/v1/residents", "list + region filter"),
    ("post", "/api/v1/residents", "region write"),
    ("get", "/api/v1/residents/{id}", "region read"),
    ("put", "/api/v1/residents/{id}", "region write"),
    ("post", "/api/v1/residents/{id}/reveal", "sensitive read"),
    ("get", "/api/v1/audit", "list"),
    (
        "get",
        "/api/v1/audit/verify",
        "global integrity check: reveals no entry content",
    ),
    ("post", "/api/v1/cases", "region write"),
    ("get", "/api/v1/cases", "list + region filter"),
    ("get", "/api/v1/cases/{id}", "region read"),
    ("post", "/api/v1/cases/{id}/transitions", "region write"),
    (
        "get",
        "/api/v1/cases/{id}/duplicates",
        "region read; candidates filtered by scope",
    ),
    (
        "post",
        "/api/v1/cases/{id}/merge",
        "region write (both cases)",
    ),
    ("post", "/api/v1/cases/{id}/attachments", "region write"),
    (
        "get",
        "/api/v1/cases/{id}/assignees",
        "region read; only for who may dispatch now (web.rs)",
    ),
    (
        "post",
        "/api/v1/cases/{id}/reveal",
        "sensitive read; audited (web.rs)",
    ),
    (
        "get",
        "/api/v1/attachments/{id}",
        "region read via its case",
    ),
    ("get", "/api/v1/case-types", "catalogue: no region involved"),
    ("get", "/api/v1/categories", "catalogue"),
    ("get", "/api/v1/sources", "catalogue"),
    ("get", "/api/v1/stats/rates", "region read"),
    ("get", "/api/v1/stats/cases", "region read"),
    ("get", "/api/v1/dashboard", "region read (dashboard.rs)"),
    ("get", "/api/v1/dashboard/map", "region read (dashboard.rs)"),
    ("get", "/api/v1/scorecard", "region read (dashboard.rs)"),
    (
        "get",
        "/api/v1/scorecard.xlsx",
        "region read (dashboard.rs)",
    ),
    (
        "get",
        "/api/v1/notifications",
        "self: the caller's own inbox",
    ),
    (
        "post",
        "/api/v1/notifications/{id}/read",
        "self: another user's notice answers 404",
    ),
    ("get", "/api/v1/routing-rules", "list filtered by scope"),
    ("post", "/api/v1/routing-rules", "region write"),
    (
        "post",
        "/api/v1/system/sweep",
        "operations: system-wide, admin only",
    ),
    (
        "post",
        "/api/v1/disputes",
        "region write (scope_disputes.rs)",
    ),
    (
        "get",
        "/api/v1/disputes/{id}",
        "region read (disputes.rs, scope_disputes.rs)",
    ),
    (
        "post",
        "/api/v1/disputes/{id}/sessions",
        "region write (scope_disputes.rs)",
    ),
    (
        "post",
        "/api/v1/disputes/{id}/consultations",
        "region write (scope_disputes.rs)",
    ),
    (
        "post",
        "/api/v1/consultations/{id}/answer",
        "region write via its dispute (scope_disputes.rs)",
    ),
    (
        "post",
        "/api/v1/disputes/{id}/refer",
        "region write (scope_disputes.rs)",
    ),
    (
        "post",
        "/api/v1/disputes/{id}/outcomes",
        "region write (scope_disputes.rs)",
    ),
    (
        "get",
        "/api/v1/disputes/watchlist",
        "region read (scope_disputes.rs)",
    ),
    (
        "get",
        "/api/v1/disputes/stats",
        "region read (scope_disputes.rs)",
    ),
    (
        "put",
        "/api/v1/disputes/{id}/agreement",
        "region write (scope_disputes.rs)",
    ),
    (
        "get",
        "/api/v1/disputes/{id}/agreement.pdf",
        "region read (scope_disputes.rs)",
    ),
    (
        "get",
        "/api/v1/disputes/{id}/agreement.html",
        "region read (scope_disputes.rs)",
    ),
    (
        "post",
        "/api/v1/disputes/{id}/agreement/signatures",
        "region write (scope_disputes.rs)",
    ),
    (
        "post",
        "/api/v1/disputes/{id}/judicial-confirmation",
        "region write (scope_disputes.rs)",
    ),
    (
        "post",
        "/api/v1/disputes/{id}/followups",
        "region write (scope_disputes.rs)",
    ),
    // Field work and family files: each is checked from village B in fieldwork.rs.
    ("get", "/api/v1/assignments", "list + region filter"),
    ("post", "/api/v1/assignments", "region write"),
    ("get", "/api/v1/visits", "list + region filter"),
    (
        "post",
        "/api/v1/visits",
        "region write (assignment, household in scope)",
    ),
    ("get", "/api/v1/visits/{id}", "region read"),
    ("get", "/api/v1/diary", "list + region filter"),
    ("post", "/api/v1/diary", "region write"),
    (
        "post",
        "/api/v1/diary/{id}/done",
        "region write; author only",
    ),
    (
        "post",
        "/api/v1/diary/{id}/case",
        "region write; author only",
    ),
    ("get", "/api/v1/diary/stats", "region read"),
    (
        "get",
        "/api/v1/households/{id}/family-file",
        "sensitive read via its household; audited",
    ),
    (
        "put",
        "/api/v1/households/{id}/family-file",
        "region write via its household",
    ),
    ("get", "/api/v1/family-files/due", "list + region filter"),
    (
        "put",
        "/api/v1/grids/{code}/boundary",
        "region write (grids.rs)",
    ),
    ("get", "/api/v1/grids", "region read (grids.rs)"),
    (
        "post",
        "/api/v1/grids/import",
        "region write per feature (grids.rs)",
    ),
    (
        "get",
        "/api/v1/grids/locate",
        "answers only grids in scope (grids.rs)",
    ),
    ("post", "/api/v1/posts", "region write (grids.rs)"),
    ("get", "/api/v1/posts", "region read (grids.rs)"),
    (
        "delete",
        "/api/v1/posts/{id}",
        "region write (scope_grids.rs)",
    ),
    ("get", "/api/v1/coverage", "region read (grids.rs)"),
    ("get", "/api/v1/households", "region read (grids.rs)"),
    (
        "post",
        "/api/v1/households",
        "region write (scope_grids.rs)",
    ),
    ("get", "/api/v1/households/{id}", "region read (grids.rs)"),
    (
        "post",
        "/api/v1/imports/roster",
        "rows outside scope are refused (grids.rs)",
    ),
    (
        "get",
        "/api/v1/imports/{id}",
        "self: only the uploader (scope_grids.rs)",
    ),
    (
        "get",
        "/api/v1/imports/{id}/errors",
        "self: only the uploader (scope_grids.rs)",
    ),
    (
        "get",
        "/api/v1/patrol-templates",
        "catalogue: no region involved",
    ),
    (
        "post",
        "/api/v1/patrol-templates",
        "catalogue: role-checked, no region",
    ),
    (
        "post",
        "/api/v1/patrol-plans",
        "region write (scope_grids.rs)",
    ),
    ("post", "/api/v1/patrols", "region write (grids.rs)"),
    ("get", "/api/v1/patrols/{id}", "region read (grids.rs)"),
    (
        "get",
        "/api/v1/patrols/stats",
        "region read (scope_grids.rs)",
    ),
];

#[tokio::test]
async fn every_documented_endpoint_is_in_the_matrix() {
    let app = TestApp::new().await;
    let doc = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .body;
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let covered: BTreeSet<_> = COVERED
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        documented, covered,
        "classify new endpoints in COVERED and test them below"
    );
}

#[tokio::test]
async fn village_a_cannot_touch_village_b() {
    let app = TestApp::new().await;
    let grid_b = app.login("grid_b").await;
    let in_b = app
        .resident(&grid_b, GRID_B, "金洞村民", &id_number(1), "13800000001")
        .await;
    let grid_a = app.login("grid_a").await;
    let in_a = app
        .resident(&grid_a, GRID_A, "东华居民", &id_number(2), "13800000002")
        .await;
    let admin_a = app.login("admin_a").await;
    let county = app.login("county_admin").await;
    let user_b = app.get("/api/v1/users", &county).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "grid_b")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let user_a = app.get("/api/v1/users", &admin_a).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "grid_a")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let audit_before = app.audit_count().await;

    // (who, method, path, body for B) must be 404; the same request aimed at A must pass.
    struct Case {
        who: &'static str,
        method: Method,
        b: String,
        a: String,
        body_b: Option<serde_json::Value>,
        body_a: Option<serde_json::Value>,
        ok_a: StatusCode,
    }
    let tok = |who: &str| {
        if who == "admin_a" {
            admin_a.clone()
        } else {
            grid_a.clone()
        }
    };
    let cases = vec![
        Case {
            who: "grid_a",
            method: Method::GET,
            b: format!("/api/v1/regions/{VILLAGE_B}"),
            a: format!("/api/v1/regions/{VILLAGE_A}"),
            body_b: None,
            body_a: None,
            ok_a: StatusCode::OK,
        },
        Case {
            who: "grid_a",
            method: Method::GET,
            b: format!("/api/v1/regions/{TOWNSHIP}"),
            a: format!("/api/v1/regions/{GRID_A}"),
            body_b: None,
            body_a: None,
            ok_a: StatusCode::OK,
        },
        Case {
            who: "admin_a",
            method: Method::POST,
            b: "/api/v1/regions".into(),
            a: "/api/v1/regions".into(),
            body_b: Some(json!({"code": format!("{VILLAGE_B}009"), "name": "越权网格"})),
            body_a: Some(json!({"code": format!("{VILLAGE_A}009"), "name": "东华第九网格"})),
            ok_a: StatusCode::CREATED,
        },
        Case {
            who: "admin_a",
            method: Method::GET,
            b: format!("/api/v1/users/{user_b}"),
            a: format!("/api/v1/users/{user_a}"),
            body_b: None,
            body_a: None,
            ok_a: StatusCode::OK,
        },
        Case {
            who: "admin_a",
            method: Method::POST,
            b: "/api/v1/users".into(),
            a: "/api/v1/users".into(),
            body_b: Some(
                json!({"username": "intruder", "display_name": "x", "password": PASSWORD, "role": "grid_worker", "regions": [VILLAGE_B]}),
            ),
            body_a: Some(
                json!({"username": "newbie", "display_name": "新网格员", "password": PASSWORD, "role": "grid_worker", "regions": [GRID_A]}),
            ),
            ok_a: StatusCode::CREATED,
        },
        Case {
            who: "grid_a",
            method: Method::GET,
            b: format!("/api/v1/residents/{in_b}"),
            a: format!("/api/v1/residents/{in_a}"),
            body_b: None,
            body_a: None,
            ok_a: StatusCode::OK,
        },
        Case {
            who: "grid_a",
            method: Method::GET,
            b: format!("/api/v1/residents?region={VILLAGE_B}"),
            a: format!("/api/v1/residents?region={VILLAGE_A}"),
            body_b: None,
            body_a: None,
            ok_a: StatusCode::OK,
        },
        Case {
            who: "grid_a",
            method: Method::POST,
            b: "/api/v1/residents".into(),
            a: "/api/v1/residents".into(),
            body_b: Some(json!({"region_code": GRID_B, "name": "越权", "id_number": id_number(3)})),
            body_a: Some(
                json!({"region_code": GRID_A, "name": "新居民", "id_number": id_number(4)}),
            ),
            ok_a: StatusCode::CREATED,
        },
        Case {
            who: "grid_a",
            method: Method::PUT,
            b: format!("/api/v1/residents/{in_b}"),
            a: format!("/api/v1/residents/{in_a}"),
            body_b: Some(json!({"region_code": GRID_B, "name": "改名", "version": 1})),
            body_a: Some(json!({"region_code": GRID_A, "name": "改名", "version": 1})),
            ok_a: StatusCode::OK,
        },
        // Moving one's own resident into village B is a write in B: refused too.
        Case {
            who: "grid_a",
            method: Method::PUT,
            b: format!("/api/v1/residents/{in_a}"),
            a: format!("/api/v1/residents/{in_a}"),
            body_b: Some(json!({"region_code": GRID_B, "name": "迁走", "version": 2})),
            body_a: Some(json!({"region_code": VILLAGE_A, "name": "迁回村级", "version": 2})),
            ok_a: StatusCode::OK,
        },
        Case {
            who: "grid_a",
            method: Method::POST,
            b: format!("/api/v1/residents/{in_b}/reveal"),
            a: format!("/api/v1/residents/{in_a}/reveal"),
            body_b: Some(json!({"reason": "好奇"})),
            body_a: Some(json!({"reason": "电话回访"})),
            ok_a: StatusCode::OK,
        },
    ];
    let mut expected_audit = audit_before;
    for c in cases {
        let t = tok(c.who);
        let r = app
            .call(c.method.clone(), &c.b, Some(&t), c.body_b.clone())
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{} {} {} → {r:?}",
            c.who,
            c.method,
            c.b
        );
        assert_eq!(r.body["code"], "not_found");
        assert_eq!(
            app.audit_count().await,
            expected_audit,
            "a refused request wrote nothing"
        );
        let r = app
            .call(c.method.clone(), &c.a, Some(&t), c.body_a.clone())
            .await;
        assert_eq!(r.status, c.ok_a, "{} {} {} → {r:?}", c.who, c.method, c.a);
        if c.method != Method::GET {
            expected_audit += 1;
        }
    }
    // Nothing in B changed: same name, same version, no intruder user.
    let r = app.get(&format!("/api/v1/residents/{in_b}"), &grid_b).await;
    assert_eq!(
        (r.body["name"].as_str(), r.body["version"].as_i64()),
        (Some("金洞村民"), Some(1))
    );
    assert_eq!(
        app.try_login("intruder", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .get(&format!("/api/v1/regions/{VILLAGE_B}"), &county)
        .await;
    assert!(r.body["children"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["name"] != "越权网格"));

    // Lists never contain B: residents, users, audit, region roots.
    let r = app.get("/api/v1/residents?per_page=100", &grid_a).await;
    assert!(r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["region_code"].as_str().unwrap().starts_with(VILLAGE_A)));
    let r = app
        .get(
            &format!("/api/v1/residents?id_number={}", id_number(1)),
            &grid_a,
        )
        .await;
    assert_eq!(
        r.body["total"], 0,
        "search by exact ID must not find B's resident"
    );
    let r = app.get("/api/v1/users?per_page=100", &admin_a).await;
    let names: Vec<_> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(
        !names.contains(&"grid_b") && !names.contains(&"county_admin"),
        "{names:?}"
    );
    assert!(names.contains(&"grid_a"));
    let r = app.get("/api/v1/audit?limit=200", &admin_a).await;
    assert!(r
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["region_code"].as_str().unwrap().starts_with(VILLAGE_A)));
    let r = app.get("/api/v1/regions", &grid_a).await;
    assert_eq!(
        r.body,
        json!([{"code": VILLAGE_A, "name": "东华社区", "level": "village"}])
    );
}

#[tokio::test]
async fn roles_only_do_what_they_may() {
    let app = TestApp::new().await;
    let grid = app.login("grid_a").await;
    let rid = app
        .resident(&grid, GRID_A, "王五", &id_number(7), "13900000007")
        .await;
    // (user, method, path, body, expected status) — all inside the user's own village.
    let reveal = json!({"reason": "核实身份"});
    let new_resident =
        |n: u16| json!({"region_code": GRID_A, "name": "赵六", "id_number": id_number(n)});
    let new_user = |u: &str| json!({"username": u, "display_name": u, "password": PASSWORD, "role": "grid_worker", "regions": [VILLAGE_A]});
    let cases: Vec<(&str, Method, String, Option<serde_json::Value>, StatusCode)> = vec![
        (
            "enterprise_a",
            Method::GET,
            format!("/api/v1/residents/{rid}"),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "enterprise_a",
            Method::GET,
            "/api/v1/residents".into(),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "enterprise_a",
            Method::GET,
            format!("/api/v1/regions/{VILLAGE_A}"),
            None,
            StatusCode::OK,
        ),
        (
            "handler_a",
            Method::GET,
            format!("/api/v1/residents/{rid}"),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "leader_a",
            Method::GET,
            format!("/api/v1/residents/{rid}"),
            None,
            StatusCode::OK,
        ),
        (
            "leader_a",
            Method::POST,
            format!("/api/v1/residents/{rid}/reveal"),
            Some(reveal.clone()),
            StatusCode::FORBIDDEN,
        ),
        (
            "admin_a",
            Method::POST,
            format!("/api/v1/residents/{rid}/reveal"),
            Some(reveal.clone()),
            StatusCode::FORBIDDEN,
        ),
        (
            "mediator_a",
            Method::POST,
            format!("/api/v1/residents/{rid}/reveal"),
            Some(reveal.clone()),
            StatusCode::OK,
        ),
        (
            "mediator_a",
            Method::POST,
            "/api/v1/residents".into(),
            Some(new_resident(8)),
            StatusCode::FORBIDDEN,
        ),
        (
            "intake_a",
            Method::POST,
            "/api/v1/residents".into(),
            Some(new_resident(9)),
            StatusCode::CREATED,
        ),
        (
            "neighbor_a",
            Method::POST,
            "/api/v1/residents".into(),
            Some(new_resident(10)),
            StatusCode::CREATED,
        ),
        (
            "grid_a",
            Method::POST,
            "/api/v1/users".into(),
            Some(new_user("gw2")),
            StatusCode::FORBIDDEN,
        ),
        (
            "admin_a",
            Method::POST,
            "/api/v1/users".into(),
            Some(new_user("gw3")),
            StatusCode::CREATED,
        ),
        (
            "grid_a",
            Method::GET,
            "/api/v1/users".into(),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "grid_a",
            Method::GET,
            "/api/v1/audit".into(),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "leader_a",
            Method::GET,
            "/api/v1/audit/verify".into(),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "admin_a",
            Method::GET,
            "/api/v1/audit/verify".into(),
            None,
            StatusCode::OK,
        ),
        (
            "grid_a",
            Method::POST,
            "/api/v1/regions".into(),
            Some(json!({"code": format!("{VILLAGE_A}005"), "name": "x"})),
            StatusCode::FORBIDDEN,
        ),
    ];
    for (who, method, path, body, want) in cases {
        let t = app.login(who).await;
        let r = app.call(method.clone(), &path, Some(&t), body).await;
        assert_eq!(r.status, want, "{who} {method} {path} → {r:?}");
        if want == StatusCode::FORBIDDEN {
            assert_eq!(r.body["code"], "forbidden");
        }
    }
}

#[tokio::test]
async fn unauthenticated_requests_are_refused_everywhere() {
    let app = TestApp::new().await;
    for (m, p, _) in COVERED {
        if *p == "/api/v1/auth/login" {
            continue;
        }
        let path = p.replace("{code}", VILLAGE_A).replace("{id}", "1");
        let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
        let body = if method == Method::GET {
            None
        } else {
            Some(json!({}))
        };
        let r = app.call(method, &path, None, body).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{m} {path}");
        assert_eq!(r.body["code"], "unauthenticated");
    }
}
