//! Row decoding: a consume's outcome row (the same columns on SQLite and PostgreSQL) and a
//! ledger line.

use sea_orm::DbErr;
use tollgate_domain::{IdempotencyKey, MetricName, Quantity, WindowKey};
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

/// Where a consume's outcome row holds the ledger line first recorded under its key (the
/// [`LEDGER_COLUMNS`], all NULL when there is none).
const PRIOR: usize = 5;
/// The outcome row's `retry` column, after the prior line.
const RETRY: usize = PRIOR + LEDGER_WIDTH;
/// The outcome row's `stale` column.
const STALE: usize = RETRY + 1;

/// Reads a consume's outcome row: `(job, fresh, applied, delta, used, prior line…, retry, stale)`.
pub(super) fn read_outcome(job: &Job, row: &sea_orm::QueryResult) -> Result<Read, DbErr> {
    // SQLite's statement never folds commands: its `retry` is always 0.
    if row.try_get_by_index::<bool>(RETRY)? {
        return Ok(Read::Retry);
    }
    if row.try_get_by_index::<bool>(STALE)? {
        return Ok(Read::Outcome(Err(StoreError::Stale)));
    }
    let fresh: bool = row.try_get_by_index(1)?;
    let prior_kind: Option<String> = row.try_get_by_index(PRIOR + 2)?;
    if !fresh && prior_kind.is_some() {
        let first = ledger_entry_at(row, PRIOR);
        return Ok(Read::Outcome(first.and_then(|first| first.replay(UsageKind::Consume, &job.command))));
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

/// The columns [`ledger_entry`] decodes, in its order; callers append the `WHERE`. The consume
/// scripts report a key's first line in the same order.
pub(super) const LEDGER_COLUMNS: &str = "SELECT metric, period, kind, quantity, delta, applied, used_after, \
     idempotency_key, created_at FROM usage_ledger";
/// How many columns [`LEDGER_COLUMNS`] has.
const LEDGER_WIDTH: usize = 9;

/// A ledger line, read with [`LEDGER_COLUMNS`].
pub(super) fn ledger_entry(row: &sea_orm::QueryResult) -> Result<LedgerEntry, StoreError> {
    ledger_entry_at(row, 0)
}

/// A ledger line whose [`LEDGER_COLUMNS`] start at column `at`. Every value becomes its domain
/// type again; one that does not fit is a corrupt row, never a panic.
fn ledger_entry_at(row: &sea_orm::QueryResult, at: usize) -> Result<LedgerEntry, StoreError> {
    let text = |i| row.try_get_by_index::<String>(at + i).map_err(db_error);
    let int = |i| row.try_get_by_index::<i64>(at + i).map_err(db_error);
    let kind = match text(2)?.as_str() {
        "consume" => UsageKind::Consume,
        "release" => UsageKind::Release,
        other => return Err(corrupt(format!("ledger kind {other}"))),
    };
    let key: Option<String> = row.try_get_by_index(at + 7).map_err(db_error)?;
    Ok(LedgerEntry {
        metric: MetricName::parse(text(0)?).map_err(corrupt)?,
        window: WindowKey::parse(text(1)?).map_err(corrupt)?,
        kind,
        quantity: Quantity::new(uint(int(3)?)).map_err(corrupt)?,
        outcome: UsageOutcome {
            applied: row.try_get_by_index(at + 5).map_err(db_error)?,
            delta: uint(int(4)?),
            used: uint(int(6)?),
            replayed: false,
        },
        idempotency_key: key.map(IdempotencyKey::parse).transpose().map_err(corrupt)?,
        at: instant(int(8)?)?,
    })
}
