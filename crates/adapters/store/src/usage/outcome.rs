//! Row decoding: a consume's outcome row (the same columns on SQLite and PostgreSQL) and a
//! ledger line.

use sea_orm::DbErr;
use tollgate_domain::{IdempotencyKey, MetricName};
use tollgate_ports::{LedgerEntry, StoreError, UsageKind, UsageOutcome};

use super::job::{Job, uint};
use crate::convert::{corrupt, db_error, instant};

/// What a statement or a batch reports when a command's idempotency key was committed by another
/// transaction while it ran (PostgreSQL): the statement fails, so it wrote nothing.
pub(super) const RACED: &str = "idempotency key raced";

/// Whether `error` is [`RACED`]: the statement's guard or a raced row read in a transaction.
pub(super) fn is_race(error: &DbErr) -> bool {
    error.to_string().contains(RACED)
}

/// What a consume's outcome row says.
pub(super) enum Read {
    /// The command's outcome (or its own refusal).
    Outcome(Result<UsageOutcome, StoreError>),
    /// Its key was committed by another transaction meanwhile (PostgreSQL only). The statement's
    /// guard fails the statement before such a row is read; kept so that one never passes as a
    /// fresh outcome.
    Raced,
    /// Nothing was written: it belongs to a folded group that did not fit as a whole and must
    /// run alone (PostgreSQL only).
    Retry,
}

/// Reads a consume's outcome row: `(job, fresh, applied, delta, used, prior…, retry, stale)`.
pub(super) fn read_outcome(job: &Job, row: &sea_orm::QueryResult) -> Result<Read, DbErr> {
    // SQLite's statement never folds commands: its `retry` is always 0.
    if row.try_get_by_index::<bool>(11)? {
        return Ok(Read::Retry);
    }
    if row.try_get_by_index::<bool>(12)? {
        return Ok(Read::Outcome(Err(StoreError::Stale)));
    }
    let fresh: bool = row.try_get_by_index(1)?;
    let prior_kind: Option<String> = row.try_get_by_index(5)?;
    if let (false, Some(kind)) = (fresh, prior_kind) {
        let metric: Option<String> = row.try_get_by_index(6)?;
        let quantity: Option<i64> = row.try_get_by_index(7)?;
        let c = &job.command;
        if kind != UsageKind::Consume.as_str()
            || metric.as_deref() != Some(c.metric.as_str())
            || quantity.map(uint) != Some(c.quantity)
        {
            return Ok(Read::Outcome(Err(StoreError::IdempotencyMismatch)));
        }
        return Ok(Read::Outcome(Ok(UsageOutcome {
            applied: row.try_get_by_index::<Option<bool>>(8)?.unwrap_or(false),
            delta: uint(row.try_get_by_index::<Option<i64>>(9)?.unwrap_or(0)),
            used: uint(row.try_get_by_index::<Option<i64>>(10)?.unwrap_or(0)),
            replayed: true,
        })));
    }
    let outcome = UsageOutcome {
        applied: row.try_get_by_index(2)?,
        delta: uint(row.try_get_by_index(3)?),
        used: uint(row.try_get_by_index(4)?),
        replayed: false,
    };
    if !fresh && job.command.idempotency_key.is_some() {
        return Ok(Read::Raced);
    }
    Ok(Read::Outcome(Ok(outcome)))
}

/// In a transaction, a raced key fails the batch: it is rolled back and each command retried alone.
pub(super) fn consume_outcome(
    job: &Job,
    row: &sea_orm::QueryResult,
) -> Result<Result<UsageOutcome, StoreError>, DbErr> {
    match read_outcome(job, row)? {
        Read::Outcome(outcome) => Ok(outcome),
        Read::Raced => Err(DbErr::Custom(format!("{RACED}; retrying alone"))),
        Read::Retry => Err(DbErr::Custom("folded group did not fit; retrying alone".into())),
    }
}

/// The columns [`ledger_entry`] decodes, in its order; callers append the `WHERE`.
pub(super) const LEDGER_COLUMNS: &str = "SELECT metric, period, kind, quantity, delta, applied, used_after, \
     idempotency_key, created_at FROM usage_ledger";

/// A ledger line, read with [`LEDGER_COLUMNS`].
pub(super) fn ledger_entry(row: &sea_orm::QueryResult) -> Result<LedgerEntry, StoreError> {
    let get = |i| row.try_get_by_index::<i64>(i).map_err(db_error);
    let kind = match row.try_get_by_index::<String>(2).map_err(db_error)?.as_str() {
        "consume" => UsageKind::Consume,
        "release" => UsageKind::Release,
        other => return Err(corrupt(format!("ledger kind {other}"))),
    };
    let key: Option<String> = row.try_get_by_index(7).map_err(db_error)?;
    Ok(LedgerEntry {
        metric: MetricName::parse(row.try_get_by_index::<String>(0).map_err(db_error)?).map_err(corrupt)?,
        window: row.try_get_by_index(1).map_err(db_error)?,
        kind,
        quantity: uint(get(3)?),
        outcome: UsageOutcome {
            applied: row.try_get_by_index(5).map_err(db_error)?,
            delta: uint(get(4)?),
            used: uint(get(6)?),
            replayed: false,
        },
        idempotency_key: key.map(IdempotencyKey::parse).transpose().map_err(corrupt)?,
        at: instant(get(8)?)?,
    })
}
