//! `Idempotency-Key` for the field writes a phone sends from its outbox (visits, patrols,
//! 民情日记, attachments). A phone retries until it hears an answer, so a request whose
//! answer was lost arrives again: the same key answers with the record the first request
//! made (and `Idempotent-Replayed: true`) instead of making a second one, and the same key
//! with a different request is refused, so a client bug cannot silently return someone
//! else's result. The key is remembered in the record's own transaction, which makes two
//! racing requests with one key end with one record (see [`settle`]).
//!
//! Cases keep their own key table (`POST /api/v1/cases`); these keys are per user.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use serde::Serialize;
use sha2::{Digest, Sha256};
use wangge_store::request_keys::{self, RequestKeyRow};
use wangge_store::AnyConnection;

use crate::cases::create::valid_idempotency_key;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

pub const HEADER: &str = "idempotency-key";

/// A request's key, and what the request was.
#[derive(Debug, Clone)]
pub struct RequestKey {
    pub key: String,
    pub operation: &'static str,
    pub fingerprint: String,
}

/// The request's `Idempotency-Key`, if it sent one, fingerprinted with the operation, the
/// path (`scope`, e.g. a case id) and the parsed body.
pub fn from_headers<T: Serialize>(
    headers: &HeaderMap,
    operation: &'static str,
    scope: &str,
    body: &T,
) -> ApiResult<Option<RequestKey>> {
    let Some(raw) = headers.get(HEADER) else {
        return Ok(None);
    };
    let key = raw
        .to_str()
        .map_err(|_| {
            ApiError::field(
                "Idempotency-Key",
                "invalid_value",
                "Idempotency-Key 须为可见ASCII字符",
            )
        })?
        .trim();
    valid_idempotency_key(key)?;
    let body = serde_json::to_vec(body).map_err(ApiError::internal)?;
    let mut h = Sha256::new();
    for part in [operation.as_bytes(), scope.as_bytes(), &body] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    Ok(Some(RequestKey {
        key: key.to_string(),
        operation,
        fingerprint: hex::encode(h.finalize()),
    }))
}

fn reused() -> ApiError {
    ApiError::field(
        "Idempotency-Key",
        "idempotency_key_reused",
        "该 Idempotency-Key 已用于另一个不同的请求；新的请求须使用新的键",
    )
}

/// The record a key made before, if any; refused when the key was used for another request.
pub async fn seen(
    conn: &mut AnyConnection,
    user_id: i64,
    key: Option<&RequestKey>,
) -> ApiResult<Option<i64>> {
    let Some(k) = key else { return Ok(None) };
    match request_keys::get(conn, user_id, &k.key).await? {
        None => Ok(None),
        Some(r) if r.operation == k.operation && r.fingerprint == k.fingerprint => {
            Ok(Some(r.resource_id))
        }
        Some(_) => Err(reused()),
    }
}

/// Remembers the key in the transaction that made `resource_id`.
pub async fn remember(
    tx: &mut AnyConnection,
    user_id: i64,
    key: Option<&RequestKey>,
    resource_id: i64,
    now_ms: i64,
) -> ApiResult<()> {
    let Some(k) = key else { return Ok(()) };
    let row = RequestKeyRow {
        operation: k.operation.to_string(),
        fingerprint: k.fingerprint.clone(),
        resource_id,
    };
    request_keys::remember(tx, user_id, &k.key, &row, now_ms).await?;
    Ok(())
}

/// The outcome of a write that remembered its key: `(id, replayed)`. A conflict while a
/// key was given may be a racing request with the same key that committed first; then
/// its record is the answer (or the key's other use is refused).
pub async fn settle(
    state: &AppState,
    user_id: i64,
    key: Option<&RequestKey>,
    outcome: ApiResult<i64>,
) -> ApiResult<(i64, bool)> {
    match outcome {
        Ok(id) => Ok((id, false)),
        Err(e) if e.status == StatusCode::CONFLICT && e.code == "conflict" && key.is_some() => {
            let mut conn = state.store.read().await?;
            match seen(&mut conn, user_id, key).await? {
                Some(id) => Ok((id, true)),
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// `Idempotent-Replayed: true` on an answer repeated for a key.
pub fn replay_headers(replayed: bool) -> HeaderMap {
    let mut h = HeaderMap::new();
    if replayed {
        h.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    h
}
