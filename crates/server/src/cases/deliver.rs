//! Sends the webhook outbox: each row is posted to its group robot; failures are retried
//! on later rounds, up to a limit, so a robot that is down loses nothing in the meantime.

use std::sync::OnceLock;
use std::time::Duration;

use wangge_store::notify;

use crate::error::ApiResult;
use crate::AppState;

const MAX_ATTEMPTS: i64 = 10;

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new())
    })
}

/// Posts every pending webhook once; returns how many were delivered.
pub async fn deliver_pending(state: &AppState) -> ApiResult<usize> {
    let pending = {
        let mut conn = state.store.read().await?;
        notify::pending_webhooks(&mut conn, MAX_ATTEMPTS, 100).await?
    };
    let mut sent = 0;
    for (id, payload) in pending {
        let v: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
        let url = v["url"].as_str().unwrap_or_default();
        let ok = match client().post(url).json(&v["body"]).send().await {
            Ok(r) if r.status().is_success() => true,
            Ok(r) => {
                tracing::warn!(status = %r.status(), "webhook refused");
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "webhook unreachable");
                false
            }
        };
        let mut conn = state.store.read().await?;
        notify::webhook_result(&mut conn, id, ok, state.clock.now_ms()).await?;
        sent += usize::from(ok);
    }
    Ok(sent)
}

/// The server's background work: the escalation sweep every minute and webhook delivery
/// every few seconds. Errors are logged and retried next round.
pub fn spawn_background(state: AppState) {
    let s = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            match super::escalate::sweep(&s).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(escalated = n, "escalation sweep"),
                Err(e) => tracing::warn!(error = ?e, "escalation sweep failed"),
            }
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            if let Err(e) = deliver_pending(&state).await {
                tracing::warn!(error = ?e, "webhook delivery failed");
            }
        }
    });
}
