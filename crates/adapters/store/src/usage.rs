//! Usage counters and ledger behind a group-commit writer.
//!
//! Commands are queued to writer tasks. A writer takes every command waiting (up to
//! `batch_max`) and applies them in one transaction, two statements each on the common path:
//! the conditional upsert of the counter (`… ON CONFLICT DO UPDATE … WHERE used <= cap - q
//! RETURNING used`: check and write in one atomic step) and the ledger insert, whose unique
//! `(account_id, idempotency_key)` index makes a replay visible (`ON CONFLICT DO NOTHING`). A
//! replay detected there undoes its own counter change inside the same transaction and answers
//! the stored outcome. If anything fails, the batch is rolled back and each command is retried
//! alone, so every command is all or nothing on its own.

use std::sync::Mutex;

use async_trait::async_trait;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, TransactionTrait, Value,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tollgate_domain::{AccountKey, IdempotencyKey, MetricName};
use tollgate_ports::{LedgerEntry, StoreError, UsageCommand, UsageKind, UsageOutcome, UsageRepository};

use crate::convert::{corrupt, db_error, instant, micros};
use crate::{Store, statement};

/// Group-commit settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterConfig {
    /// Writer tasks, each with its own transaction at a time (1 for SQLite: one writer anyway).
    pub writers: usize,
    /// Most commands in one transaction.
    pub batch_max: usize,
}

/// Counters are signed 64-bit columns.
const COUNTER_MAX: i64 = i64::MAX;

struct Job {
    kind: UsageKind,
    account_id: i64,
    command: UsageCommand,
    reply: oneshot::Sender<Result<UsageOutcome, StoreError>>,
}

#[derive(Debug)]
pub(crate) struct Writer {
    queue: Mutex<Option<mpsc::Sender<Job>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Writer {
    pub(crate) fn start(db: DatabaseConnection, backend: DbBackend, config: WriterConfig) -> Self {
        let (tx, rx) = mpsc::channel::<Job>(config.batch_max.max(1) * 16);
        let rx = std::sync::Arc::new(tokio::sync::Mutex::new(rx));
        let tasks = (0..config.writers.max(1))
            .map(|_| {
                let (db, rx) = (db.clone(), rx.clone());
                let batch_max = config.batch_max.max(1);
                tokio::spawn(async move {
                    loop {
                        let mut jobs = Vec::new();
                        {
                            let mut rx = rx.lock().await;
                            match rx.recv().await {
                                Some(job) => jobs.push(job),
                                None => return,
                            }
                            while jobs.len() < batch_max {
                                match rx.try_recv() {
                                    Ok(job) => jobs.push(job),
                                    Err(_) => break,
                                }
                            }
                        }
                        run_batch(&db, backend, jobs).await;
                    }
                })
            })
            .collect();
        Self { queue: Mutex::new(Some(tx)), tasks: Mutex::new(tasks) }
    }

    async fn submit(
        &self,
        kind: UsageKind,
        account_id: i64,
        command: &UsageCommand,
    ) -> Result<UsageOutcome, StoreError> {
        let queue = self.queue.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let queue = queue.ok_or_else(|| StoreError::Unavailable("store is shutting down".into()))?;
        let (reply, answer) = oneshot::channel();
        queue
            .send(Job { kind, account_id, command: command.clone(), reply })
            .await
            .map_err(|_| StoreError::Unavailable("usage writer stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("usage writer stopped".into()))?
    }

    /// Stops accepting commands and waits for the queued ones to be written.
    pub(crate) async fn stop(&self) {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).take();
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        for task in tasks {
            let _ = task.await;
        }
    }
}

async fn run_batch(db: &DatabaseConnection, backend: DbBackend, mut jobs: Vec<Job>) {
    // One lock order for every batch, so concurrent writers do not deadlock on counter rows.
    jobs.sort_by(|a, b| {
        (a.account_id, &a.command.metric, &a.command.window).cmp(&(
            b.account_id,
            &b.command.metric,
            &b.command.window,
        ))
    });
    match apply_all(db, backend, &jobs).await {
        Ok(outcomes) => {
            for (job, outcome) in jobs.into_iter().zip(outcomes) {
                let _ = job.reply.send(outcome);
            }
        }
        Err(error) if jobs.len() == 1 => {
            tracing::warn!(%error, "usage command failed");
            for job in jobs {
                let _ = job.reply.send(Err(db_error(error.clone())));
            }
        }
        Err(error) => {
            tracing::warn!(%error, batch = jobs.len(), "usage batch failed; retrying its commands one by one");
            for job in jobs {
                let outcome = match apply_all(db, backend, std::slice::from_ref(&job)).await {
                    Ok(mut outcomes) => {
                        outcomes.pop().unwrap_or(Err(StoreError::Internal("no outcome".into())))
                    }
                    Err(error) => Err(db_error(error)),
                };
                let _ = job.reply.send(outcome);
            }
        }
    }
}

async fn apply_all(
    db: &DatabaseConnection,
    backend: DbBackend,
    jobs: &[Job],
) -> Result<Vec<Result<UsageOutcome, StoreError>>, DbErr> {
    let txn = db.begin().await?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        match apply(&txn, backend, job).await {
            Ok(outcome) => outcomes.push(outcome),
            Err(error) => {
                let _ = txn.rollback().await;
                return Err(error);
            }
        }
    }
    txn.commit().await?;
    Ok(outcomes)
}

fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(COUNTER_MAX)
}

fn uint(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

const CONSUME_SQL: &str = "INSERT INTO usage_counters (account_id, metric, period, used) \
     SELECT $1, $2, $3, $4 WHERE $4 <= $5 \
     ON CONFLICT (account_id, metric, period) DO UPDATE SET used = usage_counters.used + excluded.used \
     WHERE usage_counters.used <= $5 - excluded.used \
     RETURNING used";
const COUNTER_SQL: &str =
    "SELECT used FROM usage_counters WHERE account_id = $1 AND metric = $2 AND period = $3";
const SET_COUNTER_SQL: &str =
    "UPDATE usage_counters SET used = $4 WHERE account_id = $1 AND metric = $2 AND period = $3 AND used = $5";
const ADJUST_SQL: &str =
    "UPDATE usage_counters SET used = used + $4 WHERE account_id = $1 AND metric = $2 AND period = $3";
const LEDGER_SQL: &str = "INSERT INTO usage_ledger \
     (account_id, metric, period, kind, quantity, delta, applied, used_after, idempotency_key, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     ON CONFLICT (account_id, idempotency_key) DO NOTHING RETURNING id";
const FIRST_SQL: &str = "SELECT kind, metric, quantity, applied, delta, used_after FROM usage_ledger \
     WHERE account_id = $1 AND idempotency_key = $2";

/// One command inside the batch's transaction. `Err` aborts the batch (a database fault);
/// `Ok(Err)` is this command's own refusal (a reused key), which leaves the transaction usable.
async fn apply(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    job: &Job,
) -> Result<Result<UsageOutcome, StoreError>, DbErr> {
    let c = &job.command;
    let counter_key =
        || -> Vec<Value> { vec![job.account_id.into(), c.metric.as_str().into(), c.window.as_str().into()] };
    let quantity = int(c.quantity);
    let outcome = match job.kind {
        UsageKind::Consume => {
            let cap = c.cap.map_or(COUNTER_MAX, int);
            let mut values = counter_key();
            values.extend([quantity.into(), cap.into()]);
            match txn.query_one_raw(statement(backend, CONSUME_SQL, values)).await? {
                Some(row) => UsageOutcome {
                    applied: true,
                    delta: c.quantity,
                    used: uint(row.try_get_by_index(0)?),
                    replayed: false,
                },
                None => {
                    let used = read_counter(txn, backend, counter_key()).await?;
                    UsageOutcome { applied: false, delta: 0, used, replayed: false }
                }
            }
        }
        UsageKind::Release => loop {
            let old = read_counter(txn, backend, counter_key()).await?;
            let delta = c.quantity.min(old);
            if delta == 0 {
                break UsageOutcome { applied: true, delta: 0, used: old, replayed: false };
            }
            let mut values = counter_key();
            values.extend([int(old - delta).into(), int(old).into()]);
            // Compare-and-set: another instance may have moved the counter since the read.
            if txn.execute_raw(statement(backend, SET_COUNTER_SQL, values)).await?.rows_affected() == 1 {
                break UsageOutcome { applied: true, delta, used: old - delta, replayed: false };
            }
        },
    };
    if !outcome.applied && c.idempotency_key.is_none() {
        return Ok(Ok(outcome));
    }
    let mut values = counter_key();
    values.extend([
        job.kind.as_str().into(),
        quantity.into(),
        int(outcome.delta).into(),
        outcome.applied.into(),
        int(outcome.used).into(),
        c.idempotency_key.as_ref().map(|k| k.as_str().to_owned()).into(),
        micros(c.at).into(),
    ]);
    if txn.query_one_raw(statement(backend, LEDGER_SQL, values)).await?.is_some() {
        return Ok(Ok(outcome));
    }
    // The key was already used: undo this command's change and answer the first outcome.
    if outcome.delta > 0 {
        let undo = match job.kind {
            UsageKind::Consume => -int(outcome.delta),
            UsageKind::Release => int(outcome.delta),
        };
        let mut values = counter_key();
        values.push(undo.into());
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

async fn first_outcome(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    job: &Job,
) -> Result<Result<UsageOutcome, StoreError>, DbErr> {
    let c = &job.command;
    let key = c.idempotency_key.as_ref().map(|k| k.as_str().to_owned());
    let row = txn
        .query_one_raw(statement(backend, FIRST_SQL, vec![job.account_id.into(), key.into()]))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("idempotency record vanished".into()))?;
    let kind: String = row.try_get_by_index(0)?;
    let metric: String = row.try_get_by_index(1)?;
    let quantity: i64 = row.try_get_by_index(2)?;
    if kind != job.kind.as_str() || metric != c.metric.as_str() || uint(quantity) != c.quantity {
        return Ok(Err(StoreError::IdempotencyMismatch));
    }
    Ok(Ok(UsageOutcome {
        applied: row.try_get_by_index(3)?,
        delta: uint(row.try_get_by_index(4)?),
        used: uint(row.try_get_by_index(5)?),
        replayed: true,
    }))
}

#[async_trait]
impl UsageRepository for Store {
    async fn consume(&self, command: &UsageCommand) -> Result<UsageOutcome, StoreError> {
        let account_id = self.account_id(&command.account).await?;
        self.inner.writer.submit(UsageKind::Consume, account_id, command).await
    }

    async fn release(&self, command: &UsageCommand) -> Result<UsageOutcome, StoreError> {
        let account_id = self.account_id(&command.account).await?;
        self.inner.writer.submit(UsageKind::Release, account_id, command).await
    }

    async fn current(
        &self,
        account: &AccountKey,
        counters: &[(MetricName, String)],
    ) -> Result<Vec<u64>, StoreError> {
        let account_id = match self.account_id(account).await {
            Ok(id) => id,
            Err(StoreError::NotFound(_)) => return Ok(vec![0; counters.len()]),
            Err(e) => return Err(e),
        };
        let mut used = Vec::with_capacity(counters.len());
        for (metric, window) in counters {
            let key = vec![account_id.into(), metric.as_str().into(), window.as_str().into()];
            let row =
                self.connection().query_one_raw(self.statement(COUNTER_SQL, key)).await.map_err(db_error)?;
            used.push(match row {
                Some(row) => uint(row.try_get_by_index(0).map_err(db_error)?),
                None => 0,
            });
        }
        Ok(used)
    }

    async fn ledger(&self, account: &AccountKey, limit: u32) -> Result<Vec<LedgerEntry>, StoreError> {
        let account_id = match self.account_id(account).await {
            Ok(id) => id,
            Err(StoreError::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let rows = self
            .connection()
            .query_all_raw(self.statement(
                "SELECT metric, period, kind, quantity, delta, applied, used_after, idempotency_key, created_at \
                 FROM usage_ledger WHERE account_id = $1 ORDER BY id LIMIT $2",
                vec![account_id.into(), i64::from(limit).into()],
            ))
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|row| {
                let get = |i| row.try_get_by_index::<i64>(i).map_err(db_error);
                let kind = match row.try_get_by_index::<String>(2).map_err(db_error)?.as_str() {
                    "consume" => UsageKind::Consume,
                    "release" => UsageKind::Release,
                    other => return Err(corrupt(format!("ledger kind {other}"))),
                };
                let key: Option<String> = row.try_get_by_index(7).map_err(db_error)?;
                Ok(LedgerEntry {
                    metric: MetricName::parse(row.try_get_by_index::<String>(0).map_err(db_error)?)
                        .map_err(corrupt)?,
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
            })
            .collect()
    }
}
