//! # tollgate-store
//!
//! sea-orm persistence of Tollgate's repository ports, one code path for SQLite (the embedded
//! default: WAL, busy timeout, foreign keys on) and PostgreSQL (to scale out to many instances).
//!
//! Usage commands go through a group-commit writer: concurrent consumes and releases are queued,
//! and each writer task applies a batch of them in one transaction, so one commit flush is shared
//! by many requests. Each command in a batch still has its own outcome: a batch that fails is
//! retried command by command, each in its own transaction, so one bad command never takes the
//! others down and a failed command leaves no trace.
#![warn(missing_docs)]

mod access;
mod account_state;
mod addons;
mod admin;
mod billing;
mod convert;
mod entities;
mod identity;
mod migrate;
mod plans;
mod repositories;
mod retention;
mod sql;
mod usage;

use std::collections::HashMap;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use tollgate_domain::AccountKey;
use tollgate_migration::{Migrator, MigratorTrait};
use tollgate_ports::StoreError;

pub use crate::access::{SqlApiKeys, SqlIdempotency};
use crate::convert::db_error;
pub use crate::identity::{SqlIdentity, SqlLoginAttempts};
pub use crate::usage::WriterConfig;

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `sqlite://path/to/file.db` (created when missing) or `postgres://user@host/db`.
    pub url: String,
    /// Most pooled connections.
    pub max_connections: u32,
    /// How long to wait for a connection (or a statement, on PostgreSQL) before failing closed.
    pub timeout: Duration,
    /// The group-commit writer.
    pub writer: WriterConfig,
}

impl StoreConfig {
    /// Defaults suited to `url`'s database.
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        let sqlite = url.starts_with("sqlite:");
        Self {
            max_connections: if sqlite { 4 } else { 16 },
            timeout: Duration::from_secs(5),
            writer: WriterConfig { writers: if sqlite { 1 } else { 3 }, batch_max: 256 },
            url,
        }
    }
}

/// Which migrations are applied and which are pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Applied, oldest first.
    pub applied: Vec<String>,
    /// Not applied yet, in order.
    pub pending: Vec<String>,
}

/// The store: every repository port over one sea-orm connection pool.
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: DatabaseConnection,
    backend: DbBackend,
    account_ids: RwLock<HashMap<AccountKey, i64>>,
    writer: usage::Writer,
    /// The last ledger id the retention walked past (see `retention.rs`).
    retention_position: AtomicI64,
    /// How long a call of the hot path may wait for the database (see [`Store::within`]).
    deadline: Duration,
}

impl Store {
    /// Connects (creating a SQLite file when missing) and starts the writer tasks. Does not
    /// migrate: call [`Store::migrate`].
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database cannot be reached.
    pub async fn connect(config: &StoreConfig) -> Result<Self, StoreError> {
        let mut options = ConnectOptions::new(config.url.clone());
        options
            .max_connections(config.max_connections)
            .min_connections(1)
            .acquire_timeout(config.timeout)
            .connect_timeout(config.timeout)
            // Pinging on every checkout costs a round trip per request; broken connections
            // surface as errors on use and are replaced by the pool.
            .test_before_acquire(false)
            .sqlx_logging(false);
        if config.url.starts_with("sqlite:") {
            let busy = config.timeout;
            options.map_sqlx_sqlite_opts(move |o| {
                o.create_if_missing(true)
                    .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    // In WAL, NORMAL keeps every commit across a process crash (not power loss).
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(busy)
                    // The usage writer's per-batch temporary tables: kept in memory, never in a file.
                    .pragma("temp_store", "memory")
                    .foreign_keys(true)
            });
        } else {
            options.statement_timeout(config.timeout);
        }
        let db = Database::connect(options).await.map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let backend = db.get_database_backend();
        let writer = usage::Writer::start(db.clone(), backend, config.writer);
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                backend,
                account_ids: RwLock::default(),
                writer,
                retention_position: AtomicI64::new(0),
                // The busy and statement timeouts end a slow database's work; this ends the wait
                // for one that stopped answering altogether (a partition that resets nothing).
                deadline: config.timeout.saturating_mul(2),
            }),
        })
    }

    /// Applies pending migrations; a no-op when none are pending. Safe when several instances
    /// start at once on one database: they take turns under a database-wide lock (PostgreSQL:
    /// an advisory lock; SQLite: its write lock), and all come up.
    ///
    /// # Errors
    /// [`StoreError::Internal`] when a migration fails (it is rolled back: every migration runs
    /// in one transaction); [`StoreError::Unavailable`] when the database cannot be reached or
    /// another instance holds the lock for minutes.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrate::migrate(&self.inner.db).await
    }

    /// Applied and pending migrations.
    ///
    /// # Errors
    /// Database errors.
    pub async fn migration_status(&self) -> Result<MigrationStatus, StoreError> {
        let applied = Migrator::get_applied_migrations(&self.inner.db).await.map_err(db_error)?;
        let pending = Migrator::get_pending_migrations(&self.inner.db).await.map_err(db_error)?;
        Ok(MigrationStatus {
            applied: applied.iter().map(|m| m.name().to_owned()).collect(),
            pending: pending.iter().map(|m| m.name().to_owned()).collect(),
        })
    }

    /// Checks the database answers.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when it does not.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.inner.db.ping().await.map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    /// Closes the pool after the writer has drained.
    pub async fn close(self) {
        self.inner.writer.stop().await;
        let _ = self.inner.db.clone().close().await;
    }

    /// The API keys, on this store's database.
    pub fn api_keys(&self) -> SqlApiKeys {
        SqlApiKeys::new(self.inner.db.clone())
    }

    /// The HTTP idempotency records, on this store's database.
    pub fn idempotency(&self) -> SqlIdempotency {
        SqlIdempotency::new(self.inner.db.clone())
    }

    /// The identity records (users, memberships, sessions, tokens, audit log), on this store's
    /// database: the accounts its registrations create are this store's.
    pub fn identity(&self) -> SqlIdentity {
        SqlIdentity::new(self.clone())
    }

    /// The failed logins, on this store's database.
    pub fn login_attempts(&self) -> SqlLoginAttempts {
        SqlLoginAttempts::new(self.inner.db.clone())
    }

    pub(crate) fn connection(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    /// The database kind.
    pub fn backend(&self) -> DbBackend {
        self.inner.backend
    }

    /// Runs a call of the hot path (state, consume, release, counters) under the store's deadline:
    /// past it the call is `Unavailable`, so requests fail closed instead of hanging. A consume
    /// given up this way may still be applied by its writer; its retry with the same key then
    /// answers that outcome.
    pub(crate) async fn within<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        tokio::time::timeout(self.inner.deadline, call)
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the database did not answer in time".into())))
    }

    pub(crate) fn statement(&self, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
        statement(self.inner.backend, sql, values)
    }

    /// The internal id of an account, cached: accounts are never renamed or re-keyed.
    pub(crate) async fn account_id(&self, key: &AccountKey) -> Result<i64, StoreError> {
        if let Some(id) = self.inner.account_ids.read().unwrap_or_else(|p| p.into_inner()).get(key) {
            return Ok(*id);
        }
        let row = self
            .inner
            .db
            .query_one_raw(
                self.statement("SELECT id FROM accounts WHERE key = $1", vec![key.as_str().into()]),
            )
            .await
            .map_err(db_error)?
            .ok_or(StoreError::NotFound("account"))?;
        let id: i64 = row.try_get_by_index(0).map_err(db_error)?;
        self.remember(key, id);
        Ok(id)
    }

    pub(crate) fn remember(&self, key: &AccountKey, id: i64) {
        self.inner.account_ids.write().unwrap_or_else(|p| p.into_inner()).insert(key.clone(), id);
    }
}

/// Begins a transaction that writes. On SQLite it is `BEGIN IMMEDIATE`: it takes the write lock
/// at once (waiting up to the busy timeout), where a deferred transaction would read first and
/// then fail at its first write with `SQLITE_BUSY_SNAPSHOT` if another connection (another
/// process on the same file) committed meanwhile, which no busy timeout can wait out.
pub(crate) async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Builds a statement from PostgreSQL-style SQL (`$1`), numbering parameters `?1` for SQLite.
pub(crate) fn statement(backend: DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    let sql = match backend {
        DbBackend::Sqlite => sql.replace('$', "?"),
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

#[cfg(any(test, feature = "testing"))]
pub mod testing;
