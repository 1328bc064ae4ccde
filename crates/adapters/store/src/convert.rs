//! Translations at the seam: database values and errors to domain values and port errors.

use sea_orm::{DbErr, RuntimeErr, SqlErr};
use time::OffsetDateTime;
use tollgate_ports::StoreError;

/// Unix microseconds, the storage form of every instant.
pub(crate) fn micros(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

pub(crate) fn instant(micros: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .map_err(|_| StoreError::Internal(format!("stored instant out of range: {micros}")))
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("corrupt row: {what}"))
}

/// Whether the error is a unique-constraint violation (a duplicate key).
pub(crate) fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Whether the error is a foreign-key violation (a reference to a missing row).
pub(crate) fn is_foreign_key_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_)))
}

/// Connection, pool and timeout failures are `Unavailable` (the caller fails closed and may
/// retry); anything else is `Internal`. Either way the transaction did not commit.
pub(crate) fn db_error(error: DbErr) -> StoreError {
    let unavailable = match &error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(
                e.as_ref(),
                sea_orm::sqlx::Error::Io(_)
                    | sea_orm::sqlx::Error::PoolTimedOut
                    | sea_orm::sqlx::Error::PoolClosed
                    | sea_orm::sqlx::Error::WorkerCrashed
            ) || is_busy(e)
        }
        _ => false,
    };
    if unavailable {
        StoreError::Unavailable(error.to_string())
    } else {
        StoreError::Internal(error.to_string())
    }
}

fn is_busy(error: &sea_orm::sqlx::Error) -> bool {
    match error {
        // SQLite "database is locked" past the busy timeout; PostgreSQL statement timeout,
        // serialization and deadlock failures: all transient.
        sea_orm::sqlx::Error::Database(e) => {
            matches!(e.code().as_deref(), Some("5" | "6" | "517" | "57014" | "40001" | "40P01" | "57P01"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn instants_round_trip_through_microseconds() {
        let at = datetime!(2026-02-28 23:59:59.123456 UTC);
        assert_eq!(instant(micros(at)).unwrap(), at);
    }
}
