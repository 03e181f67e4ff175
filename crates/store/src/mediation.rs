//! Dispute mediation records: details of the dispute, sessions, legal consultations, the
//! agreement with its signatures and judicial confirmation, follow-ups, and statistics.

use sqlx::AnyConnection;

use crate::{Result, StoreError};

#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct DisputeRow {
    pub case_id: i64,
    pub came_by: String,
    pub amount_yuan: Option<f64>,
    pub outcome: Option<String>,
    pub referral: Option<String>,
    pub resolved_at: Option<i64>,
    pub civil_to_criminal: i64,
    pub criminal_to_homicide: i64,
    pub outcome_note: Option<String>,
}

const D_COLUMNS: &str = "case_id, came_by, amount_yuan, outcome, referral, resolved_at, civil_to_criminal, criminal_to_homicide, outcome_note";

pub async fn insert(conn: &mut AnyConnection, d: &DisputeRow) -> Result<()> {
    sqlx::query("INSERT INTO dispute_details (case_id, came_by, amount_yuan) VALUES ($1, $2, $3)")
        .bind(d.case_id)
        .bind(&d.came_by)
        .bind(d.amount_yuan)
        .execute(conn)
        .await
        .map_err(StoreError::from_write)?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, case_id: i64) -> Result<DisputeRow> {
    sqlx::query_as::<_, DisputeRow>(&format!(
        "SELECT {D_COLUMNS} FROM dispute_details WHERE case_id = $1"
    ))
    .bind(case_id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

pub async fn save(conn: &mut AnyConnection, d: &DisputeRow) -> Result<()> {
    sqlx::query(
        "UPDATE dispute_details SET outcome = $1, referral = $2, resolved_at = $3, civil_to_criminal = $4, \
         criminal_to_homicide = $5, outcome_note = $6, amount_yuan = $7 WHERE case_id = $8",
    )
    .bind(d.outcome.as_deref())
    .bind(d.referral.as_deref())
    .bind(d.resolved_at)
    .bind(d.civil_to_criminal)
    .bind(d.criminal_to_homicide)
    .bind(d.outcome_note.as_deref())
    .bind(d.amount_yuan)
    .bind(d.case_id)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub case_id: i64,
    pub held_at: i64,
    pub place: String,
    /// JSON array of names.
    pub attendees: String,
    pub facts: String,
    pub proposals: String,
    /// continue, success or failure.
    pub result: String,
    pub mediator_id: i64,
    pub created_at: i64,
}

pub async fn add_session(conn: &mut AnyConnection, s: &SessionRow) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO mediation_sessions (case_id, held_at, place, attendees, facts, proposals, result, mediator_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(s.case_id)
    .bind(s.held_at)
    .bind(&s.place)
    .bind(&s.attendees)
    .bind(&s.facts)
    .bind(&s.proposals)
    .bind(&s.result)
    .bind(s.mediator_id)
    .bind(s.created_at)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn sessions(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<SessionRow>> {
    Ok(sqlx::query_as::<_, SessionRow>(
        "SELECT id, case_id, held_at, place, attendees, facts, proposals, result, mediator_id, created_at \
         FROM mediation_sessions WHERE case_id = $1 ORDER BY held_at, id",
    )
    .bind(case_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ConsultationRow {
    pub id: i64,
    pub case_id: i64,
    pub session_id: Option<i64>,
    pub asked_by: i64,
    pub advisor_id: Option<i64>,
    pub question: String,
    pub answer: Option<String>,
    pub asked_at: i64,
    pub answered_at: Option<i64>,
}

const C_COLUMNS: &str =
    "id, case_id, session_id, asked_by, advisor_id, question, answer, asked_at, answered_at";

pub async fn add_consultation(conn: &mut AnyConnection, c: &ConsultationRow) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO legal_consultations (case_id, session_id, asked_by, advisor_id, question, asked_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(c.case_id)
    .bind(c.session_id)
    .bind(c.asked_by)
    .bind(c.advisor_id)
    .bind(&c.question)
    .bind(c.asked_at)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn consultation(conn: &mut AnyConnection, id: i64) -> Result<ConsultationRow> {
    sqlx::query_as::<_, ConsultationRow>(&format!(
        "SELECT {C_COLUMNS} FROM legal_consultations WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

pub async fn answer(
    conn: &mut AnyConnection,
    id: i64,
    advisor: i64,
    answer: &str,
    now_ms: i64,
) -> Result<()> {
    let r = sqlx::query("UPDATE legal_consultations SET answer = $1, advisor_id = $2, answered_at = $3 WHERE id = $4 AND answer IS NULL")
        .bind(answer)
        .bind(advisor)
        .bind(now_ms)
        .bind(id)
        .execute(conn)
        .await?;
    if r.rows_affected() == 0 {
        return Err(StoreError::Conflict("already_answered".into()));
    }
    Ok(())
}

pub async fn consultations(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<ConsultationRow>> {
    Ok(sqlx::query_as::<_, ConsultationRow>(&format!(
        "SELECT {C_COLUMNS} FROM legal_consultations WHERE case_id = $1 ORDER BY id"
    ))
    .bind(case_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AgreementRow {
    pub case_id: i64,
    pub number: String,
    /// JSON of the agreement's text fields.
    pub content: String,
    pub signed_date: String,
    pub effective_at: Option<i64>,
    pub judicial_deadline: Option<String>,
    pub judicial_number: Option<String>,
    pub judicial_confirmed_at: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const A_COLUMNS: &str = "case_id, number, content, signed_date, effective_at, judicial_deadline, judicial_number, judicial_confirmed_at, version, created_at, updated_at";

pub async fn agreement(conn: &mut AnyConnection, case_id: i64) -> Result<Option<AgreementRow>> {
    Ok(sqlx::query_as::<_, AgreementRow>(&format!(
        "SELECT {A_COLUMNS} FROM mediation_agreements WHERE case_id = $1"
    ))
    .bind(case_id)
    .fetch_optional(conn)
    .await?)
}

/// Creates or replaces the agreement text; refused once anyone has signed.
pub async fn put_agreement(conn: &mut AnyConnection, a: &AgreementRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO mediation_agreements (case_id, number, content, signed_date, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 1, $5, $5) ON CONFLICT (case_id) DO UPDATE SET number = excluded.number, \
         content = excluded.content, signed_date = excluded.signed_date, version = mediation_agreements.version + 1, \
         updated_at = excluded.updated_at",
    )
    .bind(a.case_id)
    .bind(&a.number)
    .bind(&a.content)
    .bind(&a.signed_date)
    .bind(a.updated_at)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(())
}

pub async fn set_effective(
    conn: &mut AnyConnection,
    case_id: i64,
    at: i64,
    deadline: &str,
) -> Result<()> {
    sqlx::query("UPDATE mediation_agreements SET effective_at = $1, judicial_deadline = $2 WHERE case_id = $3")
        .bind(at)
        .bind(deadline)
        .bind(case_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_judicial(
    conn: &mut AnyConnection,
    case_id: i64,
    number: &str,
    at: i64,
) -> Result<()> {
    sqlx::query("UPDATE mediation_agreements SET judicial_number = $1, judicial_confirmed_at = $2 WHERE case_id = $3")
        .bind(number)
        .bind(at)
        .bind(case_id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SignatureRow {
    pub id: i64,
    pub case_id: i64,
    pub party_id: i64,
    pub method: String,
    pub attachment_id: Option<i64>,
    pub signed_at: i64,
    pub recorded_by: i64,
}

pub async fn add_signature(conn: &mut AnyConnection, s: &SignatureRow) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO agreement_signatures (case_id, party_id, method, attachment_id, signed_at, recorded_by) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(s.case_id)
    .bind(s.party_id)
    .bind(&s.method)
    .bind(s.attachment_id)
    .bind(s.signed_at)
    .bind(s.recorded_by)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn signatures(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<SignatureRow>> {
    Ok(sqlx::query_as::<_, SignatureRow>(
        "SELECT id, case_id, party_id, method, attachment_id, signed_at, recorded_by FROM agreement_signatures WHERE case_id = $1 ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FollowupRow {
    pub id: i64,
    pub case_id: i64,
    pub at: i64,
    pub performed: i64,
    pub note: String,
    pub recorded_by: i64,
}

pub async fn add_followup(conn: &mut AnyConnection, f: &FollowupRow) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO dispute_followups (case_id, at, performed, note, recorded_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(f.case_id)
    .bind(f.at)
    .bind(f.performed)
    .bind(&f.note)
    .bind(f.recorded_by)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn followups(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<FollowupRow>> {
    Ok(sqlx::query_as::<_, FollowupRow>(
        "SELECT id, case_id, at, performed, note, recorded_by FROM dispute_followups WHERE case_id = $1 ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(conn)
    .await?)
}

/// One row per dispute in a region subtree registered in `[from, to)`, for statistics.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StatRow {
    pub case_id: i64,
    pub category: String,
    pub created_at: i64,
    pub outcome: Option<String>,
    pub resolved_at: Option<i64>,
    pub civil_to_criminal: i64,
    pub criminal_to_homicide: i64,
    pub assignee_user_id: Option<i64>,
}

pub async fn stat_rows(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<StatRow>> {
    Ok(sqlx::query_as::<_, StatRow>(
        "SELECT c.id AS case_id, c.category, c.created_at, d.outcome, d.resolved_at, d.civil_to_criminal, \
         d.criminal_to_homicide, c.assignee_user_id FROM cases c JOIN dispute_details d ON d.case_id = c.id \
         WHERE c.region_code >= $1 AND c.region_code < $2 AND c.created_at >= $3 AND c.created_at < $4 ORDER BY c.id",
    )
    .bind(lo)
    .bind(hi)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(conn)
    .await?)
}

/// Open disputes in a subtree (for the watch list).
pub async fn open_disputes(
    conn: &mut AnyConnection,
    lo: &str,
    hi: &str,
    limit: i64,
) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT c.id FROM cases c JOIN dispute_details d ON d.case_id = c.id WHERE c.region_code >= $1 \
         AND c.region_code < $2 AND c.terminal = 0 AND c.merged_into IS NULL ORDER BY c.id LIMIT $3",
    )
    .bind(lo)
    .bind(hi)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Earlier disputes sharing a party (by keyed 身份证号 hash) with this one.
pub async fn prior_with_same_parties(conn: &mut AnyConnection, case_id: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(DISTINCT p2.case_id) FROM case_parties p1 JOIN case_parties p2 ON p2.id_number_hash = p1.id_number_hash \
         AND p2.case_id <> p1.case_id JOIN dispute_details d ON d.case_id = p2.case_id \
         WHERE p1.case_id = $1 AND p1.id_number_hash IS NOT NULL AND p2.case_id < $1",
    )
    .bind(case_id)
    .fetch_one(conn)
    .await?;
    Ok(n)
}
