//! SQLite bulk-load settings for the generator's own connection: two indexes of `cases`
//! and the full-text trigger are set aside while the rows go in, then built again in one
//! pass each (a sort instead of millions of scattered B-tree inserts; one FTS5 `rebuild`
//! instead of a flush and merge at every statement). Their definitions are
//! kept in `meta` under `gen.suspended` until they are back, so a run that dies half-way
//! is restored by the next `wangge gen` (which then refuses the non-empty database).
//!
//! The triggers that keep the dashboard's derived tables (`wangge_store::derived`) stay
//! away longer: until the run's rollups and state counts are written too. Then
//! [`restore_derived`] puts them back and computes the derived tables in one pass each,
//! instead of several upserts per generated row.

use std::str::FromStr;

use sqlx::any::AnyConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyConnection, ConnectOptions, Connection, Executor, SqliteConnection};
use wangge_store::{derived, Backend};

/// The generator's own connection. Statement logging is off (bulk statements are slow
/// by design). On SQLite it runs with `synchronous = OFF` (a bulk load: a crash loses the
/// run, and the server's own connections keep their setting) and `foreign_keys = OFF`
/// (every row refers to rows written before it, by construction; `wangge`'s tests check
/// it with `PRAGMA foreign_key_check`), a 64 MiB page cache, and sort space in memory.
pub async fn connect(url: &str, backend: Backend) -> Result<AnyConnection, sqlx::Error> {
    let opts = AnyConnectOptions::from_str(url)?.disable_statement_logging();
    let mut conn = AnyConnection::connect_with(&opts).await?;
    if backend == Backend::Sqlite {
        for pragma in SQLITE_PRAGMAS {
            conn.execute(pragma).await?;
        }
    }
    Ok(conn)
}

/// The same settings on a connection of sqlx's SQLite driver itself (the case rows).
pub async fn connect_sqlite(url: &str) -> Result<SqliteConnection, sqlx::Error> {
    let opts = SqliteConnectOptions::from_str(url)?.disable_statement_logging();
    let mut conn = SqliteConnection::connect_with(&opts).await?;
    for pragma in SQLITE_PRAGMAS {
        conn.execute(pragma).await?;
    }
    Ok(conn)
}

/// No `PRAGMA threads`: SQLite gives its sorter helper threads only when temporary files
/// are on disk, and here they are in memory; the second core builds the full-text index.
const SQLITE_PRAGMAS: [&str; 5] = [
    "PRAGMA busy_timeout = 10000",
    "PRAGMA foreign_keys = OFF",
    "PRAGMA synchronous = OFF",
    "PRAGMA cache_size = -65536",
    "PRAGMA temp_store = MEMORY",
];

/// What is set aside: the case indexes whose keys arrive in random order (the others —
/// the timeline's `(case_id, id)`, the deadline queues where every finished case has a
/// NULL deadline, the assignee — grow at their ends and are cheaper kept), and the
/// full-text trigger.
const SUSPENDED: &str = "'cases_region_state', 'cases_queue_region', 'cases_queue_state', 'cases_queue_due', 'cases_open_region', 'cases_merged_into', 'cases_dup', 'cases_fts_insert', 'cases_assignee', 'cases_level_due', 'cases_open_due', 'case_parties_case', 'case_parties_id_number', 'mediation_sessions_case'";
const KEY: &str = "gen.suspended";

/// Drops the secondary indexes of the case tables, the FTS insert trigger and the
/// derived tables' triggers; returns their `CREATE` statements (also saved in `meta`).
pub async fn suspend(conn: &mut AnyConnection, url: &str) -> Result<Vec<String>, sqlx::Error> {
    restore(conn, url).await?;
    restore_derived(conn).await?;
    let derived_names = derived::SQLITE_TRIGGERS
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let defs: Vec<(String, String, String)> = sqlx::query_as(&format!(
        "SELECT type, name, sql FROM sqlite_master WHERE name IN ({SUSPENDED}, {derived_names}) \
         AND sql IS NOT NULL ORDER BY name"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let saved: Vec<String> = defs.iter().map(|d| d.2.clone()).collect();
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(KEY)
        .bind(serde_json::Value::from(saved.clone()).to_string())
        .execute(&mut *tx)
        .await?;
    for (kind, name, _) in &defs {
        sqlx::query(&format!(
            "DROP {} \"{name}\"",
            if kind == "index" { "INDEX" } else { "TRIGGER" }
        ))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(saved)
}

/// Builds again what [`suspend`] set aside (if anything is pending), and the full-text
/// index of the cases. `url` is the database's, for the second connection that builds
/// the full-text index meanwhile (see [`build_fts_aside`]).
pub async fn restore(conn: &mut AnyConnection, url: &str) -> Result<bool, sqlx::Error> {
    let pending: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = $1")
        .bind(KEY)
        .fetch_optional(&mut *conn)
        .await?;
    let Some((json,)) = pending else {
        return Ok(false);
    };
    let all: Vec<String> = serde_json::from_str(&json).unwrap_or_default();
    let (derived_defs, defs): (Vec<String>, Vec<String>) =
        all.into_iter().partition(|sql| is_derived(sql));
    let aside = aside_file(conn).await?;
    // An index build keeps one core busy (SQLite sorts on the connection's own thread),
    // and the full-text build is as long again: it runs on the other core, into a file of
    // its own, reading the committed cases while this connection writes the indexes.
    let fts = tokio::spawn(build_fts_aside(url.to_owned(), aside.clone()));
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    for sql in &defs {
        let sql = sql
            .replacen("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)
            .replacen(
                "CREATE UNIQUE INDEX ",
                "CREATE UNIQUE INDEX IF NOT EXISTS ",
                1,
            )
            .replacen("CREATE TRIGGER ", "CREATE TRIGGER IF NOT EXISTS ", 1);
        let t = std::time::Instant::now();
        sqlx::query(&sql).execute(&mut *tx).await?;
        tracing::debug!(secs = t.elapsed().as_secs_f64(), "{}", first_line(&sql));
    }
    tx.commit().await?;
    fts.await
        .map_err(|e| sqlx::Error::Protocol(format!("全文索引线程异常退出：{e}")))??;
    let t = std::time::Instant::now();
    // ATTACH is refused inside a transaction. Until the commit below the pending key
    // stays, so a run stopped here builds the full-text index again on its next start.
    sqlx::query("ATTACH DATABASE $1 AS fts_build")
        .bind(aside.to_string_lossy().into_owned())
        .execute(&mut *conn)
        .await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    for shadow in FTS_SHADOW {
        tx.execute(
            format!("DELETE FROM main.{shadow}; INSERT INTO main.{shadow} SELECT * FROM fts_build.{shadow}")
                .as_str(),
        )
        .await?;
    }
    sqlx::query("DELETE FROM meta WHERE key = $1")
        .bind(KEY)
        .execute(&mut *tx)
        .await?;
    if !derived_defs.is_empty() {
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2)")
            .bind(DERIVED_KEY)
            .bind(serde_json::Value::from(derived_defs).to_string())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    conn.execute("DETACH DATABASE fts_build").await?;
    let _ = std::fs::remove_file(&aside);
    tracing::debug!(
        secs = t.elapsed().as_secs_f64(),
        "full-text index copied in"
    );
    Ok(true)
}

/// The shadow tables that hold an FTS5 index (an external-content table has no
/// `_content`; `_config` keeps the main table's own settings).
const FTS_SHADOW: [&str; 3] = ["cases_fts_data", "cases_fts_idx", "cases_fts_docsize"];

fn first_line(sql: &str) -> &str {
    sql.lines().next().unwrap_or_default()
}

/// Where the full-text index is built: beside the database file.
async fn aside_file(conn: &mut AnyConnection) -> Result<std::path::PathBuf, sqlx::Error> {
    let files: Vec<(i64, String, String)> = sqlx::query_as("PRAGMA database_list")
        .fetch_all(&mut *conn)
        .await?;
    match files.into_iter().find(|f| f.1 == "main") {
        Some((_, _, file)) if !file.is_empty() => Ok(format!("{file}.fts-build").into()),
        _ => Err(sqlx::Error::Protocol(
            "gen 需要数据库文件（不支持内存数据库）".into(),
        )),
    }
}

/// Builds the cases' full-text index in a database file of its own, on its own
/// connection: an FTS5 table defined exactly as `main.cases_fts` (so its shadow tables are
/// in the same format), filled from the committed cases and merged into one segment. Its
/// shadow tables are then copied into the main file as they are, which is a sequential
/// write instead of tokenising every case on the connection that builds the indexes.
async fn build_fts_aside(url: String, aside: std::path::PathBuf) -> Result<(), sqlx::Error> {
    let _ = std::fs::remove_file(&aside);
    let mut c = connect(&url, Backend::Sqlite).await?;
    let (def,): (String,) =
        sqlx::query_as("SELECT sql FROM sqlite_master WHERE name = 'cases_fts'")
            .fetch_one(&mut c)
            .await?;
    sqlx::query("ATTACH DATABASE $1 AS fts_build")
        .bind(aside.to_string_lossy().into_owned())
        .execute(&mut c)
        .await?;
    let create = def.replacen(
        "CREATE VIRTUAL TABLE cases_fts",
        "CREATE VIRTUAL TABLE fts_build.cases_fts",
        1,
    );
    for sql in [
        // A scratch file: a crash only loses it, and it is made again.
        "PRAGMA fts_build.journal_mode = OFF",
        "PRAGMA fts_build.synchronous = OFF",
        "PRAGMA fts_build.cache_size = -262144",
        create.as_str(),
        // A large in-memory term buffer: far fewer segments to merge.
        "INSERT INTO fts_build.cases_fts(cases_fts, rank) VALUES ('hashsize', 268435456)",
        "INSERT INTO fts_build.cases_fts(rowid, title, description) SELECT id, title, description FROM main.cases",
        // One segment instead of many: otherwise the first writes after the load pay for
        // merging them (at 10 M cases the raw intake loop fell to 24 cases/s).
        "INSERT INTO fts_build.cases_fts(cases_fts) VALUES ('optimize')",
    ] {
        let t = std::time::Instant::now();
        c.execute(sql).await?;
        tracing::debug!(secs = t.elapsed().as_secs_f64(), "{}", first_line(sql));
    }
    c.close().await
}

const DERIVED_KEY: &str = "gen.suspended_derived";

fn is_derived(sql: &str) -> bool {
    derived::SQLITE_TRIGGERS
        .iter()
        .any(|n| sql.starts_with(&format!("CREATE TRIGGER {n} ")))
}

/// Puts back the derived tables' triggers that [`restore`] left aside and computes the
/// tables from their sources, in one transaction. Returns whether anything was pending.
pub async fn restore_derived(conn: &mut AnyConnection) -> Result<bool, sqlx::Error> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let pending = restore_derived_in(&mut tx).await?;
    tx.commit().await?;
    Ok(pending)
}

/// [`restore_derived`] inside the caller's transaction (the one writing the run's
/// rollups), so the derived tables never lag their sources in a committed state.
pub async fn restore_derived_in(tx: &mut AnyConnection) -> Result<bool, sqlx::Error> {
    let pending: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = $1")
        .bind(DERIVED_KEY)
        .fetch_optional(&mut *tx)
        .await?;
    let Some((json,)) = pending else {
        return Ok(false);
    };
    let defs: Vec<String> = serde_json::from_str(&json).unwrap_or_default();
    put_back_derived(tx, &defs).await?;
    Ok(true)
}

async fn put_back_derived(tx: &mut AnyConnection, defs: &[String]) -> Result<(), sqlx::Error> {
    derived::rebuild(tx)
        .await
        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    for sql in defs {
        let sql = sql.replacen("CREATE TRIGGER ", "CREATE TRIGGER IF NOT EXISTS ", 1);
        sqlx::query(&sql).execute(&mut *tx).await?;
    }
    sqlx::query("DELETE FROM meta WHERE key = $1")
        .bind(DERIVED_KEY)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
