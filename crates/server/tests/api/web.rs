//! The web console as served: pages are UTF-8 HTML under the CSP, scripts are JavaScript,
//! nothing under `web/` reaches another origin (counties run it with the internet cut
//! off), a missing page is a 404 page; and the two API helpers the console added
//! (dispatch candidates, audited reveal of a case's people).

use std::path::{Path, PathBuf};

use axum::http::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::cases::{act, case_body, new_case};
use crate::helpers::*;

/// The console's page paths (fixed in the web console brief); those on disk must be served.
const PAGES: &[&str] = &[
    "index.html",
    "ops/queue.html",
    "ops/intake.html",
    "ops/case.html",
    "mediation/index.html",
    "mediation/dispute.html",
    "leader/dashboard.html",
    "leader/map.html",
    "leader/screen.html",
    "leader/scorecard.html",
    "m/index.html",
];

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn web_files() -> Vec<(String, PathBuf)> {
    let root = web_dir();
    let mut all = Vec::new();
    files(&root, &mut all);
    all.sort();
    all.into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, p)
        })
        .collect()
}

fn content_type(r: &Resp) -> String {
    r.headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn pages_are_utf8_html_under_the_csp() {
    let app = TestApp::new().await;
    // The operator and mediation pages are this console's own: they must exist.
    for p in [
        "ops/queue.html",
        "ops/intake.html",
        "ops/case.html",
        "mediation/index.html",
        "mediation/dispute.html",
    ] {
        assert!(web_dir().join(p).is_file(), "{p} is missing");
    }
    let mut served = 0;
    for p in PAGES.iter().filter(|p| web_dir().join(p).is_file()) {
        let mut urls = vec![format!("/ui/{p}")];
        if let Some(folder) = p.strip_suffix("index.html") {
            urls.push(format!("/ui/{folder}"));
        }
        for url in urls {
            let r = app.call(Method::GET, &url, None, None).await;
            assert_eq!(r.status, StatusCode::OK, "{url}");
            assert_eq!(content_type(&r), "text/html; charset=utf-8", "{url}");
            let csp = r
                .headers
                .get(header::CONTENT_SECURITY_POLICY)
                .unwrap_or_else(|| panic!("{url} has no CSP"))
                .to_str()
                .unwrap();
            assert!(csp.contains("default-src 'self'"), "{url}: {csp}");
            assert!(csp.contains("frame-ancestors 'none'"), "{url}: {csp}");
            let html = r.body.as_str().unwrap();
            let lower = html.to_ascii_lowercase();
            assert!(
                lower.contains("charset=\"utf-8\"") || lower.contains("charset=utf-8"),
                "{url} declares no UTF-8 charset"
            );
            // No inline scripts: the CSP would block them, so a page relying on one is broken.
            for (i, _) in html.match_indices("<script") {
                let tag = &html[i..i + html[i..].find('>').unwrap()];
                assert!(tag.contains("src="), "{url} has an inline script: {tag}");
            }
            served += 1;
        }
    }
    assert!(served >= 7, "only {served} pages served");
}

#[tokio::test]
async fn scripts_are_javascript_and_styles_css() {
    let app = TestApp::new().await;
    let mut scripts = 0;
    for (rel, _) in web_files() {
        let url = format!("/ui/{rel}");
        let expect = if rel.ends_with(".js") || rel.ends_with(".mjs") {
            scripts += 1;
            "javascript"
        } else if rel.ends_with(".css") {
            "text/css"
        } else {
            continue;
        };
        let r = app.call(Method::GET, &url, None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{url}");
        let ct = content_type(&r);
        assert!(
            ct.contains(expect) && ct.ends_with("charset=utf-8"),
            "{url}: {ct}"
        );
        assert_eq!(
            r.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
            "nosniff"
        );
    }
    assert!(scripts >= 8, "only {scripts} scripts found");
}

/// Whether the text before a match on its line opens a comment (a doc link is fine there).
fn in_comment(line_before: &str, file_text_before: &str) -> bool {
    let t = line_before.trim_start();
    if t.starts_with("//") || t.starts_with('*') || t.starts_with("/*") || t.starts_with("<!--") {
        return true;
    }
    if line_before.contains(" // ") || line_before.contains("/*") || line_before.contains("<!--") {
        return true;
    }
    // Inside a block comment that began on an earlier line.
    let open = file_text_before.rfind("/*").map(|i| i as i64).unwrap_or(-1);
    let close = file_text_before.rfind("*/").map(|i| i as i64).unwrap_or(-1);
    let html_open = file_text_before
        .rfind("<!--")
        .map(|i| i as i64)
        .unwrap_or(-1);
    let html_close = file_text_before
        .rfind("-->")
        .map(|i| i as i64)
        .unwrap_or(-1);
    open > close || html_open > html_close
}

/// Every place a file names another origin, outside comments.
fn external_refs(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let lower = text.to_ascii_lowercase();
    // Absolute URLs anywhere (strings, attributes, CSS), unless in a comment.
    for scheme in ["http://", "https://", "ws://", "wss://", "ftp://"] {
        for (i, _) in lower.match_indices(scheme) {
            let line_start = text[..i].rfind('\n').map(|n| n + 1).unwrap_or(0);
            if !in_comment(&text[line_start..i], &text[..i]) {
                let end = text[i..]
                    .find(['"', '\'', ')', ' ', '\n', '`'])
                    .unwrap_or(text.len() - i);
                found.push(text[i..i + end].to_string());
            }
        }
    }
    // Protocol-relative references ("//cdn.example/x.js") where a URL is loaded.
    let compact: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    for lead in [
        "src=", "href=", "action=", "url(", "fetch(", "import(", "from", "import", "src:", "href:",
        "@import",
    ] {
        for quote in ["\"//", "'//", "`//", "//"] {
            let pat = format!("{lead}{quote}");
            // A bare `import//` or `from//` is a comment after a keyword, not a URL.
            if matches!(lead, "from" | "import" | "@import") && quote == "//" {
                continue;
            }
            if let Some(i) = compact.find(&pat) {
                found.push(compact[i..(i + 40).min(compact.len())].to_string());
            }
        }
    }
    found
}

#[test]
fn the_external_reference_check_can_fail() {
    for bad in [
        r#"<script src="https://cdn.example.com/x.js"></script>"#,
        r#"<link href="//fonts.example.com/a.css" rel="stylesheet">"#,
        "body { background: url(http://tiles.example.com/1.png) }",
        "@import url('https://fonts.example.com/css');",
        r#"import x from "https://esm.example.com/lib.js";"#,
        r#"const r = await fetch("https://api.example.com/v1");"#,
        r#"el("img", { src: "//img.example.com/a.png" })"#,
    ] {
        assert!(!external_refs(bad).is_empty(), "not caught: {bad}");
    }
    for fine in [
        "// See https://developer.mozilla.org/ for the API.",
        "/* docs: https://example.com/spec */ a { color: red }",
        "<!-- https://example.com --><p>x</p>",
        r#"import { api } from "../common/api.js";"#,
        r#"const r = await fetch("/api/v1/cases");"#,
    ] {
        assert_eq!(external_refs(fine), Vec::<String>::new(), "{fine}");
    }
}

#[test]
fn no_file_under_web_reaches_another_origin() {
    let mut bad = Vec::new();
    for (rel, path) in web_files() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // binary files (icons) carry no references
        };
        for r in external_refs(&text) {
            bad.push(format!("{rel}: {r}"));
        }
    }
    assert!(bad.is_empty(), "external references:\n{}", bad.join("\n"));
}

#[tokio::test]
async fn a_missing_page_is_a_404_page() {
    let app = TestApp::new().await;
    for url in [
        "/ui/ops/no-such-page.html",
        "/ui/nothing/",
        "/ui/ops/queue.js.map",
    ] {
        let r = app.call(Method::GET, url, None, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{url}");
        assert_eq!(content_type(&r), "text/html; charset=utf-8", "{url}");
    }
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn dispatch_candidates_follow_the_workflow_and_the_case_region() {
    let app = TestApp::new().await;
    let intake = app.login("intake_a").await;
    let dispatcher = app.login("dispatcher_a").await;
    let c = new_case(
        &app,
        &intake,
        case_body("general", "facilities.street_light", "东华路路灯不亮"),
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    let url = format!("/api/v1/cases/{id}/assignees");

    // 信息收集: nobody may dispatch yet.
    let r = app.get(&url, &dispatcher).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r:?}");

    act(&app, "intake_a", id, json!({"action": "register"})).await;
    let r = app.get(&url, &dispatcher).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let names = ids(&r.body);
    // Who works 任务派遣 (accept/return): department handlers and grid workers covering GRID_A.
    assert!(names.contains(&"handler_a".to_string()), "{names:?}");
    assert!(names.contains(&"grid_a".to_string()), "{names:?}");
    for not in [
        "grid_b",
        "mediator_a",
        "dispatcher_a",
        "leader_a",
        "county_admin",
    ] {
        assert!(!names.contains(&not.to_string()), "{not} in {names:?}");
    }
    let handler = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "handler_a");
    assert_eq!(handler.unwrap()["role_name"], "部门处置人员");

    // Naming the action works; an action without an assignee is refused by field.
    let r = app
        .get(&format!("{url}?action=dispatch"), &dispatcher)
        .await;
    assert_eq!(ids(&r.body), names);
    let r = app.get(&format!("{url}?action=accept"), &dispatcher).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{r:?}");
    assert_eq!(r.body["details"]["field"], "action");

    // A handler may not dispatch; village B does not see the case at all.
    let r = app.get(&url, &app.login("handler_a").await).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r:?}");
    let r = app.get(&url, &app.login("grid_b").await).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{r:?}");

    // A listed candidate is accepted by the dispatch itself.
    let handler = r_id(&app.get(&url, &dispatcher).await.body, "handler_a");
    let after = act(
        &app,
        "dispatcher_a",
        id,
        json!({"action": "dispatch", "assignee": handler}),
    )
    .await;
    assert_eq!(after["state"], "dispatched");
    assert_eq!(after["assignee_user_id"], handler);

    // A dispute's 指派调解员 lists the mediators and others who mediate.
    let d = app
        .post(
            "/api/v1/disputes",
            &app.login("mediator_a").await,
            json!({"category": "dispute.neighbor", "region_code": GRID_A, "title": "排水沟堵塞引发争执",
                   "description": "两户争执", "came_by": "screening",
                   "parties": [{"role": "applicant", "name": "甲"}, {"role": "respondent", "name": "乙"}]}),
        )
        .await;
    assert_eq!(d.status, StatusCode::CREATED, "{d:?}");
    let did = d.body["case"]["id"].as_i64().unwrap();
    let r = app
        .get(&format!("/api/v1/cases/{did}/assignees"), &dispatcher)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let names = ids(&r.body);
    assert!(names.contains(&"mediator_a".to_string()), "{names:?}");
    assert!(!names.contains(&"handler_a".to_string()), "{names:?}");
}

fn r_id(list: &Value, username: &str) -> i64 {
    list.as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn revealing_a_case_s_people_asks_a_reason_and_is_audited() {
    let app = TestApp::new().await;
    let intake = app.login("intake_a").await;
    let mut body = case_body("general", "environment.noise", "夜间噪声扰民");
    body["reporter_name"] = json!("李大爷");
    body["reporter_phone"] = json!("13807351234");
    body["parties"] = json!([{"role": "respondent", "name": "某饭店", "phone": "13907355678", "id_number": id_number(7)}]);
    let c = new_case(&app, &intake, body).await;
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["reporter_phone"], "138****1234");
    let url = format!("/api/v1/cases/{id}/reveal");

    let before = app.audit_count().await;
    let r = app.post(&url, &intake, json!({"reason": " "})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{r:?}");
    assert_eq!(r.body["details"]["field"], "reason");
    assert_eq!(
        app.audit_count().await,
        before,
        "a refused reveal is not logged as one"
    );

    let r = app
        .post(&url, &intake, json!({"reason": "电话回访反映人"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.body["reporter_phone"], "13807351234");
    assert_eq!(r.body["parties"][0]["phone"], "13907355678");
    assert_eq!(r.body["parties"][0]["id_number"], id_number(7).as_str());
    assert_eq!(app.audit_count().await, before + 1);
    let county = app.login("county_admin").await;
    let log = app.get("/api/v1/audit?action=case.reveal", &county).await;
    let entry = log
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "case.reveal")
        .unwrap_or_else(|| panic!("no case.reveal entry: {log:?}"))
        .clone();
    assert_eq!(entry["target_id"], id.to_string().as_str(), "{entry}");
    assert!(entry.to_string().contains("电话回访反映人"), "{entry}");

    // Leaders see figures, not phone numbers; village B does not see the case.
    let r = app
        .post(
            &url,
            &app.login("leader_a").await,
            json!({"reason": "查看"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r:?}");
    let r = app
        .post(&url, &app.login("grid_b").await, json!({"reason": "查看"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{r:?}");
}
