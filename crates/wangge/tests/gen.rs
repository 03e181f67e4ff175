//! `wangge gen`, driven as an operator would: the counts add up, the rollups agree with
//! the cases, the same seed gives the same data, the audit chain holds, personal data is
//! encrypted and valid, and the server serves what was generated.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use sqlx::AnyConnection;

const GEN: [&str; 11] = [
    "gen",
    "--cases",
    "2000",
    "--counties",
    "2",
    "--seed",
    "7",
    "--until",
    "2026-11-01",
    "--households-per-village",
    "4",
];

fn wangge(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wangge"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("WANGGE_DATABASE_URL")
        .env_remove("WANGGE_SECRET_KEY")
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

async fn db(dir: &Path) -> AnyConnection {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}", dir.join("wangge.db").display());
    <AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap()
}

async fn one(c: &mut AnyConnection, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut *c).await.unwrap();
    n
}

async fn fingerprint(c: &mut AnyConnection) -> (u64, u64) {
    let cases: Vec<(String, String, String)> =
        sqlx::query_as("SELECT number, title, state FROM cases ORDER BY id")
            .fetch_all(&mut *c)
            .await
            .unwrap();
    let events: Vec<(i64, i64, String, String, String)> =
        sqlx::query_as("SELECT case_id, at, action, to_state, data FROM case_events ORDER BY id")
            .fetch_all(&mut *c)
            .await
            .unwrap();
    let mut h1 = DefaultHasher::new();
    cases.hash(&mut h1);
    let mut h2 = DefaultHasher::new();
    events.hash(&mut h2);
    (h1.finish(), h2.finish())
}

async fn generated_counts_add_up(dir: &Path) {
    let mut c = db(dir).await;
    assert_eq!(one(&mut c, "SELECT COUNT(*) FROM cases").await, 2000);
    assert_eq!(
        one(&mut c, "SELECT COUNT(DISTINCT number) FROM cases").await,
        2000
    );
    assert_eq!(
        one(
            &mut c,
            "SELECT COUNT(*) FROM case_events WHERE action = 'create'"
        )
        .await,
        2000
    );
    assert_eq!(
        one(
            &mut c,
            "SELECT COUNT(*) FROM regions WHERE level = 'county'"
        )
        .await,
        2
    );
    let grids = one(&mut c, "SELECT COUNT(*) FROM regions WHERE level = 'grid'").await;
    assert!(grids > 100, "{grids}");
    assert_eq!(one(&mut c, "SELECT COUNT(*) FROM grids").await, grids);
    assert!(one(&mut c, "SELECT COUNT(*) FROM residents").await > 500);
    assert_eq!(
        one(
            &mut c,
            "SELECT COUNT(*) FROM residents WHERE household_id IS NULL"
        )
        .await,
        0
    );
    // Every type, with a realistic mix.
    let types: Vec<(String, i64)> =
        sqlx::query_as("SELECT type, COUNT(*) FROM cases GROUP BY type ORDER BY type")
            .fetch_all(&mut c)
            .await
            .unwrap();
    assert_eq!(types.len(), 5, "{types:?}");
    for (t, n) in &types {
        let share = *n as f64 / 2000.0;
        let want = match t.as_str() {
            "general" => 0.45,
            "hotline_12345" => 0.30,
            "dispute" => 0.12,
            "device_alert" => 0.08,
            _ => 0.05,
        };
        assert!((share - want).abs() < 0.04, "{t}: {share}");
    }
    // Most old cases are finished, recent ones are open.
    let old_open = one(
        &mut c,
        "SELECT COUNT(*) FROM cases WHERE terminal = 0 AND month < '2026-06'",
    )
    .await;
    let old = one(&mut c, "SELECT COUNT(*) FROM cases WHERE month < '2026-06'").await;
    assert!(old_open * 10 < old, "{old_open} of {old}");
    assert!(one(&mut c, "SELECT COUNT(*) FROM cases WHERE terminal = 0").await > 0);
    // Disputes: details for each, sessions for those that were mediated to an outcome.
    assert_eq!(
        one(&mut c, "SELECT COUNT(*) FROM dispute_details").await,
        one(&mut c, "SELECT COUNT(*) FROM cases WHERE type = 'dispute'").await
    );
    assert_eq!(
        one(
            &mut c,
            "SELECT COUNT(*) FROM cases c WHERE type = 'dispute' AND state IN ('resolved', 'closed', 'failed', 'referred') \
             AND NOT EXISTS (SELECT 1 FROM mediation_sessions s WHERE s.case_id = c.id)"
        )
        .await,
        0
    );
    assert!(
        one(
            &mut c,
            "SELECT COUNT(*) FROM case_parties WHERE id_number_hash IS NOT NULL"
        )
        .await
            > 0
    );
}

async fn rollups_agree_with_cases(dir: &Path) {
    let mut c = db(dir).await;
    // The generator writes with foreign keys unchecked; every reference must hold.
    let broken: Vec<(String, i64, String, i64)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(&mut c)
        .await
        .unwrap();
    assert!(broken.is_empty(), "{:?}", &broken[..broken.len().min(5)]);
    let sum =
        |col: &str| format!("SELECT CAST(COALESCE(SUM({col}), 0) AS BIGINT) FROM case_rollups");
    assert_eq!(one(&mut c, &sum("created")).await, 2000);
    assert_eq!(
        one(&mut c, &sum("dispatched")).await,
        one(
            &mut c,
            "SELECT COUNT(*) FROM cases WHERE dispatched_at IS NOT NULL"
        )
        .await
    );
    assert_eq!(
        one(&mut c, &sum("closed")).await,
        one(
            &mut c,
            "SELECT COUNT(*) FROM case_events WHERE effect = 'close'"
        )
        .await
    );
    assert_eq!(
        one(&mut c, &sum("rated")).await,
        one(
            &mut c,
            "SELECT COUNT(*) FROM case_events WHERE effect = 'follow_up'"
        )
        .await
    );
    assert_eq!(
        one(
            &mut c,
            "SELECT CAST(SUM(n) AS BIGINT) FROM case_state_counts"
        )
        .await,
        2000
    );
    // Per (village, type, state) exactly what the cases say.
    let mismatched = one(
        &mut c,
        "SELECT COUNT(*) FROM (SELECT rollup_region, type, state, COUNT(*) AS k FROM cases \
         GROUP BY rollup_region, type, state) x LEFT JOIN case_state_counts s \
         ON s.region_code = x.rollup_region AND s.type = x.type AND s.state = x.state \
         WHERE s.n IS NULL OR s.n <> x.k",
    )
    .await;
    assert_eq!(mismatched, 0);
    // The dashboard's derived tables, computed after the load with their triggers set
    // aside, hold what the cases say at every level; and the triggers are back.
    for (sql, expected) in [
        ("SELECT CAST(SUM(created) AS BIGINT) FROM case_rollups_monthly", "2000"),
        ("SELECT CAST(SUM(created) AS BIGINT) FROM case_category_months WHERE node LIKE '__0000000000'", "2000"),
        ("SELECT CAST(SUM(created) AS BIGINT) FROM case_node_months WHERE level = 'province'", "2000"),
        ("SELECT CAST(SUM(created) AS BIGINT) FROM case_node_months WHERE level = 'township'", "2000"),
        ("SELECT CAST(SUM(n) AS BIGINT) FROM case_node_states WHERE level = 'county'", "2000"),
        (
            "SELECT CAST(SUM(n) AS BIGINT) FROM case_node_due_days WHERE level = 'province'",
            "SELECT COUNT(*) FROM cases WHERE terminal = 0 AND state_due_at IS NOT NULL",
        ),
        (
            "SELECT CAST(SUM(screened) AS BIGINT) FROM dispute_months",
            "SELECT COUNT(*) FROM dispute_details",
        ),
        (
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND (name LIKE 'case_node_%' \
             OR name LIKE 'cases_due_days_%' OR name LIKE 'case_rollups_derive_%' OR name LIKE 'dispute_months_%')",
            "15",
        ),
        ("SELECT COUNT(*) FROM meta WHERE key LIKE 'gen.%'", "0"),
    ] {
        let want = match expected.parse::<i64>() {
            Ok(n) => n,
            Err(_) => one(&mut c, expected).await,
        };
        assert_eq!(one(&mut c, sql).await, want, "{sql}");
    }
    assert!(one(&mut c, "SELECT COUNT(*) FROM case_node_due_days").await > 0);
    // The counters continue where the numbers stop.
    let counters: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT county, CAST(year AS BIGINT), last_seq FROM case_counters")
            .fetch_all(&mut c)
            .await
            .unwrap();
    assert!(!counters.is_empty());
    for (county, year, last) in counters {
        let prefix = format!("{county}-{year}-");
        let n = one(
            &mut c,
            &format!("SELECT COUNT(*) FROM cases WHERE number LIKE '{prefix}%'"),
        )
        .await;
        assert_eq!(n, last, "{prefix}");
    }
}

async fn personal_data_is_encrypted_and_valid(dir: &Path) {
    let mut c = db(dir).await;
    let key = std::fs::read_to_string(dir.join("wangge.key")).unwrap();
    let cipher = wangge_crypto::FieldCipher::new(
        &wangge_crypto::MasterKey::parse(&key).unwrap(),
        wangge_crypto::Algorithm::Aes256Gcm,
    );
    let rows: Vec<(Vec<u8>, String)> =
        sqlx::query_as("SELECT id_number_enc, id_number_hash FROM residents LIMIT 200")
            .fetch_all(&mut c)
            .await
            .unwrap();
    let today = wangge_core::date::Date::new(2026, 11, 1).unwrap();
    for (enc, hash) in rows {
        let plain = cipher.decrypt("id_number", &enc).unwrap();
        wangge_core::id_number::IdNumber::parse("id", &plain, today).unwrap();
        assert_eq!(cipher.search_hash("id_number", &plain), hash);
    }
}

#[tokio::test]
async fn gen_makes_consistent_deterministic_data_the_server_reads() {
    let dir = tempfile::tempdir().unwrap();
    let o = wangge(dir.path(), &GEN);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("事件 2000 件"), "{}", text(&o));
    generated_counts_add_up(dir.path()).await;
    rollups_agree_with_cases(dir.path()).await;
    personal_data_is_encrypted_and_valid(dir.path()).await;

    // One audit entry for the run, and the chain verifies.
    let mut c = db(dir.path()).await;
    assert_eq!(one(&mut c, "SELECT COUNT(*) FROM audit_log").await, 1);
    assert_eq!(
        one(
            &mut c,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'gen.run'"
        )
        .await,
        1
    );
    let v = wangge(dir.path(), &["audit", "verify"]);
    assert!(v.status.success(), "{}", text(&v));
    full_text_index_matches_the_cases(dir.path(), &mut c).await;

    // A database that already has cases is refused, and left as it was.
    let again = wangge(dir.path(), &GEN);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert_eq!(one(&mut c, "SELECT COUNT(*) FROM cases").await, 2000);

    // The same seed gives the same data; another seed does not.
    let twin = tempfile::tempdir().unwrap();
    assert!(wangge(twin.path(), &GEN).status.success());
    let mut t = db(twin.path()).await;
    assert_eq!(fingerprint(&mut c).await, fingerprint(&mut t).await);
    let other = tempfile::tempdir().unwrap();
    let mut args = GEN;
    args[6] = "8";
    assert!(wangge(other.path(), &args).status.success());
    let mut o8 = db(other.path()).await;
    assert_ne!(fingerprint(&mut c).await.0, fingerprint(&mut o8).await.0);

    served(dir.path(), &mut c).await;
}

/// The full-text index, built in a file of its own and copied in, is the index of the
/// cases: FTS5's own check against the content table passes, and a search finds what a
/// scan finds.
async fn full_text_index_matches_the_cases(dir: &Path, c: &mut AnyConnection) {
    assert!(!dir.join("wangge.db.fts-build").exists());
    sqlx::query("INSERT INTO cases_fts(cases_fts, rank) VALUES ('integrity-check', 1)")
        .execute(&mut *c)
        .await
        .unwrap();
    let (title,): (String,) = sqlx::query_as("SELECT title FROM cases ORDER BY id DESC LIMIT 1")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    let needle: String = title
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let by_index = one(
        c,
        &format!("SELECT COUNT(*) FROM cases_fts WHERE cases_fts MATCH '\"{needle}\"'"),
    )
    .await;
    let by_scan = one(
        c,
        &format!(
            "SELECT COUNT(*) FROM cases WHERE title LIKE '%{needle}%' OR description LIKE '%{needle}%'"
        ),
    )
    .await;
    assert!(by_index > 0, "{needle}");
    assert_eq!(by_index, by_scan, "{needle}");
}

/// Stops the server however the test ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The server reads generated cases, figures and grids like any others.
async fn served(dir: &Path, c: &mut AnyConnection) {
    let o = wangge(
        dir,
        &["token", "add", "--username", "leader", "--label", "gen"],
    );
    let token = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert!(token.starts_with("wgt_"), "{}", text(&o));
    let (id, number, lat, lng, grid): (i64, String, f64, f64, String) = sqlx::query_as(
        "SELECT id, number, lat, lng, region_code FROM cases WHERE type = 'dispute' \
         AND region_code LIKE '431027%' AND lat IS NOT NULL AND length(region_code) = 15 \
         AND state = 'closed' ORDER BY id LIMIT 1",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    let mut child = Server(
        Command::new(env!("CARGO_BIN_EXE_wangge"))
            .arg("--data-dir")
            .arg(dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("WANGGE_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.as_mut().unwrap())
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
    let get = |path: &str| {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let case = get(&format!("/api/v1/cases/{id}"));
    assert!(case.starts_with("HTTP/1.1 200"), "{case}");
    assert!(
        case.contains(&number) && case.contains("\"timeline\""),
        "{case}"
    );
    let file = get(&format!("/api/v1/disputes/{id}"));
    assert!(
        file.starts_with("HTTP/1.1 200") && file.contains("\"sessions\""),
        "{file}"
    );
    let stats = get("/api/v1/stats/cases?region=431027000000&from=2023-11&to=2026-10");
    assert!(stats.starts_with("HTTP/1.1 200"), "{stats}");
    let located = get(&format!("/api/v1/grids/locate?lng={lng}&lat={lat}"));
    assert!(
        located.contains(&format!("\"grid\":\"{grid}\"")),
        "{located}"
    );
    drop(child);
}
