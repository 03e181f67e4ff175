//! Web sessions, API tokens and the login-failure record behind the lockout rule.
//! Tokens are stored only as SHA-256 hashes.

use sqlx::AnyConnection;

use crate::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

pub async fn create_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: i64,
    csrf_token: &str,
    now_ms: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(csrf_token)
    .bind(now_ms)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(())
}

pub async fn session(conn: &mut AnyConnection, token_hash: &str) -> Result<SessionRow> {
    sqlx::query_as::<_, SessionRow>(
        "SELECT user_id, csrf_token, created_at, last_seen_at FROM sessions WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

/// Marks the session used; skipped when it was marked in the last minute, so reads stay
/// reads.
pub async fn touch_session(conn: &mut AnyConnection, token_hash: &str, now_ms: i64) -> Result<()> {
    sqlx::query(
        "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $3",
    )
    .bind(now_ms)
    .bind(token_hash)
    .bind(now_ms - 60_000)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_session(conn: &mut AnyConnection, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of a user (after a password change).
pub async fn delete_user_sessions(conn: &mut AnyConnection, user_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn create_token(
    conn: &mut AnyConnection,
    user_id: i64,
    label: &str,
    token_hash: &str,
    now_ms: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO api_tokens (user_id, label, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(user_id)
    .bind(label)
    .bind(token_hash)
    .bind(now_ms)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

/// The user behind a live (not revoked) API token.
pub async fn token_user(conn: &mut AnyConnection, token_hash: &str) -> Result<i64> {
    let (uid,): (i64,) = sqlx::query_as(
        "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(uid)
}

pub async fn record_login_failure(
    conn: &mut AnyConnection,
    username: &str,
    ip: &str,
    now_ms: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO login_failures (username, at, ip) VALUES ($1, $2, $3)")
        .bind(username)
        .bind(now_ms)
        .bind(ip)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn login_failures_since(
    conn: &mut AnyConnection,
    username: &str,
    since_ms: i64,
) -> Result<(i64, Option<i64>)> {
    let row: (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(at) FROM login_failures WHERE username = $1 AND at >= $2",
    )
    .bind(username)
    .bind(since_ms)
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn clear_login_failures(conn: &mut AnyConnection, username: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1")
        .bind(username)
        .execute(conn)
        .await?;
    Ok(())
}
