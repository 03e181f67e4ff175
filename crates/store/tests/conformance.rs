//! One storage story, run on SQLite always and on PostgreSQL when
//! `WANGGE_TEST_DATABASE_URL` is set. Each PostgreSQL run lives in its own schema.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use wangge_core::audit::AuditEntry;
use wangge_core::region::RegionCode;
use wangge_store::audit::Verdict;
use wangge_store::regions::Region;
use wangge_store::residents::{ResidentFields, ResidentFilter};
use wangge_store::users::NewUser;
use wangge_store::{audit, regions, residents, sessions, users, ConnectOptions, Store, StoreError};

struct TestDb {
    store: Store,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    async fn drop_schema(self) {
        self.store.close().await;
        if let Some((url, schema)) = self.pg {
            let admin = Store::connect(&url, ConnectOptions::default())
                .await
                .unwrap();
            let mut c = admin.read().await.unwrap();
            sqlx::query(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
                .execute(&mut *c)
                .await
                .unwrap();
        }
    }
}

async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = wangge_store::sqlite_url_for_dir(dir.path());
    let store = Store::connect(&url, ConnectOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    TestDb {
        store,
        _dir: Some(dir),
        pg: None,
    }
}

async fn postgres() -> Option<TestDb> {
    let url = std::env::var("WANGGE_TEST_DATABASE_URL").ok()?;
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin = Store::connect(&url, ConnectOptions::default())
        .await
        .unwrap();
    let mut c = admin.read().await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(&mut *c)
        .await
        .unwrap();
    drop(c);
    admin.close().await;
    let opts = ConnectOptions {
        pg_schema: Some(schema.clone()),
        ..Default::default()
    };
    let store = Store::connect(&url, opts).await.unwrap();
    store.migrate().await.unwrap();
    Some(TestDb {
        store,
        _dir: None,
        pg: Some((url, schema)),
    })
}

fn region(code: &str, name: &str) -> Region {
    let c = RegionCode::parse("code", code).unwrap();
    Region {
        code: c.as_str().to_string(),
        name: name.into(),
        level: c.level().as_str().into(),
        parent_code: c.parent().map(|p| p.as_str().to_string()),
    }
}

fn entry(action: &str, target: &str) -> AuditEntry {
    AuditEntry {
        seq: 0,
        chain: 0,
        chain_seq: 0,
        at_ms: 1_764_000_000_000,
        actor: "tester".into(),
        action: action.into(),
        target_type: "resident".into(),
        target_id: target.into(),
        region_code: "431027100202".into(),
        ip: "127.0.0.1".into(),
        request_id: "req".into(),
        details: "{}".into(),
        prev_hash: String::new(),
        hash: String::new(),
    }
}

async fn story(store: &Store) {
    // Regions: parents first, upsert renames, children ordered, subtree counts by range.
    let mut tx = store.begin().await.unwrap();
    for (code, name) in [
        ("430000000000", "湖南省"),
        ("431000000000", "郴州市"),
        ("431027000000", "桂东县"),
        ("431027100000", "沤江镇"),
        ("431027100202", "金洞村"),
        ("431027100203", "光明村"),
        ("431027101000", "沙田镇"),
        ("431027101201", "某村"),
        ("431027100202001", "金洞村第一网格"),
    ] {
        regions::upsert(&mut tx, &region(code, name), 1)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let mut c = store.read().await.unwrap();
    let township = regions::get(&mut c, "431027100000").await.unwrap();
    assert_eq!(township.level, "township");
    assert_eq!(township.parent_code.as_deref(), Some("431027000000"));
    let kids = regions::children(&mut c, "431027100000").await.unwrap();
    let codes: Vec<_> = kids.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, ["431027100202", "431027100203"]);
    let (lo, hi) = RegionCode::parse("c", "431027100000")
        .unwrap()
        .subtree_range();
    let counts = regions::count_by_level(&mut c, &lo, &hi).await.unwrap();
    assert_eq!(
        counts,
        vec![
            ("grid".into(), 1),
            ("township".into(), 1),
            ("village".into(), 2)
        ]
    );
    assert!(matches!(
        regions::get(&mut c, "431027999000").await,
        Err(StoreError::NotFound)
    ));
    drop(c);

    // A region whose parent does not exist is refused by the foreign key.
    let mut tx = store.begin().await.unwrap();
    let orphan = regions::upsert(&mut tx, &region("431027300201", "无主村"), 1).await;
    assert!(matches!(orphan, Err(StoreError::Conflict(_))), "{orphan:?}");
    drop(tx);

    // Users with scopes; duplicate usernames conflict.
    let mut tx = store.begin().await.unwrap();
    let scope = vec!["431027100202".to_string()];
    let new = NewUser {
        username: "wang",
        display_name: "王网格",
        role: "grid_worker",
        password_hash: "$argon2id$x",
        must_change_password: true,
        regions: &scope,
    };
    let uid = users::create(&mut tx, &new, 5).await.unwrap();
    tx.commit().await.unwrap();
    // A refused statement aborts its command (PostgreSQL poisons the transaction), so each
    // refusal is tried in a command of its own.
    let mut tx = store.begin().await.unwrap();
    assert!(matches!(
        users::create(&mut tx, &new, 5).await,
        Err(StoreError::Conflict(_))
    ));
    drop(tx);
    let mut c = store.read().await.unwrap();
    let u = users::by_username(&mut c, "wang").await.unwrap();
    assert_eq!((u.row.id, u.row.must_change_password), (uid, 1));
    assert_eq!(u.regions, scope);
    let in_township = users::list(&mut c, Some(&[(lo.clone(), hi.clone())]), 50, 0)
        .await
        .unwrap();
    assert_eq!(in_township.len(), 1);
    let elsewhere = vec![("431027101".to_string(), "431027102".to_string())];
    assert!(users::list(&mut c, Some(&elsewhere), 50, 0)
        .await
        .unwrap()
        .is_empty());
    drop(c);

    // Sessions, tokens and login failures.
    let mut tx = store.begin().await.unwrap();
    sessions::create_session(&mut tx, "h1", uid, "csrf", 1_000)
        .await
        .unwrap();
    sessions::create_token(&mut tx, uid, "device", "t1", 1_000)
        .await
        .unwrap();
    for at in [10, 20, 30] {
        sessions::record_login_failure(&mut tx, "wang", "1.2.3.4", at)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let mut c = store.read().await.unwrap();
    assert_eq!(
        sessions::session(&mut c, "h1").await.unwrap().csrf_token,
        "csrf"
    );
    sessions::touch_session(&mut c, "h1", 100_000)
        .await
        .unwrap();
    assert_eq!(
        sessions::session(&mut c, "h1").await.unwrap().last_seen_at,
        100_000
    );
    assert_eq!(sessions::token_user(&mut c, "t1").await.unwrap(), uid);
    assert!(matches!(
        sessions::token_user(&mut c, "nope").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        sessions::login_failures_since(&mut c, "wang", 15)
            .await
            .unwrap(),
        (2, Some(20))
    );
    drop(c);

    // Residents: encrypted bytes round-trip untouched; search by keyed hash; scope ranges;
    // optimistic versions; unique 身份证号 hash.
    let fields = ResidentFields {
        region_code: "431027100202001".into(),
        name: "李四".into(),
        sex: Some("male".into()),
        birth_date: Some("1980-01-02".into()),
        id_number_enc: Some(vec![1, 0, 255, 7]),
        id_number_hash: Some("idhash".into()),
        phone_enc: Some(vec![9, 9]),
        phone_hash: Some("phonehash".into()),
    };
    let mut tx = store.begin().await.unwrap();
    let rid = residents::create(&mut tx, &fields, 7).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let dup = residents::create(&mut tx, &fields, 7).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    drop(tx);
    let mut c = store.read().await.unwrap();
    let row = residents::get(&mut c, rid).await.unwrap();
    assert_eq!(row.id_number_enc.as_deref(), Some(&[1u8, 0, 255, 7][..]));
    let by_hash = ResidentFilter {
        id_number_hash: Some("idhash"),
        ..Default::default()
    };
    let (found, total) = residents::list(&mut c, None, &by_hash, 10, 0)
        .await
        .unwrap();
    assert_eq!((found.len(), total), (1, 1));
    let (found, total) = residents::list(&mut c, Some(&elsewhere), &by_hash, 10, 0)
        .await
        .unwrap();
    assert_eq!((found.len(), total), (0, 0));
    drop(c);
    let mut tx = store.begin().await.unwrap();
    let renamed = ResidentFields {
        name: "李四光".into(),
        ..fields.clone()
    };
    assert_eq!(
        residents::update(&mut tx, rid, 1, &renamed, 8)
            .await
            .unwrap(),
        2
    );
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let stale = residents::update(&mut tx, rid, 1, &renamed, 9).await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))));
    drop(tx);

    // A rolled-back command leaves nothing behind, audit included.
    let mut tx = store.begin().await.unwrap();
    residents::create(
        &mut tx,
        &ResidentFields {
            id_number_hash: Some("other".into()),
            ..fields.clone()
        },
        9,
    )
    .await
    .unwrap();
    audit::append(&mut tx, entry("resident.create", "x"))
        .await
        .unwrap();
    drop(tx);
    let mut c = store.read().await.unwrap();
    assert_eq!(residents::count(&mut c).await.unwrap(), 1);
    drop(c);

    // The audit chain: append, verify, tamper, verify names the entry. Positions on the
    // chain are gap-free; on PostgreSQL the log-wide `seq` skipped the rolled-back entry's.
    let mut seqs = Vec::new();
    for i in 1..=4 {
        let mut tx = store.begin().await.unwrap();
        let e = audit::append(&mut tx, entry("resident.update", &i.to_string()))
            .await
            .unwrap();
        assert_eq!((e.chain, e.chain_seq), (0, i));
        seqs.push(e.seq);
        tx.commit().await.unwrap();
    }
    let mut c = store.read().await.unwrap();
    assert_eq!(
        audit::verify(&mut c, store.audit_key()).await.unwrap(),
        Verdict::Intact { entries: 4 }
    );
    let listed = audit::list(&mut c, None, &Default::default(), 2, None)
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [seqs[3], seqs[2]]
    );
    sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE chain_seq = 3")
        .execute(&mut *c)
        .await
        .unwrap();
    match audit::verify(&mut c, store.audit_key()).await.unwrap() {
        Verdict::Broken(b) => assert_eq!((b.position, b.seq), (3, Some(seqs[2]))),
        v => panic!("tampering not detected: {v:?}"),
    }
    sqlx::query("UPDATE audit_log SET actor = 'tester' WHERE chain_seq = 3")
        .execute(&mut *c)
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE chain_seq = 2")
        .execute(&mut *c)
        .await
        .unwrap();
    match audit::verify(&mut c, store.audit_key()).await.unwrap() {
        Verdict::Broken(b) => assert_eq!((b.chain, b.position, b.seq), (0, 2, None)),
        v => panic!("deletion not detected: {v:?}"),
    }
}

async fn broken(store: &Store) -> wangge_core::audit::ChainBreak {
    let mut c = store.read().await.unwrap();
    match audit::verify(&mut c, store.audit_key()).await.unwrap() {
        Verdict::Broken(b) => b,
        v => panic!("not detected: {v:?}"),
    }
}

async fn exec(store: &Store, sql: &str) {
    let mut c = store.read().await.unwrap();
    sqlx::query(sql).execute(&mut *c).await.unwrap();
}

/// Two writers on two chains with their entries interleaved: the log verifies chain by
/// chain, and an edit, a truncation or a whole chain removed is named on its chain.
async fn two_chains(store: &Store) {
    let one = audit::open_chain(store, 1_764_000_000_000).await.unwrap();
    assert_eq!(one, 1);
    let other = store.clone().with_audit_chain(one);
    let mut seqs = std::collections::BTreeSet::new();
    for i in 0..3 {
        for s in [store, &other] {
            let mut tx = s.begin().await.unwrap();
            let sealed = audit::append_many(
                &mut tx,
                vec![entry("a", &i.to_string()), entry("b", &i.to_string())],
            )
            .await
            .unwrap();
            for e in sealed {
                assert_eq!(e.chain, s.audit_chain());
                assert!(seqs.insert(e.seq), "seq {} twice", e.seq);
            }
            tx.commit().await.unwrap();
        }
    }
    let mut c = store.read().await.unwrap();
    // Chain 0 holds the entry that opened chain 1, then six; chain 1 holds six.
    assert_eq!(
        audit::verify(&mut c, store.audit_key()).await.unwrap(),
        Verdict::Intact { entries: 13 }
    );
    let per_chain: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT chain, CAST(COUNT(*) AS BIGINT), CAST(MAX(chain_seq) AS BIGINT) FROM audit_log \
         GROUP BY chain ORDER BY chain",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    assert_eq!(per_chain, [(0, 7, 7), (1, 6, 6)]);
    drop(c);

    exec(
        store,
        "UPDATE audit_log SET actor = 'mallory' WHERE chain = 1 AND chain_seq = 4",
    )
    .await;
    let b = broken(store).await;
    assert_eq!((b.chain, b.position), (1, 4));
    assert!(b.seq.is_some());
    exec(
        store,
        "UPDATE audit_log SET actor = 'tester' WHERE chain = 1 AND chain_seq = 4",
    )
    .await;

    // An entry moved onto the other chain leaves a gap on its own.
    exec(
        store,
        "UPDATE audit_log SET chain = 1, chain_seq = 7 WHERE chain = 0 AND chain_seq = 3",
    )
    .await;
    let b = broken(store).await;
    assert_eq!((b.chain, b.position, b.seq), (0, 3, None));
    exec(
        store,
        "UPDATE audit_log SET chain = 0, chain_seq = 3 WHERE chain = 1 AND chain_seq = 7",
    )
    .await;

    // An entry on a chain that was never opened.
    exec(
        store,
        "UPDATE audit_log SET chain = 9 WHERE chain = 1 AND chain_seq = 6",
    )
    .await;
    let b = broken(store).await;
    assert_eq!((b.chain, b.position), (1, 6), "{b}");
    exec(store, "UPDATE audit_log SET chain = 1 WHERE chain = 9").await;
    let mut c = store.read().await.unwrap();
    assert_eq!(
        audit::verify(&mut c, store.audit_key()).await.unwrap(),
        Verdict::Intact { entries: 13 }
    );
    drop(c);

    // The newest entry of chain 1 removed.
    exec(
        store,
        "DELETE FROM audit_log WHERE chain = 1 AND chain_seq = 6",
    )
    .await;
    let b = broken(store).await;
    assert_eq!((b.chain, b.position, b.seq), (1, 6, None));

    // Chain 1 removed with its head: chain 0 still records that it was opened.
    exec(store, "DELETE FROM audit_log WHERE chain = 1").await;
    exec(store, "DELETE FROM audit_head WHERE chain = 1").await;
    let b = broken(store).await;
    assert_eq!((b.chain, b.position), (1, 1), "{b}");
}

async fn concurrent_appends(store: &Store) {
    // Many commands at once: the chain stays gap-free and verifiable.
    let mut handles = Vec::new();
    for i in 0..16 {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            let mut tx = s.begin().await.unwrap();
            audit::append(&mut tx, entry("concurrent", &i.to_string()))
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let mut c = store.read().await.unwrap();
    assert_eq!(
        audit::verify(&mut c, store.audit_key()).await.unwrap(),
        Verdict::Intact { entries: 16 }
    );
}

#[tokio::test]
async fn sqlite_story() {
    let db = sqlite().await;
    story(&db.store).await;
}

/// A group commit's rollups, summed and written at once, land exactly as case-by-case
/// bumps would, derived tables included; a second batch adds to the same rows.
async fn tally_adds_up(store: &Store) {
    use wangge_core::rates::Counters;
    use wangge_store::case_stats::{self, Tally};
    let one = Counters {
        created: 1,
        ..Default::default()
    };
    for _ in 0..2 {
        let mut t = Tally::default();
        let mut other = Tally::default();
        t.bump("431027100001", "2026-11", "cat.a", "grid_report", &one);
        t.bump("431027100001", "2026-11", "cat.a", "grid_report", &one);
        other.bump("431027100002", "2026-11", "cat.b", "hotline", &one);
        t.enter_state("431027100001", "general", "collected");
        other.enter_state("431027100002", "general", "collected");
        t.merge(other);
        let mut tx = store.begin().await.unwrap();
        t.write(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
    }
    let mut c = store.read().await.unwrap();
    let county = case_stats::sum(&mut c, "431027", "431028", "2026-11", "2026-11")
        .await
        .unwrap();
    assert_eq!(county.created, 6);
    let village = case_stats::sum(&mut c, "431027100001", "431027100002", "2026-01", "2026-12")
        .await
        .unwrap();
    assert_eq!(village.created, 4);
    assert_eq!(
        case_stats::created_by(&mut c, "category", "431027", "431028", "2026-11", "2026-11")
            .await
            .unwrap(),
        [("cat.a".to_string(), 4), ("cat.b".to_string(), 2)]
    );
    assert_eq!(
        case_stats::states(&mut c, "431027", "431028")
            .await
            .unwrap(),
        [("general".to_string(), "collected".to_string(), 4)]
    );
    let (county_node,): (i64,) = sqlx::query_as(
        "SELECT CAST(SUM(created) AS BIGINT) FROM case_category_months WHERE node = '431027000000'",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(county_node, 6);
}

#[tokio::test]
async fn sqlite_tally_adds_up() {
    let db = sqlite().await;
    tally_adds_up(&db.store).await;
}

#[tokio::test]
async fn postgres_tally_adds_up() {
    let Some(db) = postgres().await else { return };
    tally_adds_up(&db.store).await;
    db.drop_schema().await;
}

#[tokio::test]
async fn sqlite_two_chains() {
    let db = sqlite().await;
    // One writer at a time: a serving process stays on chain 0.
    let claimed = audit::claim_chain(db.store.clone(), 0).await.unwrap();
    assert_eq!(claimed.audit_chain(), 0);
    two_chains(&db.store).await;
}

#[tokio::test]
async fn sqlite_concurrent_appends() {
    let db = sqlite().await;
    concurrent_appends(&db.store).await;
}

#[tokio::test]
async fn sqlite_backup_is_a_readable_copy() {
    let db = sqlite().await;
    let mut tx = db.store.begin().await.unwrap();
    regions::upsert(&mut tx, &region("430000000000", "湖南省"), 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("copy.db");
    db.store.backup_sqlite(&dest).await.unwrap();
    let url = format!("sqlite://{}", dest.display());
    let copy = Store::connect(&url, ConnectOptions::default())
        .await
        .unwrap();
    let mut c = copy.read().await.unwrap();
    assert_eq!(regions::count(&mut c).await.unwrap(), 1);
}

#[tokio::test]
async fn postgres_story() {
    let Some(db) = postgres().await else {
        eprintln!("WANGGE_TEST_DATABASE_URL not set: PostgreSQL conformance skipped");
        return;
    };
    story(&db.store).await;
    db.drop_schema().await;
}

#[tokio::test]
async fn postgres_concurrent_appends() {
    let Some(db) = postgres().await else { return };
    concurrent_appends(&db.store).await;
    db.drop_schema().await;
}

#[tokio::test]
async fn postgres_two_chains() {
    let Some(db) = postgres().await else { return };
    two_chains(&db.store).await;
    db.drop_schema().await;
}

/// Server processes sharing the database each claim a chain of their own (the advisory
/// lock is held for the life of the store) and write side by side; the log verifies.
#[tokio::test]
async fn postgres_processes_claim_their_own_chains() {
    let Some(db) = postgres().await else { return };
    let mut claimed = Vec::new();
    for _ in 0..3 {
        claimed.push(audit::claim_chain(db.store.clone(), 0).await.unwrap());
    }
    let chains: Vec<i64> = claimed.iter().map(Store::audit_chain).collect();
    assert_eq!(chains, [0, 1, 2]);
    let mut handles = Vec::new();
    for (w, s) in claimed.iter().enumerate() {
        for i in 0..8 {
            let s = s.clone();
            handles.push(tokio::spawn(async move {
                let mut tx = s.begin().await.unwrap();
                let batch = (0..5)
                    .map(|k| entry("w", &format!("{w}-{i}-{k}")))
                    .collect();
                audit::append_many(&mut tx, batch).await.unwrap();
                tx.commit().await.unwrap();
            }));
        }
    }
    for h in handles {
        h.await.unwrap();
    }
    let mut c = db.store.read().await.unwrap();
    // 3 × 8 × 5 entries, and the two entries that opened chains 1 and 2.
    assert_eq!(
        audit::verify(&mut c, db.store.audit_key()).await.unwrap(),
        Verdict::Intact { entries: 122 }
    );
    drop(c);
    drop(claimed);
    db.drop_schema().await;
}
