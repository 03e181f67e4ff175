//! Grid boundaries, posts (网格员 and the 三长 chain) and the coverage report.

use sqlx::AnyConnection;

use crate::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct GridRow {
    pub code: String,
    pub boundary: String,
    pub min_lng: f64,
    pub min_lat: f64,
    pub max_lng: f64,
    pub max_lat: f64,
    pub area_m2: f64,
    pub updated_at: i64,
}

pub async fn put_boundary(conn: &mut AnyConnection, g: &GridRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO grids (code, boundary, min_lng, min_lat, max_lng, max_lat, area_m2, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (code) DO UPDATE SET boundary = excluded.boundary, \
         min_lng = excluded.min_lng, min_lat = excluded.min_lat, max_lng = excluded.max_lng, \
         max_lat = excluded.max_lat, area_m2 = excluded.area_m2, updated_at = excluded.updated_at",
    )
    .bind(&g.code)
    .bind(&g.boundary)
    .bind(g.min_lng)
    .bind(g.min_lat)
    .bind(g.max_lng)
    .bind(g.max_lat)
    .bind(g.area_m2)
    .bind(g.updated_at)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(())
}

const GRID_COLUMNS: &str =
    "code, boundary, min_lng, min_lat, max_lng, max_lat, area_m2, updated_at";

/// Boundaries of the grids in `[lo, hi)`.
pub async fn boundaries(conn: &mut AnyConnection, lo: &str, hi: &str) -> Result<Vec<GridRow>> {
    Ok(sqlx::query_as::<_, GridRow>(&format!(
        "SELECT {GRID_COLUMNS} FROM grids WHERE code >= $1 AND code < $2 ORDER BY code"
    ))
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}

/// Every boundary (to build the point → grid index).
pub async fn all_boundaries(conn: &mut AnyConnection) -> Result<Vec<GridRow>> {
    Ok(
        sqlx::query_as::<_, GridRow>(&format!("SELECT {GRID_COLUMNS} FROM grids ORDER BY code"))
            .fetch_all(conn)
            .await?,
    )
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PostRow {
    pub id: i64,
    pub region_code: String,
    pub post: String,
    pub employment: Option<String>,
    pub name: String,
    pub phone_enc: Option<Vec<u8>>,
    pub user_id: Option<i64>,
    pub created_at: i64,
}

pub async fn add_post(conn: &mut AnyConnection, p: &PostRow) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO posts (region_code, post, employment, name, phone_enc, user_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&p.region_code)
    .bind(&p.post)
    .bind(p.employment.as_deref())
    .bind(&p.name)
    .bind(p.phone_enc.clone())
    .bind(p.user_id)
    .bind(p.created_at)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn post(conn: &mut AnyConnection, id: i64) -> Result<PostRow> {
    sqlx::query_as::<_, PostRow>(
        "SELECT id, region_code, post, employment, name, phone_enc, user_id, created_at FROM posts WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

pub async fn delete_post(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM posts WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn posts(conn: &mut AnyConnection, lo: &str, hi: &str) -> Result<Vec<PostRow>> {
    Ok(sqlx::query_as::<_, PostRow>(
        "SELECT id, region_code, post, employment, name, phone_enc, user_id, created_at FROM posts \
         WHERE region_code >= $1 AND region_code < $2 ORDER BY region_code, post, id",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}

/// The figures of a coverage report for a subtree `[lo, hi)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub grids: i64,
    pub grids_with_boundary: i64,
    pub grid_workers: i64,
    pub block_leaders: i64,
    pub group_leaders: i64,
    pub neighbor_leaders: i64,
    pub households: i64,
    pub households_covered: i64,
    pub residents: i64,
    pub residents_covered: i64,
    /// Codes of grids without a 网格员.
    pub grids_without_worker: Vec<String>,
    /// Households whose node has no 邻长 (household id, household_no, region_code).
    pub households_without_leader: Vec<(i64, String, String)>,
    /// 邻 nodes whose households exceed the cap (code, households).
    pub overloaded_neighbors: Vec<(String, i64)>,
}

async fn count(conn: &mut AnyConnection, sql: &str, lo: &str, hi: &str) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(sql)
        .bind(lo)
        .bind(hi)
        .fetch_one(conn)
        .await?;
    Ok(n)
}

pub async fn coverage(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
    cap: i64,
    list_limit: i64,
) -> Result<Coverage> {
    let mut c = Coverage {
        grids: count(
            conn,
            "SELECT COUNT(*) FROM regions WHERE code >= $1 AND code < $2 AND level = 'grid'",
            lo,
            hi,
        )
        .await?,
        grids_with_boundary: count(
            conn,
            "SELECT COUNT(*) FROM grids WHERE code >= $1 AND code < $2",
            lo,
            hi,
        )
        .await?,
        households: count(
            conn,
            "SELECT COUNT(*) FROM households WHERE region_code >= $1 AND region_code < $2",
            lo,
            hi,
        )
        .await?,
        residents: count(
            conn,
            "SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id \
             WHERE h.region_code >= $1 AND h.region_code < $2",
            lo,
            hi,
        )
        .await?,
        ..Default::default()
    };
    let per_post: Vec<(String, i64)> = sqlx::query_as(
        "SELECT post, COUNT(*) FROM posts WHERE region_code >= $1 AND region_code < $2 GROUP BY post",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(&mut *conn)
    .await?;
    for (post, n) in per_post {
        match post.as_str() {
            "grid_worker" => c.grid_workers = n,
            "block_leader" => c.block_leaders = n,
            "group_leader" => c.group_leaders = n,
            "neighbor_leader" => c.neighbor_leaders = n,
            _ => {}
        }
    }
    // A household is covered when its node is a 邻 with a 邻长.
    const LED: &str = "SELECT region_code FROM posts WHERE post = 'neighbor_leader'";
    c.households_covered = count(
        conn,
        &format!("SELECT COUNT(*) FROM households WHERE region_code >= $1 AND region_code < $2 AND region_code IN ({LED})"),
        lo,
        hi,
    )
    .await?;
    c.residents_covered = count(
        conn,
        &format!(
            "SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id \
             WHERE h.region_code >= $1 AND h.region_code < $2 AND h.region_code IN ({LED})"
        ),
        lo,
        hi,
    )
    .await?;
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT code FROM regions WHERE code >= $1 AND code < $2 AND level = 'grid' AND code NOT IN \
         (SELECT region_code FROM posts WHERE post = 'grid_worker') ORDER BY code LIMIT $3",
    )
    .bind(lo)
    .bind(hi)
    .bind(list_limit)
    .fetch_all(&mut *conn)
    .await?;
    c.grids_without_worker = rows.into_iter().map(|r| r.0).collect();
    c.households_without_leader = sqlx::query_as(&format!(
        "SELECT id, household_no, region_code FROM households WHERE region_code >= $1 AND region_code < $2 \
         AND region_code NOT IN ({LED}) ORDER BY region_code, id LIMIT $3"
    ))
    .bind(lo)
    .bind(hi)
    .bind(list_limit)
    .fetch_all(&mut *conn)
    .await?;
    c.overloaded_neighbors = sqlx::query_as(&format!(
        "SELECT region_code, COUNT(*) AS n FROM households WHERE region_code >= $1 AND region_code < $2 \
         AND region_code IN ({LED}) GROUP BY region_code HAVING COUNT(*) > $3 ORDER BY region_code LIMIT $4"
    ))
    .bind(lo)
    .bind(hi)
    .bind(cap)
    .bind(list_limit)
    .fetch_all(conn)
    .await?;
    Ok(c)
}

/// Whether `region_code` already has someone in `post`.
pub async fn has_post(conn: &mut AnyConnection, region_code: &str, post: &str) -> Result<bool> {
    let r: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM posts WHERE region_code = $1 AND post = $2 LIMIT 1")
            .bind(region_code)
            .bind(post)
            .fetch_optional(conn)
            .await?;
    Ok(r.is_some())
}
