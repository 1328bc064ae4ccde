//! Releases (gauges giving units back), statement by statement inside the writer's transaction,
//! and the replay of a key's first outcome.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Value};
use tollgate_ports::{StoreError, UsageKind, UsageOutcome};

use super::job::{Job, int, uint};
use super::outcome::{LEDGER_COLUMNS, ledger_entry};
use crate::convert::micros;
use crate::statement;

/// A counter's value (no row: 0).
pub(super) const COUNTER_SQL: &str =
    "SELECT used FROM usage_counters WHERE account_id = $1 AND metric = $2 AND period = $3";
/// Compare-and-set: `$4` only if the counter is still `$5`.
const SET_COUNTER_SQL: &str =
    "UPDATE usage_counters SET used = $4 WHERE account_id = $1 AND metric = $2 AND period = $3 AND used = $5";
/// Undoes a release's change when its key turns out to be used already.
const ADJUST_SQL: &str =
    "UPDATE usage_counters SET used = used + $4 WHERE account_id = $1 AND metric = $2 AND period = $3";
const LEDGER_SQL: &str = include_str!("release_ledger.sql");

/// A release (gauges give units back; rare next to consumes): compare-and-set the counter down,
/// never below zero, then the ledger line; a key already used undoes the change and answers the
/// first outcome. `Ok(Err)` is this command's own refusal.
pub(super) async fn release(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    job: &Job,
) -> Result<Result<UsageOutcome, StoreError>, DbErr> {
    let c = &job.command;
    let counter_key =
        || -> Vec<Value> { vec![job.account_id.into(), c.metric.as_str().into(), c.window.as_str().into()] };
    let outcome = loop {
        let old = read_counter(txn, backend, counter_key()).await?;
        let delta = c.quantity.get().min(old);
        if delta == 0 {
            break UsageOutcome { applied: true, delta: 0, used: old, replayed: false };
        }
        let mut values = counter_key();
        values.extend([int(old - delta).into(), int(old).into()]);
        // Another instance may have moved the counter since the read: set only if unchanged.
        if txn.execute_raw(statement(backend, SET_COUNTER_SQL, values)).await?.rows_affected() == 1 {
            break UsageOutcome { applied: true, delta, used: old - delta, replayed: false };
        }
    };
    let mut values = counter_key();
    values.extend([
        UsageKind::Release.as_str().into(),
        int(c.quantity.get()).into(),
        int(outcome.delta).into(),
        true.into(),
        int(outcome.used).into(),
        c.idempotency_key.as_ref().map(|k| k.as_str().to_owned()).into(),
        micros(c.at).into(),
    ]);
    if txn.query_one_raw(statement(backend, LEDGER_SQL, values)).await?.is_some() {
        return Ok(Ok(outcome));
    }
    if outcome.delta > 0 {
        let mut values = counter_key();
        values.push(int(outcome.delta).into());
        txn.execute_raw(statement(backend, ADJUST_SQL, values)).await?;
    }
    first_outcome(txn, backend, job).await
}

async fn read_counter(txn: &DatabaseTransaction, backend: DbBackend, key: Vec<Value>) -> Result<u64, DbErr> {
    Ok(match txn.query_one_raw(statement(backend, COUNTER_SQL, key)).await? {
        Some(row) => uint(row.try_get_by_index(0)?),
        None => 0,
    })
}

/// The outcome first recorded under the job's key, replayed; a key first used by a different
/// command is this command's own refusal (`Ok(Err(IdempotencyMismatch))`).
async fn first_outcome(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    job: &Job,
) -> Result<Result<UsageOutcome, StoreError>, DbErr> {
    let key = job.command.idempotency_key.as_ref().map(|k| k.as_str().to_owned());
    let sql = format!("{LEDGER_COLUMNS} WHERE account_id = $1 AND idempotency_key = $2");
    let row = txn
        .query_one_raw(statement(backend, &sql, vec![job.account_id.into(), key.into()]))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("idempotency record vanished".into()))?;
    Ok(ledger_entry(&row).and_then(|first| first.replay(job.kind, &job.command)))
}
