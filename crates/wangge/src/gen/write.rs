//! Batched writing: multi-row `INSERT … VALUES (…), (…)` statements with bound
//! parameters (`$N` on PostgreSQL, `?` on SQLite: see [`text`]). Each row type says which table and columns it
//! fills and binds its values in that order; the rows are the store's own row types where
//! the store has one (`CaseRow`, `EventRow`, `PartyRow`, …), so what is written is what the
//! engine writes.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Any, AnyConnection, Arguments, Encode, Sqlite, SqliteConnection, Type};
use wangge_store::cases::{CaseRow, EventRow, PartyRow};
use wangge_store::Backend;

/// A statement with its values moved in: built by the generator thread, executed by the
/// writer, so binding costs the writer nothing but the database's own work.
///
/// The case rows on SQLite go through sqlx's SQLite driver itself: through `Any` every
/// text value was copied twice more (into `Any`'s value, then into SQLite's), and those
/// copies were a fifth of the generator's time.
pub enum Q {
    Any(Query<'static, Any, AnyArguments<'static>>),
    Sqlite(Query<'static, Sqlite, SqliteArguments<'static>>),
}

/// A value either driver can bind.
pub trait Value:
    Encode<'static, Any> + Type<Any> + Encode<'static, Sqlite> + Type<Sqlite> + Send + 'static
{
}

impl<T> Value for T where
    T: Encode<'static, Any> + Type<Any> + Encode<'static, Sqlite> + Type<Sqlite> + Send + 'static
{
}

impl Q {
    pub fn bind<T: Value>(self, v: T) -> Self {
        match self {
            Q::Any(q) => Q::Any(q.bind(v)),
            Q::Sqlite(q) => Q::Sqlite(q.bind(v)),
        }
    }
}

/// Which driver a statement is built for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Driver {
    /// `sqlx::Any`, on either backend.
    Any(Backend),
    /// sqlx's SQLite driver (a [`SqliteConnection`]).
    Sqlite,
}

/// Parameters per statement: under SQLite's limit of 32766 (and PostgreSQL's 65535).
const MAX_PARAMS: usize = 10_000;
/// Rows per statement at most, whatever the width.
const MAX_ROWS: usize = 1_000;

/// A row the writer can insert.
pub trait Insert: Send + 'static {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    /// Appended to the statement, e.g. `ON CONFLICT (code) DO NOTHING`.
    const SUFFIX: &'static str = "";
    fn bind(self, q: Q) -> Q;
}

type TextKey = (&'static str, usize, bool);

/// The text of an INSERT of `rows` rows. Texts are made once and kept for the life of
/// the process; callers only ask for full statements and power-of-two remainders, so
/// there are a few dozen of them.
///
/// On SQLite the placeholders are plain `?`: sqlx's SQLite driver looks up the name of
/// every numbered parameter (`$N`) when binding, and SQLite finds a name by scanning the
/// statement's parameter list, so binding n `$N` parameters costs n²/2 steps (90 % of the
/// time at 30,000 parameters). Anonymous `?` parameters bind in order. PostgreSQL gets `$N`.
fn text<R: Insert>(rows: usize, numbered: bool) -> &'static str {
    static TEXTS: OnceLock<Mutex<HashMap<TextKey, &'static str>>> = OnceLock::new();
    let texts = TEXTS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut texts = texts.lock().unwrap_or_else(|e| e.into_inner());
    texts.entry((R::TABLE, rows, numbered)).or_insert_with(|| {
        let cols = R::COLUMNS.len();
        let mut s = format!(
            "INSERT INTO {} ({}) VALUES ",
            R::TABLE,
            R::COLUMNS.join(", ")
        );
        let mut n = 0;
        for r in 0..rows {
            s.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..cols {
                n += 1;
                if c > 0 {
                    s.push_str(", ");
                }
                if numbered {
                    s.push('$');
                    s.push_str(&n.to_string());
                } else {
                    s.push('?');
                }
            }
            s.push(')');
        }
        if !R::SUFFIX.is_empty() {
            s.push(' ');
            s.push_str(R::SUFFIX);
        }
        Box::leak(s.into_boxed_str())
    })
}

/// Turns rows into statements (in order): as many rows each as the parameter limit
/// allows, the rest in power-of-two sized statements.
pub fn statements<R: Insert>(rows: Vec<R>, driver: Driver, out: &mut Vec<Q>) {
    let numbered = driver == Driver::Any(Backend::Postgres);
    let per = (MAX_PARAMS / R::COLUMNS.len()).clamp(1, MAX_ROWS);
    let mut left = rows.len();
    let mut rows = rows.into_iter();
    while left > 0 {
        let n = if left >= per { per } else { 1 << left.ilog2() };
        // PostgreSQL gets unnamed statements: a cached one keeps the parameter types of
        // its first run, and sqlx's `Any` declares a NULL `f64` as `real`, which a later
        // non-NULL `double precision` value in the same place would not fit.
        let sql = text::<R>(n, numbered);
        // Room for every value at once: grown one push at a time, the argument list of a
        // 10,000-value statement was copied into a new buffer fourteen times.
        let values = n * R::COLUMNS.len();
        let mut q = match driver {
            Driver::Sqlite => {
                let mut args = SqliteArguments::default();
                args.reserve(values, 0);
                Q::Sqlite(sqlx::query_with(sql, args))
            }
            Driver::Any(_) => {
                let mut args = AnyArguments::default();
                args.reserve(values, 0);
                Q::Any(sqlx::query_with(sql, args).persistent(!numbered))
            }
        };
        for r in rows.by_ref().take(n) {
            q = r.bind(q);
        }
        out.push(q);
        left -= n;
    }
}

/// A connection statements can be executed on: each driver takes the statements built
/// for it ([`Driver`]).
pub(crate) trait Writer {
    async fn exec(&mut self, q: Q) -> Result<(), sqlx::Error>;
}

impl Writer for AnyConnection {
    async fn exec(&mut self, q: Q) -> Result<(), sqlx::Error> {
        match q {
            Q::Any(q) => q.execute(self).await.map(drop),
            Q::Sqlite(_) => Err(wrong_driver()),
        }
    }
}

impl Writer for SqliteConnection {
    async fn exec(&mut self, q: Q) -> Result<(), sqlx::Error> {
        match q {
            Q::Sqlite(q) => q.execute(self).await.map(drop),
            Q::Any(_) => Err(wrong_driver()),
        }
    }
}

fn wrong_driver() -> sqlx::Error {
    sqlx::Error::Protocol("语句与连接的驱动不一致".into())
}

/// Executes statements in order.
pub async fn run<C: Writer>(conn: &mut C, statements: Vec<Q>) -> Result<(), sqlx::Error> {
    for q in statements {
        conn.exec(q).await?;
    }
    Ok(())
}

/// Inserts `rows` (statements built here for `driver`, which must be `conn`'s).
pub async fn insert<C: Writer, R: Insert>(
    conn: &mut C,
    driver: Driver,
    rows: Vec<R>,
) -> Result<(), sqlx::Error> {
    let mut out = Vec::new();
    statements(rows, driver, &mut out);
    run(conn, out).await
}

/// The case row with its id given (ids are assigned by the generator so events can name
/// them); columns as in `wangge_store::cases::insert`, plus `paused_remaining_ms`.
impl Insert for CaseRow {
    const TABLE: &'static str = "cases";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "number",
        "type",
        "category",
        "source",
        "region_code",
        "handling_region",
        "lat",
        "lng",
        "title",
        "description",
        "priority",
        "state",
        "terminal",
        "assignee_user_id",
        "created_by",
        "reporter_name",
        "reporter_phone_enc",
        "state_entered_at",
        "state_due_at",
        "level_entered_at",
        "level_due_at",
        "dispatched_at",
        "response_due_at",
        "responded_at",
        "closed_at",
        "late_at",
        "satisfaction",
        "supervise_level",
        "merged_into",
        "possible_duplicate_of",
        "paused_remaining_ms",
        "origin",
        "rollup_region",
        "month",
        "version",
        "created_at",
        "updated_at",
    ];
    fn bind(self, q: Q) -> Q {
        q.bind(self.id)
            .bind(self.number)
            .bind(self.case_type)
            .bind(self.category)
            .bind(self.source)
            .bind(self.region_code)
            .bind(self.handling_region)
            .bind(self.lat)
            .bind(self.lng)
            .bind(self.title)
            .bind(self.description)
            .bind(self.priority)
            .bind(self.state)
            .bind(self.terminal)
            .bind(self.assignee_user_id)
            .bind(self.created_by)
            .bind(self.reporter_name)
            .bind(self.reporter_phone_enc)
            .bind(self.state_entered_at)
            .bind(self.state_due_at)
            .bind(self.level_entered_at)
            .bind(self.level_due_at)
            .bind(self.dispatched_at)
            .bind(self.response_due_at)
            .bind(self.responded_at)
            .bind(self.closed_at)
            .bind(self.late_at)
            .bind(self.satisfaction)
            .bind(self.supervise_level)
            .bind(self.merged_into)
            .bind(self.possible_duplicate_of)
            .bind(self.paused_remaining_ms)
            .bind(self.origin)
            .bind(self.rollup_region)
            .bind(self.month)
            .bind(self.version)
            .bind(self.created_at)
            .bind(self.updated_at)
    }
}

impl Insert for EventRow {
    const TABLE: &'static str = "case_events";
    const COLUMNS: &'static [&'static str] = &[
        "case_id",
        "at",
        "actor",
        "actor_user_id",
        "action",
        "effect",
        "from_state",
        "to_state",
        "note",
        "data",
    ];
    fn bind(self, q: Q) -> Q {
        q.bind(self.case_id)
            .bind(self.at)
            .bind(self.actor)
            .bind(self.actor_user_id)
            .bind(self.action)
            .bind(self.effect)
            .bind(self.from_state)
            .bind(self.to_state)
            .bind(self.note)
            .bind(self.data)
    }
}

impl Insert for PartyRow {
    const TABLE: &'static str = "case_parties";
    const COLUMNS: &'static [&'static str] = &[
        "case_id",
        "role",
        "name",
        "id_number_enc",
        "id_number_hash",
        "phone_enc",
        "phone_hash",
        "uscc",
    ];
    fn bind(self, q: Q) -> Q {
        q.bind(self.case_id)
            .bind(self.role)
            .bind(self.name)
            .bind(self.id_number_enc)
            .bind(self.id_number_hash)
            .bind(self.phone_enc)
            .bind(self.phone_hash)
            .bind(self.uscc)
    }
}
