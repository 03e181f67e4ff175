//! Users, their role and the region subtrees they are scoped to.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::sql::{ScopeRanges, Sql};
use crate::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub must_change_password: i64,
    pub disabled: i64,
    pub created_at: i64,
    pub password_changed_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub row: UserRow,
    pub regions: Vec<String>,
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
    pub must_change_password: bool,
    pub regions: &'a [String],
}

const COLUMNS: &str = "id, username, display_name, role, password_hash, must_change_password, \
                       disabled, created_at, password_changed_at";

async fn with_regions(conn: &mut AnyConnection, row: UserRow) -> Result<User> {
    let regions: Vec<(String,)> = sqlx::query_as(
        "SELECT region_code FROM user_regions WHERE user_id = $1 ORDER BY region_code",
    )
    .bind(row.id)
    .fetch_all(conn)
    .await?;
    Ok(User {
        row,
        regions: regions.into_iter().map(|r| r.0).collect(),
    })
}

pub async fn by_username(conn: &mut AnyConnection, username: &str) -> Result<User> {
    let row =
        sqlx::query_as::<_, UserRow>(&format!("SELECT {COLUMNS} FROM users WHERE username = $1"))
            .bind(username)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)?;
    with_regions(conn, row).await
}

pub async fn by_id(conn: &mut AnyConnection, id: i64) -> Result<User> {
    let row = sqlx::query_as::<_, UserRow>(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    with_regions(conn, row).await
}

pub async fn create(conn: &mut AnyConnection, u: &NewUser<'_>, now_ms: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO users (username, display_name, role, password_hash, must_change_password, \
         disabled, created_at, password_changed_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6) RETURNING id",
    )
    .bind(u.username)
    .bind(u.display_name)
    .bind(u.role)
    .bind(u.password_hash)
    .bind(i64::from(u.must_change_password))
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::from_write)?;
    for code in u.regions {
        sqlx::query("INSERT INTO user_regions (user_id, region_code) VALUES ($1, $2)")
            .bind(id)
            .bind(code.as_str())
            .execute(&mut *conn)
            .await
            .map_err(StoreError::from_write)?;
    }
    Ok(id)
}

pub async fn set_password(
    conn: &mut AnyConnection,
    id: i64,
    password_hash: &str,
    must_change: bool,
    now_ms: i64,
) -> Result<()> {
    let r = sqlx::query(
        "UPDATE users SET password_hash = $1, must_change_password = $2, password_changed_at = $3 \
         WHERE id = $4",
    )
    .bind(password_hash)
    .bind(i64::from(must_change))
    .bind(now_ms)
    .bind(id)
    .execute(conn)
    .await?;
    if r.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Users any of whose regions lie inside the scope, newest first.
pub async fn list(
    conn: &mut AnyConnection,
    scope: ScopeRanges<'_>,
    limit: i64,
    offset: i64,
) -> Result<Vec<User>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM users WHERE id IN (SELECT user_id FROM user_regions WHERE 1 = 1"
    ));
    sql.and_in_scope("region_code", scope)
        .push(") ORDER BY id LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    let rows = sql.query_as::<UserRow>().fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(with_regions(conn, r).await?);
    }
    Ok(out)
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(conn)
        .await?;
    Ok(n)
}

/// Enabled users of one of `roles` scoped to one of `codes` exactly (a case's region and
/// its ancestors: the people whose regions cover it), by display name.
pub async fn covering(
    conn: &mut AnyConnection,
    codes: &[String],
    roles: &[&str],
    limit: i64,
) -> Result<Vec<User>> {
    if codes.is_empty() || roles.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM users WHERE disabled = 0 AND role IN ("
    ));
    for (i, r) in roles.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*r);
    }
    sql.push(") AND id IN (SELECT user_id FROM user_regions WHERE region_code IN (");
    for (i, c) in codes.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(c.as_str());
    }
    sql.push(")) ORDER BY display_name, id LIMIT ").bind(limit);
    let rows = sql.query_as::<UserRow>().fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(with_regions(conn, r).await?);
    }
    Ok(out)
}
