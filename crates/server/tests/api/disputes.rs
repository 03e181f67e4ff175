//! Dispute mediation end to end: intake with parties, two sessions, a legal advisor's
//! consultation, the agreement as PDF with both parties' confirmations, judicial
//! confirmation, follow-up, and the success-rate statistics; the risk watch list;
//! failure and referral; non-performance reopening.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

async fn raw_get(app: &TestApp, path: &str, token: &str) -> Vec<u8> {
    use http_body_util::BodyExt;
    let req = Request::builder()
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let resp = tower::ServiceExt::oneshot(app.router.clone(), req)
        .await
        .unwrap();
    resp.into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec()
}

async fn user_id(app: &TestApp, username: &str) -> i64 {
    let t = app.login(username).await;
    app.get("/api/v1/auth/me", &t).await.body["id"]
        .as_i64()
        .unwrap()
}

fn dispute(title: &str, description: &str, ids: (u16, u16)) -> Value {
    json!({
        "category": "dispute.homestead", "region_code": GRID_A, "title": title, "description": description,
        "came_by": "screening", "amount_yuan": 20000.0,
        "parties": [
            {"role": "applicant", "name": "黄建国", "id_number": id_number(ids.0), "phone": "13800001001"},
            {"role": "respondent", "name": "李德明", "id_number": id_number(ids.1), "phone": "13800001002"}
        ]
    })
}

async fn ok(app: &TestApp, who: &str, method: Method, path: &str, body: Value) -> Value {
    let t = app.login(who).await;
    let r = app
        .call(method.clone(), path, Some(&t), Some(body.clone()))
        .await;
    assert!(
        r.status.is_success(),
        "{who} {method} {path} {body} → {r:?}"
    );
    r.body
}

#[tokio::test]
async fn a_dispute_from_intake_to_signed_agreement_follow_up_and_statistics() {
    let app = TestApp::new().await;
    let d = ok(
        &app,
        "intake_a",
        Method::POST,
        "/api/v1/disputes",
        dispute(
            "两户宅基地界址纠纷",
            "黄家与李家因宅基地界址发生争执",
            (201, 202),
        ),
    )
    .await;
    let id = d["case"]["id"].as_i64().unwrap();
    assert_eq!(
        (d["case"]["type"].as_str(), d["came_by"].as_str()),
        (Some("dispute"), Some("screening"))
    );
    assert_eq!(d["parties"].as_array().unwrap().len(), 2);
    assert!(
        d["parties"][0]["id_number"]
            .as_str()
            .unwrap()
            .contains("**********"),
        "masked"
    );
    let mediator = user_id(&app, "mediator_a").await;
    ok(
        &app,
        "intake_a",
        Method::POST,
        &format!("/api/v1/cases/{id}/transitions"),
        json!({"action": "assign", "assignee": mediator}),
    )
    .await;

    // Session 1 in the field; no agreement yet.
    let s1 = json!({"held_at": "2026-03-02T09:00:00+08:00", "place": "争议地块田间", "attendees": ["黄建国", "李德明", "王组长"],
                    "facts": "两家对界址石位置认识不一", "proposals": "请村里老人指认原界址", "result": "continue"});
    ok(
        &app,
        "mediator_a",
        Method::POST,
        &format!("/api/v1/disputes/{id}/sessions"),
        s1,
    )
    .await;
    // The mediator phones the village legal advisor; the answer is kept in the file.
    let advisor = user_id(&app, "advisor_a").await;
    let q = ok(
        &app,
        "mediator_a",
        Method::POST,
        &format!("/api/v1/disputes/{id}/consultations"),
        json!({"question": "界址以土地证为准还是以老界石为准？", "advisor_id": advisor}),
    )
    .await;
    let qid = q["id"].as_i64().unwrap();
    let t = app.login("mediator_a").await;
    assert_eq!(
        app.post(
            &format!("/api/v1/consultations/{qid}/answer"),
            &t,
            json!({"answer": "x"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN,
        "only legal advisors answer"
    );
    ok(
        &app,
        "advisor_a",
        Method::POST,
        &format!("/api/v1/consultations/{qid}/answer"),
        json!({"answer": "以不动产权证书记载为准；证书不清的，可参考历史界石并由双方确认。"}),
    )
    .await;
    // Session 2: agreed on the spot.
    let s2 = json!({"held_at": "2026-03-02T09:40:00+08:00", "place": "黄家院坝", "attendees": ["黄建国", "李德明", "法律顾问"],
                    "facts": "经核对土地证，界址以证载为准", "proposals": "李家退让0.5米，重砌界墙，费用各半", "result": "success"});
    let after = ok(
        &app,
        "mediator_a",
        Method::POST,
        &format!("/api/v1/disputes/{id}/sessions"),
        s2,
    )
    .await;
    assert_eq!(
        (after["case"]["state"].as_str(), after["outcome"].as_str()),
        (Some("resolved"), Some("success"))
    );
    assert_eq!(after["sessions"].as_array().unwrap().len(), 2);
    assert!(after["consultations"][0]["answer"]
        .as_str()
        .unwrap()
        .contains("不动产权证书"));

    // The agreement, then both confirmations: one scanned paper signature, one on a device.
    let agreement = json!({"committee": "沤江镇人民调解委员会", "facts": "黄建国与李德明因宅基地界址发生纠纷。",
        "disputed_points": "界址位置及界墙费用。", "responsibilities": "双方均有责任。",
        "terms": ["李德明将界墙向东退让0.5米。", "重砌界墙费用双方各承担一半。"],
        "performance": "2026年3月20日前在争议地块完成。", "mediators": ["周调解"], "signed_date": "2026-03-02"});
    let f = ok(
        &app,
        "mediator_a",
        Method::PUT,
        &format!("/api/v1/disputes/{id}/agreement"),
        agreement.clone(),
    )
    .await;
    assert!(
        f["agreement"]["number"]
            .as_str()
            .unwrap()
            .contains("调字〔2026〕"),
        "{}",
        f["agreement"]
    );
    let parties: Vec<i64> = f["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    let scan = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/cases/{id}/attachments?filename=sign.png"))
        .header(header::AUTHORIZATION, format!("Bearer {t}"))
        .header(header::CONTENT_TYPE, "image/png")
        .body(Body::from(b"\x89PNG\r\n\x1a\nscan".to_vec()))
        .unwrap();
    let att = app.request(scan).await.body["id"].as_i64().unwrap();
    ok(
        &app,
        "mediator_a",
        Method::POST,
        &format!("/api/v1/disputes/{id}/agreement/signatures"),
        json!({"party_id": parties[0], "method": "paper_scan", "attachment_id": att}),
    )
    .await;
    let locked = app
        .put(&format!("/api/v1/disputes/{id}/agreement"), &t, agreement)
        .await;
    assert_eq!(
        locked.body["code"], "agreement_signed",
        "no edits after a signature"
    );
    let signed = ok(
        &app,
        "mediator_a",
        Method::POST,
        &format!("/api/v1/disputes/{id}/agreement/signatures"),
        json!({"party_id": parties[1], "method": "device"}),
    )
    .await;
    let a = &signed["agreement"];
    assert!(a["effective_at"].is_string(), "{a}");
    assert_eq!(
        a["judicial_deadline"], "2026-04-01",
        "30 days after taking effect on 2 March"
    );
    // The PDF and the printable page.
    let pdf = app
        .request(
            Request::builder()
                .uri(a["pdf_url"].as_str().unwrap())
                .header(header::AUTHORIZATION, format!("Bearer {t}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert!(
        pdf.body.as_str().unwrap_or_default().starts_with("%PDF"),
        "a PDF document"
    );
    // Its text reads back in Chinese: title, both parties, a term, the committee, the confirmations.
    let bytes = raw_get(&app, a["pdf_url"].as_str().unwrap(), &t).await;
    let text: String = pdf_extract::extract_text_from_mem(&bytes)
        .unwrap()
        .split_whitespace()
        .collect();
    for want in [
        "人民调解协议书",
        "黄建国",
        "李德明",
        "李德明将界墙向东退让0.5米",
        "沤江镇人民调解委员会",
        "纸质签字扫描",
        "设备确认",
    ] {
        assert!(
            text.contains(want),
            "{want} missing from the PDF text: {text}"
        );
    }
    assert_eq!(
        pdf.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/pdf"
    );
    let html = app
        .request(
            Request::builder()
                .uri(a["html_url"].as_str().unwrap())
                .header(header::AUTHORIZATION, format!("Bearer {t}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let page = html.body.as_str().unwrap_or_default().to_string();
    assert!(
        page.contains("人民调解协议书")
            && page.contains("黄建国")
            && page.contains("李德明将界墙向东退让0.5米"),
        "{page}"
    );
    ok(
        &app,
        "mediator_a",
        Method::POST,
        &format!("/api/v1/disputes/{id}/judicial-confirmation"),
        json!({"number": "（2026）湘1027民特12号"}),
    )
    .await;
    // Follow-up: performed → closed.
    let done = ok(
        &app,
        "mediator_a",
        Method::POST,
        &format!("/api/v1/disputes/{id}/followups"),
        json!({"performed": true, "note": "界墙已重砌，双方满意"}),
    )
    .await;
    assert_eq!(done["case"]["state"], "closed");
    assert_eq!(
        done["agreement"]["judicial_number"],
        "（2026）湘1027民特12号"
    );
    // Statistics: one screened, one resolved, 100%.
    let s = ok(
        &app,
        "leader_a",
        Method::GET,
        &format!("/api/v1/disputes/stats?region={VILLAGE_A}&from=2026-03-01&to=2026-03-31"),
        Value::Null,
    )
    .await;
    assert_eq!(
        (
            s["total"]["screened"].as_i64(),
            s["total"]["resolved"].as_i64(),
            s["total"]["success_rate"].as_f64()
        ),
        (Some(1), Some(1), Some(1.0)),
        "{s}"
    );
    assert_eq!(s["by_category"][0]["name"], "房屋宅基地");
    assert_eq!(s["by_mediator"][0]["key"], mediator.to_string());
    // Village B sees none of it.
    let b = app.login("grid_b").await;
    assert_eq!(
        app.get(&format!("/api/v1/disputes/{id}"), &b).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn threats_put_a_dispute_on_the_watch_list_and_failure_refers_it() {
    let app = TestApp::new().await;
    let calm = ok(
        &app,
        "intake_a",
        Method::POST,
        "/api/v1/disputes",
        dispute("排水沟堵塞", "邻里因排水沟堵塞发生口角", (211, 212)),
    )
    .await;
    let hot = ok(
        &app,
        "intake_a",
        Method::POST,
        "/api/v1/disputes",
        dispute(
            "宅基地纠纷再起",
            "李某扬言要砍死对方，还说要放火烧房",
            (213, 214),
        ),
    )
    .await;
    let (calm_id, hot_id) = (
        calm["case"]["id"].as_i64().unwrap(),
        hot["case"]["id"].as_i64().unwrap(),
    );
    assert!(hot["risk"]["score"].as_u64().unwrap() > calm["risk"]["score"].as_u64().unwrap());
    let w = ok(
        &app,
        "leader_a",
        Method::GET,
        &format!("/api/v1/disputes/watchlist?region={VILLAGE_A}"),
        Value::Null,
    )
    .await;
    let ids: Vec<i64> = w
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["case_id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&hot_id) && !ids.contains(&calm_id), "{w}");
    let reasons = w[0]["risk"]["reasons"].to_string();
    assert!(
        reasons.contains("砍") || reasons.contains("放火"),
        "the reasons name the words: {reasons}"
    );
    // Mediation fails; the dispute is referred to litigation.
    let mediator = user_id(&app, "mediator_a").await;
    ok(
        &app,
        "intake_a",
        Method::POST,
        &format!("/api/v1/cases/{hot_id}/transitions"),
        json!({"action": "assign", "assignee": mediator}),
    )
    .await;
    let t = app.login("mediator_a").await;
    let fail = json!({"held_at": "2026-03-02T09:00:00+08:00", "place": "村部调解室", "attendees": ["李某"], "facts": "双方拒不让步", "proposals": "建议诉讼", "result": "failure"});
    let no_reason = app
        .post(
            &format!("/api/v1/disputes/{hot_id}/sessions"),
            &t,
            fail.clone(),
        )
        .await;
    assert_eq!(no_reason.body["details"]["field"], "reason");
    let mut fail = fail;
    fail["reason"] = json!("双方分歧过大");
    let f = ok(
        &app,
        "mediator_a",
        Method::POST,
        &format!("/api/v1/disputes/{hot_id}/sessions"),
        fail,
    )
    .await;
    assert_eq!(
        (f["case"]["state"].as_str(), f["outcome"].as_str()),
        (Some("failed"), Some("failure"))
    );
    let r = ok(
        &app,
        "mediator_a",
        Method::POST,
        &format!("/api/v1/disputes/{hot_id}/refer"),
        json!({"to": "litigation", "note": "已告知向法院起诉的途径"}),
    )
    .await;
    assert_eq!(
        (r["case"]["state"].as_str(), r["referral"].as_str()),
        (Some("referred"), Some("litigation"))
    );
    // 民转刑 is recorded and counted.
    ok(&app, "mediator_a", Method::POST, &format!("/api/v1/disputes/{hot_id}/outcomes"), json!({"civil_to_criminal": true, "criminal_to_homicide": false, "note": "双方斗殴，已移交公安"})).await;
    let s = ok(
        &app,
        "leader_a",
        Method::GET,
        &format!("/api/v1/disputes/stats?region={VILLAGE_A}&from=2026-03-01&to=2026-03-31"),
        Value::Null,
    )
    .await;
    assert_eq!(
        (
            s["total"]["screened"].as_i64(),
            s["total"]["failed"].as_i64(),
            s["total"]["civil_to_criminal"].as_i64()
        ),
        (Some(2), Some(1), Some(1))
    );
}

#[tokio::test]
async fn an_agreement_not_performed_reopens_the_dispute() {
    let app = TestApp::new().await;
    let d = ok(
        &app,
        "intake_a",
        Method::POST,
        "/api/v1/disputes",
        dispute("借款纠纷", "欠款未还", (221, 222)),
    )
    .await;
    let id = d["case"]["id"].as_i64().unwrap();
    let mediator = user_id(&app, "mediator_a").await;
    ok(
        &app,
        "intake_a",
        Method::POST,
        &format!("/api/v1/cases/{id}/transitions"),
        json!({"action": "assign", "assignee": mediator}),
    )
    .await;
    ok(&app, "mediator_a", Method::POST, &format!("/api/v1/disputes/{id}/sessions"),
       json!({"held_at": "2026-03-02T09:00:00+08:00", "place": "村部", "attendees": ["甲", "乙"], "facts": "欠款属实", "proposals": "分两期还清", "result": "success"})).await;
    let r = ok(
        &app,
        "mediator_a",
        Method::POST,
        &format!("/api/v1/disputes/{id}/followups"),
        json!({"performed": false, "note": "第一期款项未按期支付"}),
    )
    .await;
    assert_eq!(
        (r["case"]["state"].as_str(), r["outcome"].is_null()),
        (Some("mediating"), true),
        "{r}"
    );
    assert_eq!(r["followups"][0]["performed"], false);
    // Bad input names the field.
    let t = app.login("intake_a").await;
    let mut bad = dispute("x", "y", (223, 224));
    bad["parties"] = json!([{"role": "applicant", "name": "甲"}]);
    assert_eq!(
        app.post("/api/v1/disputes", &t, bad).await.body["details"]["field"],
        "parties"
    );
    // An organisation is a party by its 统一社会信用代码, not a 身份证号.
    let mut org = dispute("劳务费纠纷", "合作社拖欠劳务费", (227, 228));
    org["category"] = json!("dispute.labor");
    org["parties"][1] =
        json!({"role": "respondent", "name": "桂东县某农业合作社", "uscc": "91350100M000100Y43"});
    let created = app.post("/api/v1/disputes", &t, org.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(created.body["parties"][1]["uscc"], "91350100M000100Y43");
    org["parties"][1]["uscc"] = json!("91350100M000100Y42");
    assert_eq!(
        app.post("/api/v1/disputes", &t, org).await.body["details"]["field"],
        "parties[1].uscc"
    );
    let mut bad = dispute("x", "y", (225, 226));
    bad["category"] = json!("facilities.road");
    assert_eq!(
        app.post("/api/v1/disputes", &t, bad).await.body["details"]["field"],
        "category"
    );
}

#[tokio::test]
async fn any_dispute_case_has_a_file_and_the_watch_list_is_not_for_everyone() {
    let app = TestApp::new().await;
    // A dispute raised through the generic case intake still gets its file.
    let grid = app.login("grid_a").await;
    let c = app
        .post("/api/v1/cases", &grid, json!({"type": "dispute", "category": "dispute.neighbor", "source": "grid_report", "region_code": GRID_A, "title": "邻里争吵", "description": "x"}))
        .await;
    assert_eq!(c.status, StatusCode::CREATED, "{c:?}");
    let id = c.body["id"].as_i64().unwrap();
    let f = ok(
        &app,
        "mediator_a",
        Method::GET,
        &format!("/api/v1/disputes/{id}"),
        Value::Null,
    )
    .await;
    assert_eq!(f["came_by"], "screening");
    // Its outcome follows the workflow even when fired through /transitions.
    let mediator = user_id(&app, "mediator_a").await;
    ok(
        &app,
        "grid_a",
        Method::POST,
        &format!("/api/v1/cases/{id}/transitions"),
        json!({"action": "assign", "assignee": mediator}),
    )
    .await;
    ok(
        &app,
        "mediator_a",
        Method::POST,
        &format!("/api/v1/cases/{id}/transitions"),
        json!({"action": "succeed", "resolution": "握手言和"}),
    )
    .await;
    let f = ok(
        &app,
        "mediator_a",
        Method::GET,
        &format!("/api/v1/disputes/{id}"),
        Value::Null,
    )
    .await;
    assert_eq!(f["outcome"], "success");
    for who in ["enterprise_a", "handler_a"] {
        let t = app.login(who).await;
        for path in [
            format!("/api/v1/disputes/watchlist?region={VILLAGE_A}"),
            format!("/api/v1/disputes/stats?region={VILLAGE_A}&from=2026-01-01&to=2026-12-31"),
        ] {
            let r = app.get(&path, &t).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} {path} → {r:?}");
        }
    }
}
