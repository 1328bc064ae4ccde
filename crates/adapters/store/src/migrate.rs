//! Migrations under concurrent starts: several instances started at the same moment on a fresh
//! database must all come up, so only one of them migrates at a time and the others then find
//! nothing pending.
//!
//! Everything runs in one transaction on one pooled connection, which is what holds the lock:
//! on PostgreSQL a transaction-scoped advisory lock (released by the commit or rollback, or by
//! the server when the connection dies, so a crashed instance never leaves it behind), on
//! SQLite the database's own write lock (`BEGIN IMMEDIATE`, waited for under the busy timeout).
//! Both databases have transactional DDL, so a failed migration leaves nothing half applied.

use std::time::{Duration, Instant};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use tollgate_migration::{Migrator, MigratorTrait};
use tollgate_ports::StoreError;

use crate::convert::db_error;
use crate::statement;

/// The advisory lock key of Tollgate's migrations (any constant that no other lock of the
/// database uses; this one is "tollgate" in ASCII, truncated to 63 bits).
const MIGRATION_LOCK: i64 = 0x746f_6c6c_6761_7465 & i64::MAX;

/// How long an instance waits for another one's migration to finish before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(300);

/// How often a waiting instance tries the lock again.
const LOCK_RETRY: Duration = Duration::from_millis(50);

/// Applies the pending migrations while holding the database-wide migration lock.
pub(crate) async fn migrate(db: &DatabaseConnection) -> Result<(), StoreError> {
    let txn = match db.get_database_backend() {
        DbBackend::Sqlite => db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
            .map_err(db_error)?,
        backend => {
            let txn = db.begin().await.map_err(db_error)?;
            if backend == DbBackend::Postgres {
                advisory_lock(&txn).await?;
            }
            txn
        }
    };
    Migrator::up(&txn, None).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)
}

/// Takes the transaction-scoped migration lock on PostgreSQL. It is tried rather than waited
/// for in one statement, so that the wait is bounded by [`LOCK_WAIT`] and not by the
/// statement timeout meant for requests.
async fn advisory_lock(txn: &DatabaseTransaction) -> Result<(), StoreError> {
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        let row = txn
            .query_one_raw(statement(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock($1)",
                vec![MIGRATION_LOCK.into()],
            ))
            .await
            .map_err(db_error)?
            .ok_or_else(|| StoreError::Internal("pg_try_advisory_xact_lock answered no row".into()))?;
        let locked: bool = row.try_get_by_index(0).map_err(db_error)?;
        if locked {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(StoreError::Unavailable(format!(
                "another instance has been migrating the database for {} s",
                LOCK_WAIT.as_secs()
            )));
        }
        tokio::time::sleep(LOCK_RETRY).await;
    }
}
