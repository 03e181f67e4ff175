//! Households (户) and their residents, and the roster upsert that imports them.

use sqlx::AnyConnection;

use crate::residents::ResidentFields;
use crate::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct HouseholdRow {
    pub id: i64,
    pub household_no: String,
    pub region_code: String,
    pub address: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, household_no, region_code, address, version, created_at, updated_at";

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<HouseholdRow> {
    sqlx::query_as::<_, HouseholdRow>(&format!("SELECT {COLUMNS} FROM households WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn by_no(conn: &mut AnyConnection, household_no: &str) -> Result<Option<HouseholdRow>> {
    Ok(sqlx::query_as::<_, HouseholdRow>(&format!(
        "SELECT {COLUMNS} FROM households WHERE household_no = $1"
    ))
    .bind(household_no)
    .fetch_optional(conn)
    .await?)
}

/// Creates the household or updates its place; returns (id, created).
pub async fn upsert(
    conn: &mut AnyConnection,
    household_no: &str,
    region_code: &str,
    address: &str,
    now_ms: i64,
) -> Result<(i64, bool)> {
    if let Some(h) = by_no(conn, household_no).await? {
        if h.region_code != region_code || h.address != address {
            sqlx::query("UPDATE households SET region_code = $1, address = $2, version = version + 1, updated_at = $3 WHERE id = $4")
                .bind(region_code)
                .bind(address)
                .bind(now_ms)
                .bind(h.id)
                .execute(conn)
                .await
                .map_err(StoreError::from_write)?;
        }
        return Ok((h.id, false));
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO households (household_no, region_code, address, version, created_at, updated_at) \
         VALUES ($1, $2, $3, 1, $4, $4) RETURNING id",
    )
    .bind(household_no)
    .bind(region_code)
    .bind(address)
    .bind(now_ms)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok((id, true))
}

pub async fn list(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<HouseholdRow>, i64)> {
    let (total,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM households WHERE region_code >= $1 AND region_code < $2",
    )
    .bind(lo)
    .bind(hi)
    .fetch_one(&mut *conn)
    .await?;
    let rows = sqlx::query_as::<_, HouseholdRow>(&format!(
        "SELECT {COLUMNS} FROM households WHERE region_code >= $1 AND region_code < $2 ORDER BY region_code, id LIMIT $3 OFFSET $4"
    ))
    .bind(lo)
    .bind(hi)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?;
    Ok((rows, total))
}

/// The resident with this 身份证号 (by keyed hash), if any: (id, household_id).
pub async fn resident_by_id_hash(
    conn: &mut AnyConnection,
    id_hash: &str,
) -> Result<Option<(i64, Option<i64>)>> {
    Ok(
        sqlx::query_as("SELECT id, household_id FROM residents WHERE id_number_hash = $1")
            .bind(id_hash)
            .fetch_optional(conn)
            .await?,
    )
}

/// Inserts or updates a resident found by 身份证号, placing them in a household.
/// Returns true when the resident was new.
pub async fn upsert_member(
    conn: &mut AnyConnection,
    household_id: i64,
    relation: &str,
    f: &ResidentFields,
    now_ms: i64,
) -> Result<bool> {
    let hash = f.id_number_hash.as_deref().unwrap_or_default();
    if let Some((id, _)) = resident_by_id_hash(conn, hash).await? {
        sqlx::query(
            "UPDATE residents SET region_code = $1, name = $2, sex = $3, birth_date = $4, id_number_enc = $5, \
             phone_enc = COALESCE($6, phone_enc), phone_hash = COALESCE($7, phone_hash), household_id = $8, \
             relation = $9, version = version + 1, updated_at = $10 WHERE id = $11",
        )
        .bind(&f.region_code)
        .bind(&f.name)
        .bind(f.sex.as_deref())
        .bind(f.birth_date.as_deref())
        .bind(f.id_number_enc.clone())
        .bind(f.phone_enc.clone())
        .bind(f.phone_hash.as_deref())
        .bind(household_id)
        .bind(relation)
        .bind(now_ms)
        .bind(id)
        .execute(conn)
        .await
        .map_err(StoreError::from_write)?;
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO residents (region_code, name, sex, birth_date, id_number_enc, id_number_hash, phone_enc, \
         phone_hash, version, created_at, updated_at, household_id, relation) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10, $11)",
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
    .bind(household_id)
    .bind(relation)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(true)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MemberRow {
    pub id: i64,
    pub name: String,
    pub relation: Option<String>,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    pub id_number_enc: Option<Vec<u8>>,
    pub phone_enc: Option<Vec<u8>>,
}

pub async fn members(conn: &mut AnyConnection, household_id: i64) -> Result<Vec<MemberRow>> {
    Ok(sqlx::query_as::<_, MemberRow>(
        "SELECT id, name, relation, sex, birth_date, id_number_enc, phone_enc FROM residents WHERE household_id = $1 ORDER BY id",
    )
    .bind(household_id)
    .fetch_all(conn)
    .await?)
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM households")
        .fetch_one(conn)
        .await?;
    Ok(n)
}
