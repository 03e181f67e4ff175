//! Batched writing: multi-row `INSERT … VALUES (…), (…)` statements with `$N` parameters,
//! the same SQL on SQLite and PostgreSQL. Each row type says which table and columns it
//! fills and binds its values in that order; the rows are the store's own row types where
//! the store has one (`CaseRow`, `EventRow`, `PartyRow`, …), so what is written is what the
//! engine writes.

use std::collections::HashMap;

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection};
use wangge_store::cases::{CaseRow, EventRow, PartyRow};
use wangge_store::grids::GridRow;
use wangge_store::mediation::{DisputeRow, SessionRow};

pub type Q<'q> = Query<'q, Any, AnyArguments<'q>>;

/// Parameters per statement: under SQLite's limit of 32766 (and PostgreSQL's 65535).
const MAX_PARAMS: usize = 30_000;
/// Rows per statement at most, whatever the width.
const MAX_ROWS: usize = 1_000;

/// A row the writer can insert.
pub trait Insert: Send + Sync + 'static {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    /// Appended to the statement, e.g. `ON CONFLICT (code) DO NOTHING`.
    const SUFFIX: &'static str = "";
    fn bind<'q>(&'q self, q: Q<'q>) -> Q<'q>;
}

/// Statement texts, built once per (table, row count).
#[derive(Default)]
pub struct Statements {
    cache: HashMap<(&'static str, usize), String>,
}

impl Statements {
    fn text<R: Insert>(&mut self, rows: usize) -> &str {
        self.cache.entry((R::TABLE, rows)).or_insert_with(|| {
            let cols = R::COLUMNS.len();
            let mut s = format!("INSERT INTO {} ({}) VALUES ", R::TABLE, R::COLUMNS.join(", "));
            let mut n = 0;
            for r in 0..rows {
                s.push_str(if r == 0 { "(" } else { ", (" });
                for c in 0..cols {
                    n += 1;
                    if c > 0 {
                        s.push_str(", ");
                    }
                    s.push('$');
                    s.push_str(&n.to_string());
                }
                s.push(')');
            }
            if !R::SUFFIX.is_empty() {
                s.push(' ');
                s.push_str(R::SUFFIX);
            }
            s
        })
    }
}

/// Inserts `rows` in statements of as many rows as the parameter limit allows.
pub async fn insert<R: Insert>(
    conn: &mut AnyConnection,
    st: &mut Statements,
    rows: &[R],
) -> Result<(), sqlx::Error> {
    let per = (MAX_PARAMS / R::COLUMNS.len()).clamp(1, MAX_ROWS);
    for chunk in rows.chunks(per) {
        let sql = st.text::<R>(chunk.len());
        let mut q = sqlx::query(sql);
        for r in chunk {
            q = r.bind(q);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The case row with its id given (ids are assigned by the generator so events can name
/// them); columns as in `wangge_store::cases::insert`, plus `paused_remaining_ms`.
impl Insert for CaseRow {
    const TABLE: &'static str = "cases";
    const COLUMNS: &'static [&'static str] = &[
        "id", "number", "type", "category", "source", "region_code", "handling_region", "lat",
        "lng", "title", "description", "priority", "state", "terminal", "assignee_user_id",
        "created_by", "reporter_name", "reporter_phone_enc", "state_entered_at", "state_due_at",
        "level_entered_at", "level_due_at", "dispatched_at", "response_due_at", "responded_at",
        "closed_at", "late_at", "satisfaction", "supervise_level", "merged_into",
        "possible_duplicate_of", "paused_remaining_ms", "origin", "rollup_region", "month",
        "version", "created_at", "updated_at",
    ];
    fn bind<'q>(&'q self, q: Q<'q>) -> Q<'q> {
        q.bind(self.id)
            .bind(self.number.as_str())
            .bind(self.case_type.as_str())
            .bind(self.category.as_str())
            .bind(self.source.as_str())
            .bind(self.region_code.as_str())
            .bind(self.handling_region.as_str())
            .bind(self.lat)
            .bind(self.lng)
            .bind(self.title.as_str())
            .bind(self.description.as_str())
            .bind(self.priority.as_str())
            .bind(self.state.as_str())
            .bind(self.terminal)
            .bind(self.assignee_user_id)
            .bind(self.created_by)
            .bind(self.reporter_name.as_deref())
            .bind(self.reporter_phone_enc.as_deref())
            .bind(self.state_entered_at)
            .bind(self.state_due_at)
            .bind(self.level_entered_at)
            .bind(self.level_due_at)
            .bind(self.dispatched_at)
            .bind(self.response_due_at)
            .bind(self.responded_at)
            .bind(self.closed_at)
            .bind(self.late_at)
            .bind(self.satisfaction.as_deref())
            .bind(self.supervise_level.as_deref())
            .bind(self.merged_into)
            .bind(self.possible_duplicate_of)
            .bind(self.paused_remaining_ms)
            .bind(self.origin.as_deref())
            .bind(self.rollup_region.as_str())
            .bind(self.month.as_str())
            .bind(self.version)
            .bind(self.created_at)
            .bind(self.updated_at)
    }
}

impl Insert for EventRow {
    const TABLE: &'static str = "case_events";
    const COLUMNS: &'static [&'static str] = &[
        "case_id", "at", "actor", "actor_user_id", "action", "effect", "from_state", "to_state",
        "note", "data",
    ];
    fn bind<'q>(&'q self, q: Q<'q>) -> Q<'q> {
        q.bind(self.case_id)
            .bind(self.at)
            .bind(self.actor.as_str())
            .bind(self.actor_user_id)
            .bind(self.action.as_str())
            .bind(self.effect.as_str())
            .bind(self.from_state.as_str())
            .bind(self.to_state.as_str())
            .bind(self.note.as_deref())
            .bind(self.data.as_str())
    }
}

impl Insert for PartyRow {
    const TABLE: &'static str = "case_parties";
    const COLUMNS: &'static [&'static str] = &[
        "case_id", "role", "name", "id_number_enc", "id_number_hash", "phone_enc", "phone_hash",
    ];
    fn bind<'q>(&'q self, q: Q<'q>) -> Q<'q> {
        q.bind(self.case_id)
            .bind(self.role.as_str())
            .bind(self.name.as_str())
            .bind(self.id_number_enc.as_deref())
            .bind(self.id_number_hash.as_deref())
            .bind(self.phone_enc.as_deref())
            .bind(self.phone_hash.as_deref())
    }
}

impl Insert for DisputeRow {
    const TABLE: &'static str = "dispute_details";
    const COLUMNS: &'static [&'static str] = &[
        "case_id", "came_by", "amount_yuan", "outcome", "referral", "resolved_at",
        "civil_to_criminal", "criminal_to_homicide", "outcome_note",
    ];
    fn bind<'q>(&'q self, q: Q<'q>) -> Q<'q> {
        q.bind(self.case_id)
            .bind(self.came_by.as_str())
            .bind(self.amount_yuan)
            .bind(self.outcome.as_deref())
            .bind(self.referral.as_deref())
            .bind(self.resolved_at)
            .bind(self.civil_to_criminal)
            .bind(self.criminal_to_homicide)
            .bind(self.outcome_note.as_deref())
    }
}

impl Insert for SessionRow {
    const TABLE: &'static str = "mediation_sessions";
    const COLUMNS: &'static [&'static str] = &[
        "case_id", "held_at", "place", "attendees", "facts", "proposals", "result", "mediator_id",
        "created_at",
    ];
    fn bind<'q>(&'q self, q: Q<'q>) -> Q<'q> {
        q.bind(self.case_id)
            .bind(self.held_at)
            .bind(self.place.as_str())
            .bind(self.attendees.as_str())
            .bind(self.facts.as_str())
            .bind(self.proposals.as_str())
            .bind(self.result.as_str())
            .bind(self.mediator_id)
            .bind(self.created_at)
    }
}

impl Insert for GridRow {
    const TABLE: &'static str = "grids";
    const COLUMNS: &'static [&'static str] = &[
        "code", "boundary", "min_lng", "min_lat", "max_lng", "max_lat", "area_m2", "updated_at",
    ];
    const SUFFIX: &'static str = "ON CONFLICT (code) DO NOTHING";
    fn bind<'q>(&'q self, q: Q<'q>) -> Q<'q> {
        q.bind(self.code.as_str())
            .bind(self.boundary.as_str())
            .bind(self.min_lng)
            .bind(self.min_lat)
            .bind(self.max_lng)
            .bind(self.max_lat)
            .bind(self.area_m2)
            .bind(self.updated_at)
    }
}

/// A region node as `regions::upsert` writes it; existing codes are left as they are.
pub struct RegionOut {
    pub code: String,
    pub name: String,
    pub level: &'static str,
    pub parent_code: Option<String>,
    pub at: i64,
}

impl Insert for RegionOut {
    const TABLE: &'static str = "regions";
    const COLUMNS: &'static [&'static str] =
        &["code", "name", "level", "parent_code", "created_at", "updated_at"];
    const SUFFIX: &'static str = "ON CONFLICT (code) DO NOTHING";
    fn bind<'q>(&'q self, q: Q<'q>) -> Q<'q> {
        q.bind(self.code.as_str())
            .bind(self.name.as_str())
            .bind(self.level)
            .bind(self.parent_code.as_deref())
            .bind(self.at)
            .bind(self.at)
    }
}

/// A household as `households::upsert` writes it, with its id given.
pub struct HouseholdOut {
    pub id: i64,
    pub household_no: String,
    pub region_code: String,
    pub address: String,
    pub at: i64,
}

impl Insert for HouseholdOut {
    const TABLE: &'static str = "households";
    const COLUMNS: &'static [&'static str] = &[
        "id", "household_no", "region_code", "address", "version", "created_at", "updated_at",
    ];
    fn bind<'q>(&'q self, q: Q<'q>) -> Q<'q> {
        q.bind(self.id)
            .bind(self.household_no.as_str())
            .bind(self.region_code.as_str())
            .bind(self.address.as_str())
            .bind(1_i64)
            .bind(self.at)
            .bind(self.at)
    }
}

/// A resident as `households::upsert_member` inserts one (fields sealed by the cipher).
pub struct ResidentOut {
    pub region_code: String,
    pub name: String,
    pub sex: &'static str,
    pub birth_date: String,
    pub id_number_enc: Vec<u8>,
    pub id_number_hash: String,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_hash: Option<String>,
    pub household_id: i64,
    pub relation: &'static str,
    pub at: i64,
}

impl Insert for ResidentOut {
    const TABLE: &'static str = "residents";
    const COLUMNS: &'static [&'static str] = &[
        "region_code", "name", "sex", "birth_date", "id_number_enc", "id_number_hash",
        "phone_enc", "phone_hash", "version", "created_at", "updated_at", "household_id",
        "relation",
    ];
    fn bind<'q>(&'q self, q: Q<'q>) -> Q<'q> {
        q.bind(self.region_code.as_str())
            .bind(self.name.as_str())
            .bind(self.sex)
            .bind(self.birth_date.as_str())
            .bind(self.id_number_enc.as_slice())
            .bind(self.id_number_hash.as_str())
            .bind(self.phone_enc.as_deref())
            .bind(self.phone_hash.as_deref())
            .bind(1_i64)
            .bind(self.at)
            .bind(self.at)
            .bind(self.household_id)
            .bind(self.relation)
    }
}

/// A post (网格员, 片长/组长/邻长) as `grids::add_post` writes it.
pub struct PostOut {
    pub region_code: String,
    pub post: &'static str,
    pub employment: Option<&'static str>,
    pub name: String,
    pub phone_enc: Vec<u8>,
    pub at: i64,
}

impl Insert for PostOut {
    const TABLE: &'static str = "posts";
    const COLUMNS: &'static [&'static str] = &[
        "region_code", "post", "employment", "name", "phone_enc", "user_id", "created_at",
    ];
    fn bind<'q>(&'q self, q: Q<'q>) -> Q<'q> {
        q.bind(self.region_code.as_str())
            .bind(self.post)
            .bind(self.employment)
            .bind(self.name.as_str())
            .bind(self.phone_enc.as_slice())
            .bind(Option::<i64>::None)
            .bind(self.at)
    }
}
