//! Residents (居民). Their 身份证号 and phone are stored only encrypted, beside a keyed hash
//! for exact search; encryption happens above this layer, so the store never sees a key.

use sqlx::AnyConnection;

use crate::sql::{ScopeRanges, Sql};
use crate::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ResidentRow {
    pub id: i64,
    pub region_code: String,
    pub name: String,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    pub id_number_enc: Option<Vec<u8>>,
    pub phone_enc: Option<Vec<u8>>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The sealed form of a resident's fields, ready to store.
#[derive(Debug, Clone, Default)]
pub struct ResidentFields {
    pub region_code: String,
    pub name: String,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    pub id_number_enc: Option<Vec<u8>>,
    pub id_number_hash: Option<String>,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_hash: Option<String>,
}

const COLUMNS: &str = "id, region_code, name, sex, birth_date, id_number_enc, phone_enc, version, \
                       created_at, updated_at";

pub async fn create(conn: &mut AnyConnection, f: &ResidentFields, now_ms: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO residents (region_code, name, sex, birth_date, id_number_enc, id_number_hash, \
         phone_enc, phone_hash, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9) RETURNING id",
    )
    .bind(&f.region_code)
    .bind(&f.name)
    .bind(f.sex.as_deref())
    .bind(f.birth_date.as_deref())
    .bind(f.id_number_enc.clone())
    .bind(f.id_number_hash.as_deref())
    .bind(f.phone_enc.clone())
    .bind(f.phone_hash.as_deref())
    .bind(now_ms)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

/// Replaces the fields if the row is still at `expected_version`; otherwise `Conflict`,
/// so two people editing at once never silently overwrite each other.
pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    expected_version: i64,
    f: &ResidentFields,
    now_ms: i64,
) -> Result<i64> {
    let r = sqlx::query(
        "UPDATE residents SET region_code = $1, name = $2, sex = $3, birth_date = $4, \
         id_number_enc = $5, id_number_hash = $6, phone_enc = $7, phone_hash = $8, \
         version = version + 1, updated_at = $9 WHERE id = $10 AND version = $11",
    )
    .bind(&f.region_code)
    .bind(&f.name)
    .bind(f.sex.as_deref())
    .bind(f.birth_date.as_deref())
    .bind(f.id_number_enc.clone())
    .bind(f.id_number_hash.as_deref())
    .bind(f.phone_enc.clone())
    .bind(f.phone_hash.as_deref())
    .bind(now_ms)
    .bind(id)
    .bind(expected_version)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    if r.rows_affected() == 0 {
        return Err(StoreError::Conflict("version".into()));
    }
    Ok(expected_version + 1)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<ResidentRow> {
    sqlx::query_as::<_, ResidentRow>(&format!("SELECT {COLUMNS} FROM residents WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)
}

#[derive(Debug, Default)]
pub struct ResidentFilter<'a> {
    /// `[lo, hi)` of a region subtree the caller asked for.
    pub region: Option<(&'a str, &'a str)>,
    pub id_number_hash: Option<&'a str>,
    pub phone_hash: Option<&'a str>,
    pub name: Option<&'a str>,
}

fn push_filter(q: &mut Sql, scope: ScopeRanges<'_>, filter: &ResidentFilter<'_>) {
    q.and_in_scope("region_code", scope);
    if let Some((lo, hi)) = filter.region {
        q.push(" AND region_code >= ")
            .bind(lo)
            .push(" AND region_code < ")
            .bind(hi);
    }
    if let Some(h) = filter.id_number_hash {
        q.push(" AND id_number_hash = ").bind(h);
    }
    if let Some(h) = filter.phone_hash {
        q.push(" AND phone_hash = ").bind(h);
    }
    if let Some(n) = filter.name {
        q.push(" AND name = ").bind(n);
    }
}

pub async fn list(
    conn: &mut AnyConnection,
    scope: ScopeRanges<'_>,
    filter: &ResidentFilter<'_>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ResidentRow>, i64)> {
    let mut count = Sql::new("SELECT COUNT(*) FROM residents WHERE 1 = 1");
    let mut page = Sql::new(&format!("SELECT {COLUMNS} FROM residents WHERE 1 = 1"));
    for q in [&mut count, &mut page] {
        push_filter(q, scope, filter);
    }
    page.push(" ORDER BY region_code, id LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    let (total,): (i64,) = count.query_as().fetch_one(&mut *conn).await?;
    let rows = page.query_as::<ResidentRow>().fetch_all(conn).await?;
    Ok((rows, total))
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM residents")
        .fetch_one(conn)
        .await?;
    Ok(n)
}

/// The stored search hashes (id_number, phone) of a resident, to carry them over unchanged.
pub async fn hashes(conn: &mut AnyConnection, id: i64) -> Result<(Option<String>, Option<String>)> {
    sqlx::query_as("SELECT id_number_hash, phone_hash FROM residents WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)
}
