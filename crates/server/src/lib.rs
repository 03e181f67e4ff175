//! The HTTP adapter of wangge: a JSON API under `/api/v1` (documented at
//! `/api/v1/openapi.json`), health and metrics. Handlers are thin: they parse input into
//! domain types, pass the one access check in [`access`], run one store transaction and
//! shape the answer.

pub mod access;
pub mod cases;
pub mod clock;
pub mod error;
pub mod extract;
pub mod grids;
pub mod idempotency;
pub mod metrics;
pub mod open311;
pub mod openapi;
pub mod routes;
pub mod stats_cache;
pub mod views;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use wangge_crypto::FieldCipher;
use wangge_store::Store;

pub use clock::{Clock, ManualClock, SystemClock};

/// Security and limits the server enforces; the binary fills them from configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Web sessions end after this long without a request (等保: idle timeout).
    pub idle_timeout_minutes: i64,
    /// Failed logins within the window that lock an account.
    pub lockout_threshold: i64,
    pub lockout_window_minutes: i64,
    pub max_body_bytes: usize,
    /// Mark the session cookie `Secure` (set when served behind HTTPS).
    pub secure_cookies: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            idle_timeout_minutes: 30,
            lockout_threshold: 5,
            lockout_window_minutes: 15,
            max_body_bytes: 1024 * 1024,
            secure_cookies: false,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub cipher: FieldCipher,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub metrics: Arc<metrics::Metrics>,
    pub cases: Arc<cases::CaseConfig>,
    /// Point → grid lookup, rebuilt when boundaries change.
    pub grid_index: Arc<grids::IndexCache>,
    /// Coverage figures per subtree, kept until a roster changes.
    pub coverage: Arc<stats_cache::CoverageCache>,
    /// Roster imports running or finished since start (progress and error reports).
    pub imports: Arc<
        std::sync::Mutex<std::collections::HashMap<String, Arc<routes::households::ImportJob>>>,
    >,
    /// New cases are written by one group-committing task, started with the first one.
    intake: Arc<std::sync::OnceLock<cases::group::IntakeQueue>>,
}

impl AppState {
    pub fn new(
        store: Store,
        cipher: FieldCipher,
        clock: Arc<dyn Clock>,
        settings: Settings,
    ) -> Self {
        Self {
            store: store.with_audit_key(cipher.audit_key()),
            cipher,
            clock,
            settings: Arc::new(settings),
            metrics: Arc::new(metrics::Metrics::default()),
            cases: Arc::new(cases::CaseConfig::defaults(
                std::env::temp_dir().join("wangge-attachments"),
            )),
            grid_index: Arc::default(),
            coverage: Arc::default(),
            imports: Arc::default(),
            intake: Arc::default(),
        }
    }

    /// The group commit for new cases (see [`cases::group`]). Started lazily, inside the
    /// runtime, with the state as configured by then.
    pub fn intake(&self) -> &cases::group::IntakeQueue {
        self.intake
            .get_or_init(|| cases::group::IntakeQueue::start(self.clone()))
    }

    /// Replaces the case engine's configuration (workflows, catalogue, calendar, webhooks…).
    pub fn with_cases(mut self, cfg: cases::CaseConfig) -> Self {
        self.cases = Arc::new(cfg);
        self
    }
}

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: API routes, fallbacks, and the layers every request passes.
pub fn app(state: AppState) -> Router {
    let max_body = state.settings.max_body_bytes;
    let (api, _doc) = openapi::api_router().split_for_parts();
    Router::new()
        .merge(api)
        .merge(routes::system::router())
        .merge(open311::router())
        .merge(web::router())
        .fallback(error::not_found_fallback)
        .method_not_allowed_fallback(error::method_not_allowed_fallback)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Serves on an already bound listener until `shutdown` resolves (tests bind port 0).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
