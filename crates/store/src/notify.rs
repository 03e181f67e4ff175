//! The in-app inbox, routing rules, and the webhook outbox (written with the command,
//! delivered after it commits, retried until sent).

use sqlx::AnyConnection;

use crate::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: i64,
    pub user_id: i64,
    pub case_id: Option<i64>,
    pub kind: String,
    pub message: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

pub async fn notify(
    conn: &mut AnyConnection,
    user_id: i64,
    case_id: Option<i64>,
    kind: &str,
    message: &str,
    now_ms: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO notifications (user_id, case_id, kind, message, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(case_id)
    .bind(kind)
    .bind(message)
    .bind(now_ms)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn inbox(
    conn: &mut AnyConnection,
    user_id: i64,
    unread_only: bool,
    limit: i64,
) -> Result<Vec<NotificationRow>> {
    let unread = if unread_only {
        " AND read_at IS NULL"
    } else {
        ""
    };
    Ok(sqlx::query_as::<_, NotificationRow>(&format!(
        "SELECT id, user_id, case_id, kind, message, created_at, read_at FROM notifications \
         WHERE user_id = $1{unread} ORDER BY id DESC LIMIT $2"
    ))
    .bind(user_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Marks one of the user's own notifications read; `NotFound` for anyone else's.
pub async fn mark_read(conn: &mut AnyConnection, user_id: i64, id: i64, now_ms: i64) -> Result<()> {
    let r = sqlx::query(
        "UPDATE notifications SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND user_id = $3",
    )
    .bind(now_ms)
    .bind(id)
    .bind(user_id)
    .execute(conn)
    .await?;
    if r.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RoutingRule {
    pub id: i64,
    pub category_prefix: String,
    pub region_code: String,
    pub assignee_user_id: i64,
    pub created_at: i64,
}

pub async fn add_rule(
    conn: &mut AnyConnection,
    category_prefix: &str,
    region_code: &str,
    assignee: i64,
    now_ms: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO routing_rules (category_prefix, region_code, assignee_user_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(category_prefix)
    .bind(region_code)
    .bind(assignee)
    .bind(now_ms)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn rules(conn: &mut AnyConnection) -> Result<Vec<RoutingRule>> {
    Ok(sqlx::query_as::<_, RoutingRule>(
        "SELECT id, category_prefix, region_code, assignee_user_id, created_at FROM routing_rules ORDER BY id",
    )
    .fetch_all(conn)
    .await?)
}

pub async fn enqueue_webhook(conn: &mut AnyConnection, payload: &str, now_ms: i64) -> Result<()> {
    sqlx::query("INSERT INTO webhook_outbox (payload, created_at) VALUES ($1, $2)")
        .bind(payload)
        .bind(now_ms)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn pending_webhooks(
    conn: &mut AnyConnection,
    max_attempts: i64,
    limit: i64,
) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, payload FROM webhook_outbox WHERE sent_at IS NULL AND attempts < $1 ORDER BY id LIMIT $2",
    )
    .bind(max_attempts)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

pub async fn webhook_result(
    conn: &mut AnyConnection,
    id: i64,
    sent: bool,
    now_ms: i64,
) -> Result<()> {
    let sql = if sent {
        "UPDATE webhook_outbox SET attempts = attempts + 1, sent_at = $1 WHERE id = $2"
    } else {
        "UPDATE webhook_outbox SET attempts = attempts + 1 WHERE id = $2 AND $1 = $1"
    };
    sqlx::query(sql).bind(now_ms).bind(id).execute(conn).await?;
    Ok(())
}
