//! The real `wangge` binary, driven as an operator would: checks, the demo, users and
//! tokens, region import, audit verification against tampering, backup, and serving.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn wangge(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wangge"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("WANGGE_DATABASE_URL")
        .env("WANGGE_LOG", "warn")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn check_commands_give_verdict_and_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let ok = wangge(dir.path(), &["check", "id-number", "11010519491231002X"]);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("1949-12-31") && text(&ok).contains("女"));
    let bad = wangge(dir.path(), &["check", "id-number", "110105194912310021"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad).contains("校验码错误"), "{}", text(&bad));
    let ok = wangge(dir.path(), &["check", "uscc", "91350100M000100Y43"]);
    assert!(ok.status.success(), "{}", text(&ok));
    let bad = wangge(dir.path(), &["check", "uscc", "91350100M000100Y4O"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad).contains("第18位"), "{}", text(&bad));
}

async fn rows(dir: &Path, sql: &str) -> Vec<(String, String)> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}", dir.join("wangge.db").display());
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
}

async fn exec(dir: &Path, sql: &str) {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}", dir.join("wangge.db").display());
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::query(sql).execute(&mut c).await.unwrap();
}

#[tokio::test]
async fn demo_holds_the_official_guidong_regions() {
    let dir = tempfile::tempdir().unwrap();
    let o = wangge(dir.path(), &["demo", "--no-serve"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Wangge@2026") && text(&o).contains("gridworker"));
    // Every township and village of the official list, with its code and name.
    let official: Vec<(String, String)> = include_str!("../../../data/regions/431027.csv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("code"))
        .map(|l| {
            let (c, n) = l.split_once(',').unwrap();
            (c.to_string(), n.to_string())
        })
        .filter(|(c, _)| c.starts_with("431027") && c != "431027000000")
        .collect();
    assert_eq!(official.len(), 12 + 113);
    let stored = rows(
        dir.path(),
        "SELECT code, name FROM regions WHERE code >= '431027' AND code < '431028' \
         AND level IN ('township', 'village') ORDER BY code",
    )
    .await;
    assert_eq!(stored, official);
    // Spot checks against the published list.
    for (code, name) in [
        ("431027100000", "沤江镇"),
        ("431027101000", "沙田镇"),
        ("431027213000", "青山乡"),
        ("431027400000", "宋坪林场"),
        ("431027100001", "东华社区居委会"),
    ] {
        assert!(
            stored.contains(&(code.into(), name.into())),
            "{code} {name}"
        );
    }
    // Running the demo again reuses the database.
    let o = wangge(dir.path(), &["demo", "--no-serve"]);
    assert!(text(&o).contains("使用已有的演示数据库"), "{}", text(&o));
}

#[tokio::test]
async fn audit_verify_names_an_edited_or_deleted_entry() {
    let dir = tempfile::tempdir().unwrap();
    assert!(wangge(dir.path(), &["demo", "--no-serve"]).status.success());
    for args in [
        [
            "user",
            "add",
            "--username",
            "zhou",
            "--password",
            "Tiaojie#2026",
            "--role",
            "mediator",
            "--region",
            "431027100000",
        ]
        .as_slice(),
        ["token", "add", "--username", "zhou", "--label", "调解终端"].as_slice(),
    ] {
        let o = wangge(dir.path(), args);
        assert!(o.status.success(), "{}", text(&o));
    }
    let o = wangge(dir.path(), &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("哈希链校验通过"), "{}", text(&o));

    exec(
        dir.path(),
        "UPDATE audit_log SET actor = 'someone' WHERE seq = 3",
    )
    .await;
    let o = wangge(dir.path(), &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("第 3 条"), "{}", text(&o));

    let dir2 = tempfile::tempdir().unwrap();
    assert!(wangge(dir2.path(), &["demo", "--no-serve"])
        .status
        .success());
    let o = wangge(
        dir2.path(),
        &[
            "user",
            "add",
            "--username",
            "qian",
            "--password",
            "Lingdao#2026",
            "--role",
            "leader",
            "--region",
            "431027000000",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    exec(dir2.path(), "DELETE FROM audit_log WHERE seq = 2").await;
    let o = wangge(dir2.path(), &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("第 2 条"), "{}", text(&o));
}

#[tokio::test]
async fn user_add_refuses_bad_input_and_import_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let weak = wangge(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "a1",
            "--password",
            "weak",
            "--role",
            "admin",
            "--region",
            "431027",
        ],
    );
    assert_eq!(weak.status.code(), Some(2));
    assert!(text(&weak).contains("密码至少8位"), "{}", text(&weak));
    let role = wangge(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "a1",
            "--password",
            "Strong#2026",
            "--role",
            "king",
            "--region",
            "431027",
        ],
    );
    assert!(text(&role).contains("未知角色"), "{}", text(&role));
    let region = wangge(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "a1",
            "--password",
            "Strong#2026",
            "--role",
            "admin",
            "--region",
            "431027",
        ],
    );
    assert!(text(&region).contains("不存在"), "{}", text(&region));

    let good = dir.path().join("regions.json");
    std::fs::write(
        &good,
        r#"[{"code":"431027000000","name":"桂东县"},{"code":"431027100000","name":"沤江镇"}]"#,
    )
    .unwrap();
    let o = wangge(dir.path(), &["import", "regions", good.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("新增 2 个"), "{}", text(&o));
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "code,name\n431027101000,沙田镇\n431027101201,某村\n431027300201,无主村\n",
    )
    .unwrap();
    let o = wangge(dir.path(), &["import", "regions", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("431027300201") && text(&o).contains("不存在"),
        "{}",
        text(&o)
    );
    let n = rows(dir.path(), "SELECT code, name FROM regions")
        .await
        .len();
    assert_eq!(n, 2, "nothing of the refused file was kept");
}

#[tokio::test]
async fn backup_is_a_consistent_copy() {
    let dir = tempfile::tempdir().unwrap();
    assert!(wangge(dir.path(), &["demo", "--no-serve"]).status.success());
    let dest = dir.path().join("backup.db");
    let o = wangge(dir.path(), &["backup", dest.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(&dest, copy.path().join("wangge.db")).unwrap();
    let n = rows(
        copy.path(),
        "SELECT code, name FROM regions WHERE level = 'village'",
    )
    .await
    .len();
    assert_eq!(n, 113);
}

/// Serve on a free port, log in over real HTTP, use a CLI-made API token.
#[test]
fn serve_answers_over_http_with_cli_tokens() {
    let dir = tempfile::tempdir().unwrap();
    assert!(wangge(dir.path(), &["demo", "--no-serve"]).status.success());
    let o = wangge(
        dir.path(),
        &["token", "add", "--username", "intake", "--label", "12345"],
    );
    let token = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert!(token.starts_with("wgt_"), "{}", text(&o));
    let mut child = Command::new(env!("CARGO_BIN_EXE_wangge"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("WANGGE_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let get = |path: &str, auth: &str| {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {auth}\r\nConnection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let health = get("/healthz", "");
    assert!(
        health.starts_with("HTTP/1.1 200") && health.contains("\"ok\""),
        "{health}"
    );
    let region = get("/api/v1/regions/431027000000", &token);
    assert!(
        region.starts_with("HTTP/1.1 200") && region.contains("沤江镇"),
        "{region}"
    );
    let denied = get("/api/v1/regions/431027000000", "wgt_nope");
    assert!(denied.starts_with("HTTP/1.1 401"), "{denied}");
    child.kill().unwrap();
    let _ = child.wait();
}

#[test]
fn calendar_commands_answer_operators() {
    let dir = tempfile::tempdir().unwrap();
    let out = |args: &[&str]| {
        let o = wangge(dir.path(), args);
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).trim().to_string(),
        )
    };
    assert_eq!(
        out(&["calendar", "is-workday", "2026-02-17"]),
        (Some(0), "rest day (春节)".into())
    );
    assert_eq!(
        out(&["calendar", "is-workday", "2026-02-14"]),
        (Some(0), "workday (调休上班: 春节)".into())
    );
    assert_eq!(
        out(&["calendar", "is-workday", "2025-10-08"]),
        (Some(0), "rest day (国庆节、中秋节)".into())
    );
    assert_eq!(
        out(&["calendar", "is-workday", "2026-03-09"]),
        (Some(0), "workday".into())
    );
    assert_eq!(
        out(&["calendar", "due", "2025-01-24", "--working-days", "5"]),
        (Some(0), "2025-02-07".into())
    );
    assert_eq!(
        out(&["calendar", "due", "2025-09-16", "--days", "15"]),
        (Some(0), "2025-10-09".into())
    );
    assert_eq!(
        out(&[
            "calendar",
            "due",
            "2026-03-06T17:00",
            "--working-hours",
            "4"
        ]),
        (Some(0), "2026-03-09 12:00".into())
    );
    // Beyond the loaded years: refused, not guessed.
    let o = wangge(dir.path(), &["calendar", "is-workday", "2027-01-04"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("2027"), "{}", text(&o));
    assert_eq!(
        wangge(
            dir.path(),
            &["calendar", "due", "2026-12-20", "--working-days", "30"]
        )
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn a_wrong_master_key_or_a_missing_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(wangge(dir.path(), &["demo", "--no-serve"]).status.success());
    let wrong = Command::new(env!("CARGO_BIN_EXE_wangge"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["audit", "verify"])
        .env("WANGGE_SECRET_KEY", "00".repeat(32))
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        text(&wrong).contains("主密钥与数据库不匹配"),
        "{}",
        text(&wrong)
    );
    let typo = dir.path().join("wangge-dmeo");
    let o = wangge(&typo, &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("数据库不存在"), "{}", text(&o));
    assert!(
        !typo.join("wangge.db").exists(),
        "no empty database was created"
    );
    let shown = wangge(dir.path(), &["config", "show"]);
    assert!(
        text(&shown).contains("idle_timeout_minutes = 30"),
        "{}",
        text(&shown)
    );
}

#[tokio::test]
async fn import_roster_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    assert!(wangge(dir.path(), &["demo", "--no-serve"]).status.success());
    let neighbors: Vec<String> = ["431027100001001010101", "431027100001001010102"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (csv, expected) = wangge_importers::generate_roster_csv(5, 60, 0.05, &neighbors);
    assert!(!expected.is_empty());
    let file = dir.path().join("花名册.csv");
    std::fs::write(&file, csv).unwrap();
    let count = || async {
        rows(
            dir.path(),
            "SELECT CAST(COUNT(*) AS TEXT), '' FROM residents",
        )
        .await[0]
            .0
            .clone()
    };
    let before = count().await;
    let o = wangge(
        dir.path(),
        &[
            "import",
            "roster",
            file.to_str().unwrap(),
            "--mode",
            "all-or-nothing",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("数据库未改动"), "{}", text(&o));
    assert_eq!(
        count().await,
        before,
        "all-or-nothing left the database untouched"
    );
    let report = dir.path().join("花名册-errors.xlsx");
    assert!(report.exists());
    let o = wangge(dir.path(), &["import", "roster", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("已导入"), "{}", text(&o));
    let after = count().await;
    assert!(after.parse::<i64>().unwrap() > before.parse::<i64>().unwrap());
    let o = wangge(dir.path(), &["import", "roster", file.to_str().unwrap()]);
    assert!(
        text(&o).contains("新增 0 户") && text(&o).contains("新增 0 人"),
        "{}",
        text(&o)
    );
    assert_eq!(count().await, after, "re-import updates, never duplicates");
}
