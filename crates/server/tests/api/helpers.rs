use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use wangge_core::region::RegionCode;
use wangge_crypto::{Algorithm, FieldCipher, MasterKey};
use wangge_server::{AppState, ManualClock, Settings};
use wangge_store::regions::{self, Region};
use wangge_store::users::{self, NewUser};
use wangge_store::{ConnectOptions, Store};

pub const PASSWORD: &str = "Test@2026pw";
/// 2026-03-02 10:00 in Beijing.
pub const START_MS: i64 = 1_772_416_800_000;

pub const COUNTY: &str = "431027000000";
pub const TOWNSHIP: &str = "431027100000";
/// Village A: every scoped test user lives here.
pub const VILLAGE_A: &str = "431027100001";
pub const GRID_A: &str = "431027100001001";
/// Village B: same township, never visible to village-A users.
pub const VILLAGE_B: &str = "431027100202";
pub const GRID_B: &str = "431027100202001";

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    _dir: Option<tempfile::TempDir>,
}

pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
    pub headers: axum::http::HeaderMap,
}

impl std::fmt::Debug for Resp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.body)
    }
}

fn password_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| wangge_crypto::password::hash(PASSWORD))
}

async fn store() -> (Store, Option<tempfile::TempDir>) {
    if let Ok(url) = std::env::var("WANGGE_TEST_DATABASE_URL") {
        let schema = format!("api_{}", uuid::Uuid::new_v4().simple());
        let admin = Store::connect(&url, ConnectOptions::default())
            .await
            .unwrap();
        let mut c = admin.read().await.unwrap();
        // Extensions are per database; make sure concurrent test schemas need not race to create it.
        let _ = sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
            .execute(&mut *c)
            .await;
        sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
            .execute(&mut *c)
            .await
            .unwrap();
        drop(c);
        admin.close().await;
        let opts = ConnectOptions {
            pg_schema: Some(schema),
            max_connections: 4,
            ..Default::default()
        };
        let s = Store::connect(&url, opts).await.unwrap();
        s.migrate().await.unwrap();
        (s, None)
    } else {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::connect(
            &wangge_store::sqlite_url_for_dir(dir.path()),
            ConnectOptions::default(),
        )
        .await
        .unwrap();
        s.migrate().await.unwrap();
        (s, Some(dir))
    }
}

/// (username, role, region) of the fixture's users.
pub const USERS: &[(&str, &str, &str)] = &[
    ("county_admin", "admin", COUNTY),
    ("admin_a", "admin", VILLAGE_A),
    ("leader_a", "leader", VILLAGE_A),
    ("intake_a", "intake_operator", VILLAGE_A),
    ("dispatcher_a", "dispatcher", VILLAGE_A),
    ("handler_a", "department_handler", VILLAGE_A),
    ("mediator_a", "mediator", VILLAGE_A),
    ("advisor_a", "legal_advisor", VILLAGE_A),
    ("grid_a", "grid_worker", VILLAGE_A),
    ("block_a", "block_leader", VILLAGE_A),
    ("group_a", "group_leader", VILLAGE_A),
    ("neighbor_a", "neighbor_leader", VILLAGE_A),
    ("enterprise_a", "enterprise", VILLAGE_A),
    ("grid_b", "grid_worker", VILLAGE_B),
];

impl TestApp {
    pub async fn new() -> Self {
        Self::with_cases(|_| {}).await
    }

    /// A test app whose case engine configuration `tweak` adjusts (webhooks, limits…).
    pub async fn with_cases(tweak: impl FnOnce(&mut wangge_server::cases::CaseConfig)) -> Self {
        let (store, dir) = store().await;
        let clock = Arc::new(ManualClock::new(START_MS));
        let cipher = FieldCipher::new(&MasterKey::generate(), Algorithm::Aes256Gcm);
        let attachments = dir
            .as_ref()
            .map(|d| d.path().join("attachments"))
            .unwrap_or_else(|| {
                std::env::temp_dir().join(format!("wangge-test-{}", uuid::Uuid::new_v4().simple()))
            });
        let mut cases = wangge_server::cases::CaseConfig::defaults(attachments);
        tweak(&mut cases);
        let state = AppState::new(store.clone(), cipher, clock.clone(), Settings::default())
            .with_cases(cases);
        let mut tx = store.begin().await.unwrap();
        for (code, name) in [
            ("430000000000", "湖南省"),
            ("431000000000", "郴州市"),
            (COUNTY, "桂东县"),
            (TOWNSHIP, "沤江镇"),
            (VILLAGE_A, "东华社区"),
            (GRID_A, "东华社区第一网格"),
            (VILLAGE_B, "金洞村"),
            (GRID_B, "金洞村第一网格"),
        ] {
            let c = RegionCode::parse("c", code).unwrap();
            let r = Region {
                code: code.into(),
                name: name.into(),
                level: c.level().as_str().into(),
                parent_code: c.parent().map(|p| p.to_string()),
            };
            regions::upsert(&mut tx, &r, START_MS).await.unwrap();
        }
        for (username, role, region) in USERS {
            let scope = vec![region.to_string()];
            users::create(
                &mut tx,
                &NewUser {
                    username,
                    display_name: username,
                    role,
                    password_hash: password_hash(),
                    must_change_password: false,
                    regions: &scope,
                },
                START_MS,
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        Self {
            router: wangge_server::app(state.clone()),
            state,
            clock,
            _dir: dir,
        }
    }

    pub async fn request(&self, req: Request<Body>) -> Resp {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Resp {
            status,
            body,
            headers,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string())),
            None => b.body(Body::empty()),
        }
        .unwrap();
        self.request(req).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn try_login(&self, username: &str, password: &str) -> Resp {
        self.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": username, "password": password})),
        )
        .await
    }

    pub async fn login(&self, username: &str) -> String {
        let r = self.try_login(username, PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "login {username}: {r:?}");
        r.body["token"].as_str().unwrap().to_string()
    }

    /// Creates a resident as `grid_worker` of the region's village and returns its id.
    pub async fn resident(
        &self,
        token: &str,
        region: &str,
        name: &str,
        id_number: &str,
        phone: &str,
    ) -> i64 {
        let r = self
            .post(
                "/api/v1/residents",
                token,
                json!({"region_code": region, "name": name, "id_number": id_number, "phone": phone}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
        r.body["id"].as_i64().unwrap()
    }

    pub async fn audit_count(&self) -> i64 {
        let mut c = self.state.store.read().await.unwrap();
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log")
            .fetch_one(&mut *c)
            .await
            .unwrap();
        n
    }
}

/// A valid 身份证号 for tests.
pub fn id_number(seq: u16) -> String {
    wangge_core::id_number::compose(
        "431027",
        wangge_core::date::Date::new(1980, 5, 17).unwrap(),
        seq,
    )
}
