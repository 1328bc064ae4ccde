//! Raw SQL in PostgreSQL's dialect on either database, and running a transaction again when it
//! lost a race (PostgreSQL serialization failures and deadlocks).

use std::future::Future;

use sea_orm::{ConnectionTrait, DbErr, QueryResult, RuntimeErr, Value};
use tollgate_ports::StoreError;

use crate::convert::db_error;
use crate::statement;

/// How many times a transaction that lost a race to another one is run again.
const ATTEMPTS: usize = 5;

/// Marks an error as a lost race that is worth running the transaction again for.
const RACED: &str = "transaction raced another one";

/// Translates a driver error: PostgreSQL serialization failures and deadlocks are marked
/// [`RACED`] for [`retrying`]; the rest as everywhere in the store.
pub(crate) fn fail(error: DbErr) -> StoreError {
    let raced = match &error {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e
            .as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|code| code == "40001" || code == "40P01"),
        _ => false,
    };
    if raced { StoreError::Unavailable(format!("{RACED}: {error}")) } else { db_error(error) }
}

/// Runs `transaction` until it does not lose a race, at most [`ATTEMPTS`] times.
pub(crate) async fn retrying<T, F, Fut>(mut transaction: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut last = String::new();
    for _ in 0..ATTEMPTS {
        match transaction().await {
            Err(StoreError::Unavailable(message)) if message.starts_with(RACED) => last = message,
            outcome => return outcome,
        }
    }
    Err(StoreError::Unavailable(last))
}

/// Runs a statement written in PostgreSQL's dialect; returns the rows it changed.
pub(crate) async fn exec<C: ConnectionTrait>(c: &C, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
    Ok(c.execute_raw(statement(c.get_database_backend(), sql, values)).await?.rows_affected())
}

pub(crate) async fn one<C: ConnectionTrait>(
    c: &C,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<QueryResult>, StoreError> {
    c.query_one_raw(statement(c.get_database_backend(), sql, values)).await.map_err(fail)
}

pub(crate) async fn all<C: ConnectionTrait>(
    c: &C,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>, StoreError> {
    c.query_all_raw(statement(c.get_database_backend(), sql, values)).await.map_err(fail)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_lost_race_is_run_again_and_other_failures_are_not() {
        let runs = AtomicUsize::new(0);
        let outcome = retrying(|| async {
            match runs.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(StoreError::Unavailable(format!("{RACED}: deadlock detected"))),
                _ => Ok("committed"),
            }
        })
        .await;
        assert_eq!((outcome, runs.load(Ordering::SeqCst)), (Ok("committed"), 3));

        let runs = AtomicUsize::new(0);
        let outcome: Result<(), _> = retrying(|| async {
            runs.fetch_add(1, Ordering::SeqCst);
            Err(StoreError::Unavailable("database is locked".into()))
        })
        .await;
        assert!(matches!(outcome, Err(StoreError::Unavailable(_))));
        assert_eq!(runs.load(Ordering::SeqCst), 1, "a timeout is not a race");
    }

    #[tokio::test]
    async fn races_lost_every_time_end_unavailable_after_the_last_attempt() {
        let runs = AtomicUsize::new(0);
        let outcome: Result<(), _> = retrying(|| async {
            runs.fetch_add(1, Ordering::SeqCst);
            Err(StoreError::Unavailable(format!("{RACED}: could not serialize access")))
        })
        .await;
        assert!(matches!(outcome, Err(StoreError::Unavailable(m)) if m.contains("serialize")));
        assert_eq!(runs.load(Ordering::SeqCst), ATTEMPTS);
    }
}
