//! Work in the field: 包干 assignments and their visits, patrols against check-item
//! templates, and the 民情日记.

use sqlx::AnyConnection;

use crate::sql::{ScopeRanges, Sql};
use crate::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AssignmentRow {
    pub id: i64,
    pub region_code: String,
    pub kind: String,
    pub name: String,
    pub agency: String,
    pub phone_enc: Option<Vec<u8>>,
    pub user_id: Option<i64>,
    pub active: i64,
    pub created_at: i64,
}

pub async fn add_assignment(conn: &mut AnyConnection, a: &AssignmentRow) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO assignments (region_code, kind, name, agency, phone_enc, user_id, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING id",
    )
    .bind(&a.region_code)
    .bind(&a.kind)
    .bind(&a.name)
    .bind(&a.agency)
    .bind(a.phone_enc.clone())
    .bind(a.user_id)
    .bind(a.created_at)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

const A_COLUMNS: &str =
    "id, region_code, kind, name, agency, phone_enc, user_id, active, created_at";

pub async fn assignment(conn: &mut AnyConnection, id: i64) -> Result<AssignmentRow> {
    sqlx::query_as::<_, AssignmentRow>(&format!(
        "SELECT {A_COLUMNS} FROM assignments WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

pub async fn assignments(
    conn: &mut AnyConnection,
    scope: ScopeRanges<'_>,
    region: Option<(&str, &str)>,
) -> Result<Vec<AssignmentRow>> {
    let mut q = Sql::new(&format!("SELECT {A_COLUMNS} FROM assignments WHERE 1 = 1"));
    q.and_in_scope("region_code", scope);
    if let Some((lo, hi)) = region {
        q.push(" AND region_code >= ")
            .bind(lo)
            .push(" AND region_code < ")
            .bind(hi);
    }
    q.push(" ORDER BY region_code, id LIMIT 1000");
    Ok(q.query_as::<AssignmentRow>().fetch_all(conn).await?)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct VisitRow {
    pub id: i64,
    pub assignment_id: Option<i64>,
    pub visitor_id: i64,
    pub region_code: String,
    pub household_id: Option<i64>,
    pub visited_at: i64,
    pub place: String,
    pub whom: String,
    pub findings: String,
    pub case_id: Option<i64>,
    pub created_at: i64,
}

const V_COLUMNS: &str = "id, assignment_id, visitor_id, region_code, household_id, visited_at, place, whom, findings, case_id, created_at";

pub async fn add_visit(conn: &mut AnyConnection, v: &VisitRow) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO visits (assignment_id, visitor_id, region_code, household_id, visited_at, place, whom, findings, case_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(v.assignment_id)
    .bind(v.visitor_id)
    .bind(&v.region_code)
    .bind(v.household_id)
    .bind(v.visited_at)
    .bind(&v.place)
    .bind(&v.whom)
    .bind(&v.findings)
    .bind(v.case_id)
    .bind(v.created_at)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn visit(conn: &mut AnyConnection, id: i64) -> Result<VisitRow> {
    sqlx::query_as::<_, VisitRow>(&format!("SELECT {V_COLUMNS} FROM visits WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn set_visit_case(conn: &mut AnyConnection, id: i64, case_id: i64) -> Result<()> {
    sqlx::query("UPDATE visits SET case_id = $1 WHERE id = $2")
        .bind(case_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn visits(
    conn: &mut AnyConnection,
    scope: ScopeRanges<'_>,
    region: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<VisitRow>> {
    let mut q = Sql::new(&format!("SELECT {V_COLUMNS} FROM visits WHERE 1 = 1"));
    q.and_in_scope("region_code", scope);
    if let Some((lo, hi)) = region {
        q.push(" AND region_code >= ")
            .bind(lo)
            .push(" AND region_code < ")
            .bind(hi);
    }
    q.push(" ORDER BY visited_at DESC, id DESC LIMIT ")
        .bind(limit);
    Ok(q.query_as::<VisitRow>().fetch_all(conn).await?)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TemplateRow {
    pub id: i64,
    pub name: String,
    /// JSON array of {"id", "name"}.
    pub items: String,
}

pub async fn upsert_template(
    conn: &mut AnyConnection,
    name: &str,
    items_json: &str,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO patrol_templates (name, items) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET items = excluded.items RETURNING id",
    )
    .bind(name)
    .bind(items_json)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn templates(conn: &mut AnyConnection) -> Result<Vec<TemplateRow>> {
    Ok(
        sqlx::query_as::<_, TemplateRow>(
            "SELECT id, name, items FROM patrol_templates ORDER BY id",
        )
        .fetch_all(conn)
        .await?,
    )
}

pub async fn template(conn: &mut AnyConnection, id: i64) -> Result<TemplateRow> {
    sqlx::query_as::<_, TemplateRow>("SELECT id, name, items FROM patrol_templates WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PlanRow {
    pub id: i64,
    pub grid_code: String,
    pub template_id: i64,
    pub every_days: i64,
    pub created_at: i64,
}

pub async fn add_plan(
    conn: &mut AnyConnection,
    grid: &str,
    template_id: i64,
    every_days: i64,
    now_ms: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO patrol_plans (grid_code, template_id, every_days, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(grid)
    .bind(template_id)
    .bind(every_days)
    .bind(now_ms)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn plans(conn: &mut AnyConnection, lo: &str, hi: &str) -> Result<Vec<PlanRow>> {
    Ok(sqlx::query_as::<_, PlanRow>(
        "SELECT id, grid_code, template_id, every_days, created_at FROM patrol_plans WHERE grid_code >= $1 AND grid_code < $2 ORDER BY grid_code, id",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}

pub async fn plan(conn: &mut AnyConnection, id: i64) -> Result<PlanRow> {
    sqlx::query_as::<_, PlanRow>(
        "SELECT id, grid_code, template_id, every_days, created_at FROM patrol_plans WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PatrolRow {
    pub id: i64,
    pub grid_code: String,
    pub plan_id: Option<i64>,
    pub template_id: i64,
    pub worker_id: i64,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    /// JSON array of [lng, lat, unix_ms].
    pub track: String,
    pub created_at: i64,
}

const P_COLUMNS: &str =
    "id, grid_code, plan_id, template_id, worker_id, started_at, ended_at, track, created_at";

pub async fn add_patrol(conn: &mut AnyConnection, p: &PatrolRow) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO patrols (grid_code, plan_id, template_id, worker_id, started_at, ended_at, track, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&p.grid_code)
    .bind(p.plan_id)
    .bind(p.template_id)
    .bind(p.worker_id)
    .bind(p.started_at)
    .bind(p.ended_at)
    .bind(&p.track)
    .bind(p.created_at)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn patrol(conn: &mut AnyConnection, id: i64) -> Result<PatrolRow> {
    sqlx::query_as::<_, PatrolRow>(&format!("SELECT {P_COLUMNS} FROM patrols WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn patrols(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<PatrolRow>> {
    Ok(sqlx::query_as::<_, PatrolRow>(&format!(
        "SELECT {P_COLUMNS} FROM patrols WHERE grid_code >= $1 AND grid_code < $2 AND started_at >= $3 AND started_at < $4 ORDER BY started_at"
    ))
    .bind(lo)
    .bind(hi)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PatrolItemRow {
    pub id: i64,
    pub patrol_id: i64,
    pub item_id: String,
    pub item_name: String,
    pub result: String,
    pub note: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub case_id: Option<i64>,
}

pub async fn add_item(conn: &mut AnyConnection, i: &PatrolItemRow) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO patrol_items (patrol_id, item_id, item_name, result, note, lat, lng, case_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(i.patrol_id)
    .bind(&i.item_id)
    .bind(&i.item_name)
    .bind(&i.result)
    .bind(i.note.as_deref())
    .bind(i.lat)
    .bind(i.lng)
    .bind(i.case_id)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn set_item_case(conn: &mut AnyConnection, id: i64, case_id: i64) -> Result<()> {
    sqlx::query("UPDATE patrol_items SET case_id = $1 WHERE id = $2")
        .bind(case_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn items(conn: &mut AnyConnection, patrol_id: i64) -> Result<Vec<PatrolItemRow>> {
    Ok(sqlx::query_as::<_, PatrolItemRow>(
        "SELECT id, patrol_id, item_id, item_name, result, note, lat, lng, case_id FROM patrol_items WHERE patrol_id = $1 ORDER BY id",
    )
    .bind(patrol_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DiaryRow {
    pub id: i64,
    pub author_id: i64,
    pub region_code: String,
    pub resident: String,
    pub request: String,
    pub created_at: i64,
    pub done_at: Option<i64>,
    pub done_note: Option<String>,
    pub case_id: Option<i64>,
}

const D_COLUMNS: &str =
    "id, author_id, region_code, resident, request, created_at, done_at, done_note, case_id";

pub async fn add_diary(conn: &mut AnyConnection, d: &DiaryRow) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO diary_entries (author_id, region_code, resident, request, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(d.author_id)
    .bind(&d.region_code)
    .bind(&d.resident)
    .bind(&d.request)
    .bind(d.created_at)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn diary(conn: &mut AnyConnection, id: i64) -> Result<DiaryRow> {
    sqlx::query_as::<_, DiaryRow>(&format!(
        "SELECT {D_COLUMNS} FROM diary_entries WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

pub async fn close_diary(
    conn: &mut AnyConnection,
    id: i64,
    done_at: i64,
    note: Option<&str>,
    case_id: Option<i64>,
) -> Result<()> {
    let r = sqlx::query("UPDATE diary_entries SET done_at = $1, done_note = $2, case_id = $3 WHERE id = $4 AND done_at IS NULL")
        .bind(done_at)
        .bind(note)
        .bind(case_id)
        .bind(id)
        .execute(conn)
        .await?;
    // Two taps at once: only one crosses the entry off.
    if r.rows_affected() == 0 {
        return Err(StoreError::Conflict("already_done".into()));
    }
    Ok(())
}

pub async fn diaries(
    conn: &mut AnyConnection,
    author: Option<i64>,
    scope: ScopeRanges<'_>,
    region: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<DiaryRow>> {
    let mut q = Sql::new(&format!(
        "SELECT {D_COLUMNS} FROM diary_entries WHERE 1 = 1"
    ));
    q.and_in_scope("region_code", scope);
    if let Some(a) = author {
        q.push(" AND author_id = ").bind(a);
    }
    if let Some((lo, hi)) = region {
        q.push(" AND region_code >= ")
            .bind(lo)
            .push(" AND region_code < ")
            .bind(hi);
    }
    q.push(" ORDER BY id DESC LIMIT ").bind(limit);
    Ok(q.query_as::<DiaryRow>().fetch_all(conn).await?)
}

/// Open and done diary entries per author in `[lo, hi)`: (author_id, open, done).
pub async fn diary_counts(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
) -> Result<Vec<(i64, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT author_id, CAST(SUM(CASE WHEN done_at IS NULL THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN done_at IS NULL THEN 0 ELSE 1 END) AS BIGINT) FROM diary_entries \
         WHERE region_code >= $1 AND region_code < $2 GROUP BY author_id ORDER BY author_id",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}
