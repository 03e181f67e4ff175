//! Idempotency keys of field writes (visits, patrols, 民情日记, attachments): which record
//! a user's key made, and for what request. Remember a key in the same transaction as the
//! record it made, so that two racing requests with one key make one record: the loser's
//! insert fails with [`StoreError::Conflict`] and it answers with the winner's record.

use sqlx::AnyConnection;

use crate::{Result, StoreError};

/// A remembered key.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RequestKeyRow {
    pub operation: String,
    pub fingerprint: String,
    pub resource_id: i64,
}

pub async fn get(
    conn: &mut AnyConnection,
    user_id: i64,
    key: &str,
) -> Result<Option<RequestKeyRow>> {
    Ok(sqlx::query_as(
        "SELECT operation, fingerprint, resource_id FROM request_keys WHERE user_id = $1 AND key = $2",
    )
    .bind(user_id)
    .bind(key)
    .fetch_optional(conn)
    .await?)
}

/// Fails with [`StoreError::Conflict`] when the user has used the key already.
pub async fn remember(
    conn: &mut AnyConnection,
    user_id: i64,
    key: &str,
    row: &RequestKeyRow,
    now_ms: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO request_keys (user_id, key, operation, fingerprint, resource_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user_id)
    .bind(key)
    .bind(&row.operation)
    .bind(&row.fingerprint)
    .bind(row.resource_id)
    .bind(now_ms)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(())
}
