//! The region tree: lookups by code, children, subtree counts and upserts for imports.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
}

pub async fn get(conn: &mut AnyConnection, code: &str) -> Result<Region> {
    sqlx::query_as::<_, Region>(
        "SELECT code, name, level, parent_code FROM regions WHERE code = $1",
    )
    .bind(code)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

pub async fn children(conn: &mut AnyConnection, code: &str) -> Result<Vec<Region>> {
    Ok(sqlx::query_as::<_, Region>(
        "SELECT code, name, level, parent_code FROM regions WHERE parent_code = $1 ORDER BY code",
    )
    .bind(code)
    .fetch_all(conn)
    .await?)
}

/// How many regions of each level lie in `[lo, hi)`.
pub async fn count_by_level(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as::<_, (String, i64)>(
        "SELECT level, COUNT(*) FROM regions WHERE code >= $1 AND code < $2 GROUP BY level ORDER BY level",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}

/// Inserts or renames. Returns true when the row was new.
pub async fn upsert(conn: &mut AnyConnection, region: &Region, now_ms: i64) -> Result<bool> {
    let existed = sqlx::query_as::<_, (i64,)>("SELECT 1 FROM regions WHERE code = $1")
        .bind(&region.code)
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    sqlx::query(
        "INSERT INTO regions (code, name, level, parent_code, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
    )
    .bind(&region.code)
    .bind(&region.name)
    .bind(&region.level)
    .bind(region.parent_code.as_deref())
    .bind(now_ms)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(!existed)
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM regions")
        .fetch_one(conn)
        .await?;
    Ok(n)
}

/// Every region in `[lo, hi)` of one level, by code.
pub async fn list_level(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
    level: &str,
) -> Result<Vec<Region>> {
    Ok(sqlx::query_as::<_, Region>(
        "SELECT code, name, level, parent_code FROM regions \
         WHERE code >= $1 AND code < $2 AND level = $3 ORDER BY code",
    )
    .bind(lo)
    .bind(hi)
    .bind(level)
    .fetch_all(conn)
    .await?)
}
