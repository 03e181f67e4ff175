//! 家庭家事档案: circumstances and risk factors encrypted at rest, risk level and the next
//! review date in the clear (for the review list).

use sqlx::AnyConnection;

use crate::sql::{ScopeRanges, Sql};
use crate::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FamilyFileRow {
    pub id: i64,
    pub household_id: i64,
    pub region_code: String,
    pub circumstances: Vec<u8>,
    pub risk_level: String,
    pub risk_factors: Vec<u8>,
    pub next_review_date: String,
    pub version: i64,
    pub updated_by: Option<i64>,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, household_id, region_code, circumstances, risk_level, risk_factors, next_review_date, version, updated_by, updated_at";

pub async fn by_household(
    conn: &mut AnyConnection,
    household_id: i64,
) -> Result<Option<FamilyFileRow>> {
    Ok(sqlx::query_as::<_, FamilyFileRow>(&format!(
        "SELECT {COLUMNS} FROM family_files WHERE household_id = $1"
    ))
    .bind(household_id)
    .fetch_optional(conn)
    .await?)
}

/// Creates the file, or replaces it if still at `expected_version` (None = must not exist).
pub async fn save(
    conn: &mut AnyConnection,
    f: &FamilyFileRow,
    expected_version: Option<i64>,
) -> Result<i64> {
    match expected_version {
        None => {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO family_files (household_id, region_code, circumstances, risk_level, risk_factors, \
                 next_review_date, version, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8) RETURNING id",
            )
            .bind(f.household_id)
            .bind(&f.region_code)
            .bind(f.circumstances.clone())
            .bind(&f.risk_level)
            .bind(f.risk_factors.clone())
            .bind(&f.next_review_date)
            .bind(f.updated_by)
            .bind(f.updated_at)
            .fetch_one(conn)
            .await
            .map_err(StoreError::from_write)?;
            Ok(id)
        }
        Some(v) => {
            let r = sqlx::query(
                "UPDATE family_files SET circumstances = $1, risk_level = $2, risk_factors = $3, next_review_date = $4, \
                 updated_by = $5, updated_at = $6, region_code = $7, version = version + 1 WHERE household_id = $8 AND version = $9",
            )
            .bind(f.circumstances.clone())
            .bind(&f.risk_level)
            .bind(f.risk_factors.clone())
            .bind(&f.next_review_date)
            .bind(f.updated_by)
            .bind(f.updated_at)
            .bind(&f.region_code)
            .bind(f.household_id)
            .bind(v)
            .execute(conn)
            .await
            .map_err(StoreError::from_write)?;
            if r.rows_affected() == 0 {
                return Err(StoreError::Conflict("version".into()));
            }
            Ok(f.id)
        }
    }
}

/// Files due for review on or before `date` (YYYY-MM-DD), soonest first.
pub async fn due_for_review(
    conn: &mut AnyConnection,
    scope: ScopeRanges<'_>,
    date: &str,
    limit: i64,
) -> Result<Vec<FamilyFileRow>> {
    let mut q = Sql::new(&format!(
        "SELECT {COLUMNS} FROM family_files WHERE next_review_date <= "
    ));
    q.bind(date);
    q.and_in_scope("region_code", scope);
    q.push(" ORDER BY next_review_date, id LIMIT ").bind(limit);
    Ok(q.query_as::<FamilyFileRow>().fetch_all(conn).await?)
}
