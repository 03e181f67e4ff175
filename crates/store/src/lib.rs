//! Storage for wangge behind one interface, with two backends: SQLite (the embedded
//! default) and PostgreSQL. Both are reached through sqlx's `Any` driver, so the queries are
//! written once in the SQL both dialects share (`$N` parameters, `CAST`, `RETURNING`,
//! `ON CONFLICT`); what differs lives in [`Backend`] and in one migrations folder per
//! backend. See docs/adr/0002-storage-sqlx-any.md.
//!
//! Reads take a pooled connection from [`Store::read`]; every command runs in one
//! [`Tx`] from [`Store::begin`], which also appends its audit entries, so a command and
//! its audit record commit together or not at all.

pub mod audit;
pub mod case_stats;
pub mod cases;
pub mod dashboard;
pub mod derived;
pub mod family;
pub mod fieldwork;
pub mod grids;
pub mod households;
pub mod mediation;
pub mod meta;
pub mod nodes;
pub mod notify;
pub mod regions;
pub mod request_keys;
pub mod residents;
pub mod sessions;
pub mod sql;
pub mod users;

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Executor};

pub use sqlx::AnyConnection;
pub use sqlx::Error as SqlxError;

/// PostgreSQL: the key of the transaction-scoped advisory lock that orders writers of the
/// shared counter rows (rollups, their derived node rows, deadline buckets). Write
/// transactions hold it shared; a group commit's last step holds it exclusively.
pub(crate) const ROLLUPS_LOCK: &str = "hashtext(current_schema() || '.wangge.rollups')";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or foreign-key rule refused the write; the string names the constraint.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("unsupported database url {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Maps unique and foreign-key violations to `Conflict`, so callers can answer 409/422.
    pub(crate) fn from_write(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            let msg = db.message().to_string();
            let is_constraint = db.is_unique_violation()
                || db.is_foreign_key_violation()
                || msg.contains("UNIQUE constraint")
                || msg.contains("FOREIGN KEY constraint");
            if is_constraint {
                return StoreError::Conflict(db.constraint().map(str::to_string).unwrap_or(msg));
            }
        }
        StoreError::Db(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Connection settings beyond the URL.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub max_connections: u32,
    /// PostgreSQL only: run everything inside this schema (tests isolate themselves so).
    pub pg_schema: Option<String>,
    /// SQLite `synchronous`: FULL (the default) makes every acknowledged commit survive a
    /// power cut; NORMAL only survives a crash of the process.
    pub sqlite_synchronous: String,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            pg_schema: None,
            sqlite_synchronous: "FULL".into(),
        }
    }
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Key of the audit chain's HMAC; set from the master key by whoever opens the store.
    audit_key: std::sync::Arc<Vec<u8>>,
    /// The audit chain this process seals onto (ADR 0013): 0 unless it claimed another.
    audit_chain: i64,
    /// PostgreSQL: the session holding the advisory lock that reserves `audit_chain` for
    /// this process; the lock goes when the last clone of the store is dropped.
    chain_lease: Option<std::sync::Arc<tokio::sync::Mutex<AnyConnection>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("audit_chain", &self.audit_chain)
            .field("chain_leased", &self.chain_lease.is_some())
            .finish_non_exhaustive()
    }
}

/// A command's transaction. Dereferences to a connection, so the query functions of every
/// module take it the same way they take a read connection.
pub struct Tx {
    inner: sqlx::Transaction<'static, Any>,
    audit_key: std::sync::Arc<Vec<u8>>,
    audit_chain: i64,
    backend: Backend,
}

impl std::ops::Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

impl Tx {
    pub fn audit_key(&self) -> &[u8] {
        &self.audit_key
    }

    /// The audit chain this transaction's entries are sealed onto.
    pub fn audit_chain(&self) -> i64 {
        self.audit_chain
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn commit(self) -> Result<()> {
        self.inner.commit().await.map_err(StoreError::from_write)
    }

    /// Marks a point this transaction can return to: a group commit runs each request
    /// after one, so a refused request undoes only its own writes.
    pub async fn savepoint(&mut self) -> Result<()> {
        sqlx::query("SAVEPOINT wg_request")
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }

    /// Keeps what was written since [`Tx::savepoint`].
    pub async fn release_savepoint(&mut self) -> Result<()> {
        sqlx::query("RELEASE SAVEPOINT wg_request")
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }

    /// Undoes what was written since [`Tx::savepoint`]; the transaction goes on (on
    /// PostgreSQL this also clears the aborted state a failed statement leaves).
    pub async fn rollback_to_savepoint(&mut self) -> Result<()> {
        sqlx::query("ROLLBACK TO SAVEPOINT wg_request")
            .execute(&mut *self.inner)
            .await?;
        self.release_savepoint().await
    }
}

/// `sqlite://DIR/wangge.db?mode=rwc` for a data directory.
pub fn sqlite_url_for_dir(dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("wangge.db").display())
}

fn valid_schema_name(s: &str) -> bool {
    !s.is_empty() && s.len() < 60 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Store {
    pub async fn connect(url: &str, opts: ConnectOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let synchronous = match opts.sqlite_synchronous.to_ascii_uppercase().as_str() {
            s @ ("FULL" | "NORMAL" | "EXTRA") => s.to_string(),
            _ => "FULL".to_string(),
        };
        let schema = match &opts.pg_schema {
            Some(s) if !valid_schema_name(s) => {
                return Err(StoreError::UnsupportedUrl(format!("schema name {s:?}")))
            }
            s => s.clone(),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(opts.max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                let synchronous = synchronous.clone();
                let schema = schema.clone();
                Box::pin(async move {
                    match backend {
                        Backend::Sqlite => {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute(format!("PRAGMA synchronous = {synchronous}").as_str())
                                .await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                        }
                        Backend::Postgres => {
                            if let Some(s) = schema {
                                conn.execute(
                                    format!("SET search_path TO \"{s}\", public").as_str(),
                                )
                                .await?;
                            }
                        }
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        Ok(Self {
            pool,
            backend,
            audit_key: std::sync::Arc::new(Vec::new()),
            audit_chain: 0,
            chain_lease: None,
        })
    }

    /// Sets the audit chain's HMAC key (derived from the master key, never stored).
    pub fn with_audit_key(mut self, key: &[u8]) -> Self {
        self.audit_key = std::sync::Arc::new(key.to_vec());
        self
    }

    pub fn audit_key(&self) -> &[u8] {
        &self.audit_key
    }

    /// The audit chain this store's transactions seal onto.
    pub fn audit_chain(&self) -> i64 {
        self.audit_chain
    }

    /// Seals onto `chain` (opened by [`audit::open_chain`]) without reserving it: appends
    /// stay correct, but share the chain's head row with any other process on it. Servers
    /// use [`audit::claim_chain`] instead.
    pub fn with_audit_chain(self, chain: i64) -> Self {
        self.on_chain(chain, None)
    }

    /// Seals onto `chain` from now on, holding `lease` (if any) for as long as the store
    /// lives. See [`audit::claim_chain`].
    pub(crate) fn on_chain(mut self, chain: i64, lease: Option<AnyConnection>) -> Self {
        self.audit_chain = chain;
        self.chain_lease = lease.map(|c| std::sync::Arc::new(tokio::sync::Mutex::new(c)));
        self
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => {
                sqlx::migrate!("migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    pub async fn read(&self) -> Result<PoolConnection<Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// Starts a command. On SQLite the transaction takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a command that reads before it writes cannot fail half-way
    /// on a lock upgrade; PostgreSQL serialises on the rows each command touches.
    /// A write transaction. On PostgreSQL it first takes the rollups lock in shared mode:
    /// a group commit takes it exclusively for its summed rollups and commit
    /// ([`case_stats::Tally::write`]), and a command that already held rollup rows while
    /// waiting for it there would close a cycle with the batch (the batch waiting for the
    /// rows, the command for the batch's audit head or deadline buckets). Taken first,
    /// before any row, it can only make a command wait, never deadlock.
    pub async fn begin(&self) -> Result<Tx> {
        self.begin_as(true).await
    }

    /// A group commit's transaction: it takes the rollups lock exclusively when it writes
    /// its summed rollups, and must not hold it shared before (two batches would each wait
    /// for the other's shared hold to end).
    pub async fn begin_batch(&self) -> Result<Tx> {
        self.begin_as(false).await
    }

    async fn begin_as(&self, shared_rollups_lock: bool) -> Result<Tx> {
        let inner = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                if shared_rollups_lock {
                    sqlx::query(&format!(
                        "SELECT 1 FROM pg_advisory_xact_lock_shared({ROLLUPS_LOCK})"
                    ))
                    .execute(&mut *tx)
                    .await?;
                }
                tx
            }
        };
        Ok(Tx {
            inner,
            audit_key: self.audit_key.clone(),
            audit_chain: self.audit_chain,
            backend: self.backend,
        })
    }

    /// A consistent online copy. SQLite: `VACUUM INTO`, which reads one snapshot while
    /// writers go on. PostgreSQL deployments use pg_dump (see the CLI).
    pub async fn backup_sqlite(&self, dest: &std::path::Path) -> Result<()> {
        let dest = dest.to_string_lossy().replace('\'', "''");
        let mut conn = self.read().await?;
        conn.execute(format!("VACUUM INTO '{dest}'").as_str())
            .await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether the database answers (for /healthz).
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.read().await?;
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        Ok(())
    }
}
