//! Login, lockout, idle timeout, forced password change, cookies with CSRF, API tokens.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn login_returns_a_working_token_and_wrong_passwords_fail() {
    let app = TestApp::new().await;
    let r = app.try_login("grid_a", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["user"]["role"], "grid_worker");
    assert_eq!(r.body["user"]["regions"], json!([VILLAGE_A]));
    let cookie = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let token = r.body["token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/v1/auth/me", token).await.body["username"],
        "grid_a"
    );

    let r = app.try_login("grid_a", "Wrong@pass1").await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
    let r = app.try_login("nobody", PASSWORD).await;
    assert_eq!(
        r.body["code"], "invalid_credentials",
        "unknown users look the same as wrong passwords"
    );

    // Logout ends the session.
    let r = app.post("/api/v1/auth/logout", token, json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/auth/me", token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn five_failures_in_fifteen_minutes_lock_the_account() {
    let app = TestApp::new().await;
    for _ in 0..5 {
        app.clock.advance_minutes(2);
        assert_eq!(
            app.try_login("grid_a", "Wrong@pass1").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let r = app.try_login("grid_a", PASSWORD).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::LOCKED, Some("account_locked")),
        "{r:?}"
    );
    // Other accounts are unaffected.
    app.login("admin_a").await;
    // Failures were at minutes 2..10; at minute 18 the first has left the 15-minute window.
    app.clock.advance_minutes(7);
    assert_eq!(
        app.try_login("grid_a", PASSWORD).await.status,
        StatusCode::LOCKED
    );
    app.clock.advance_minutes(1);
    assert_eq!(
        app.try_login("grid_a", PASSWORD).await.status,
        StatusCode::OK
    );
    // Success clears the record.
    for _ in 0..4 {
        app.try_login("grid_a", "Wrong@pass1").await;
    }
    assert_eq!(
        app.try_login("grid_a", PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn idle_sessions_expire_but_active_ones_live() {
    let app = TestApp::new().await;
    let t = app.login("grid_a").await;
    for _ in 0..4 {
        app.clock.advance_minutes(20);
        assert_eq!(app.get("/api/v1/auth/me", &t).await.status, StatusCode::OK);
    }
    app.clock.advance_minutes(31);
    let r = app.get("/api/v1/auth/me", &t).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("session_expired"))
    );
    assert_eq!(
        app.get("/api/v1/auth/me", &t).await.body["code"],
        "invalid_token"
    );
}

#[tokio::test]
async fn initial_passwords_must_be_changed_first() {
    let app = TestApp::new().await;
    let admin = app.login("admin_a").await;
    let r = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "xiaowang", "display_name": "小王", "password": "Init@2026x", "role": "grid_worker", "regions": [GRID_A]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(r.body["must_change_password"], true);
    let r = app.try_login("xiaowang", "Init@2026x").await;
    assert_eq!(r.body["must_change_password"], true);
    let t = r.body["token"].as_str().unwrap().to_string();
    let r = app.get("/api/v1/residents", &t).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("password_change_required"))
    );
    assert_eq!(app.get("/api/v1/auth/me", &t).await.status, StatusCode::OK);

    let weak = app
        .post(
            "/api/v1/auth/password",
            &t,
            json!({"old_password": "Init@2026x", "new_password": "short"}),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (
            weak.body["details"]["field"].as_str(),
            weak.body["details"]["reason"].as_str()
        ),
        (Some("new_password"), Some("password_too_short"))
    );
    let wrong = app
        .post(
            "/api/v1/auth/password",
            &t,
            json!({"old_password": "Nope@2026x", "new_password": "Mountain#88road"}),
        )
        .await;
    assert_eq!(wrong.body["details"]["field"], "old_password");
    let ok = app
        .post(
            "/api/v1/auth/password",
            &t,
            json!({"old_password": "Init@2026x", "new_password": "Mountain#88road"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{ok:?}");
    // The old session ended; the new one works everywhere.
    assert_eq!(
        app.get("/api/v1/auth/me", &t).await.status,
        StatusCode::UNAUTHORIZED
    );
    let fresh = ok.body["token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/v1/residents", fresh).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.try_login("xiaowang", "Mountain#88road").await.body["must_change_password"],
        false
    );
}

#[tokio::test]
async fn cookie_sessions_need_the_csrf_token_for_writes() {
    let app = TestApp::new().await;
    let r = app.try_login("grid_a", PASSWORD).await;
    let token = r.body["token"].as_str().unwrap().to_string();
    let csrf = r.body["csrf_token"].as_str().unwrap().to_string();
    let cookie = format!("wangge_session={token}");
    let body = json!({"region_code": GRID_A, "name": "张三"}).to_string();
    let post = |csrf: Option<&str>| {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/residents")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(c) = csrf {
            b = b.header("x-csrf-token", c);
        }
        b.body(Body::from(body.clone())).unwrap()
    };
    let r = app.request(post(None)).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("csrf_failed"))
    );
    let r = app.request(post(Some("csrf_forged"))).await;
    assert_eq!(r.body["code"], "csrf_failed");
    let r = app.request(post(Some(&csrf))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    // Reads with the cookie need no CSRF token.
    let get = Request::builder()
        .uri("/api/v1/auth/me")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.request(get).await.status, StatusCode::OK);
}

#[tokio::test]
async fn api_tokens_work_as_bearer_and_do_not_idle_out() {
    let app = TestApp::new().await;
    let t = app.login("intake_a").await;
    let r = app
        .post("/api/v1/auth/tokens", &t, json!({"label": "12345热线对接"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let api = r.body["token"].as_str().unwrap().to_string();
    assert!(api.starts_with("wgt_"));
    app.clock.advance_minutes(24 * 60);
    assert_eq!(
        app.get("/api/v1/auth/me", &api).await.body["username"],
        "intake_a"
    );
    // A token cannot mint more tokens, and a bad token is refused.
    assert_eq!(
        app.post("/api/v1/auth/tokens", &api, json!({"label": "x"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/auth/me", "wgt_bogus").await.body["code"],
        "invalid_token"
    );
    let r = app
        .post(
            "/api/v1/auth/tokens",
            &app.login("intake_a").await,
            json!({"label": ""}),
        )
        .await;
    assert_eq!(r.body["details"]["field"], "label");
}
