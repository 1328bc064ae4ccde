//! The group-commit writer: the queue, batching, and the retry of each command alone when a batch
//! fails. The statements themselves belong to [`super::sqlite`], [`super::postgres`] and
//! [`super::release`].

use std::sync::Mutex;

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbBackend, DbErr};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tollgate_ports::{StoreError, UsageCommand, UsageKind, UsageOutcome};

use super::job::Job;
use super::outcome::{consume_outcome, is_race};
use super::{postgres, release, sqlite};
use crate::begin_write;
use crate::convert::db_error;

/// Group-commit settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterConfig {
    /// Writer tasks, each with its own transaction at a time (1 for SQLite: one writer anyway).
    pub writers: usize,
    /// Most commands in one transaction.
    pub batch_max: usize,
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
                    // SQLite: the writer keeps one connection, so a batch is one call on it.
                    let mut lane: sqlite::Lane = None;
                    loop {
                        let mut jobs = Vec::new();
                        {
                            let mut rx = rx.lock().await;
                            match rx.recv().await {
                                Some(job) => jobs.push(job),
                                None => return,
                            }
                            // Requesters woken by the previous batch's replies are about to send
                            // their next command: let them run first so this batch takes them
                            // all (group commit), instead of committing one at a time.
                            tokio::task::yield_now().await;
                            while jobs.len() < batch_max {
                                match rx.try_recv() {
                                    Ok(job) => jobs.push(job),
                                    Err(_) => break,
                                }
                            }
                        }
                        run_batch(&db, backend, &mut lane, jobs).await;
                    }
                })
            })
            .collect();
        Self { queue: Mutex::new(Some(tx)), tasks: Mutex::new(tasks) }
    }

    pub(super) async fn submit(
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

async fn run_batch(db: &DatabaseConnection, backend: DbBackend, lane: &mut sqlite::Lane, mut jobs: Vec<Job>) {
    // One lock order for every batch, so concurrent writers do not deadlock on counter rows.
    jobs.sort_by(|a, b| {
        (a.account_id, &a.command.metric, &a.command.window).cmp(&(
            b.account_id,
            &b.command.metric,
            &b.command.window,
        ))
    });
    let only_consumes = jobs.iter().all(|j| j.kind == UsageKind::Consume);
    let result = match backend {
        DbBackend::Sqlite if only_consumes => sqlite::batch(db, lane, &jobs).await,
        DbBackend::Postgres if only_consumes && postgres::fits_one_round(&jobs) => {
            match postgres::autocommit(db, &jobs).await {
                // Members of a folded group that did not fit as a whole run alone, in job order.
                Ok(postgres::Settled { mut outcomes, retry }) => {
                    for index in retry {
                        outcomes[index] = apply_alone(db, backend, &jobs[index]).await;
                    }
                    Ok(outcomes)
                }
                Err(error) => Err(error),
            }
        }
        _ => apply_all(db, backend, &jobs).await,
    };
    match result {
        Ok(outcomes) => {
            for (job, outcome) in jobs.into_iter().zip(outcomes) {
                let _ = job.reply.send(outcome);
            }
        }
        // A lone command that lost its key to another instance is retried like a batch's.
        Err(error) if jobs.len() == 1 && !is_race(&error) => {
            tracing::warn!(%error, "usage command failed");
            for job in jobs {
                let _ = job.reply.send(Err(db_error(error.clone())));
            }
        }
        Err(error) => {
            if is_race(&error) {
                tracing::debug!(%error, batch = jobs.len(), "idempotency key raced; retrying the batch one by one");
            } else {
                tracing::warn!(%error, batch = jobs.len(), "usage batch failed; retrying its commands one by one");
            }
            for job in jobs {
                let outcome = apply_alone(db, backend, &job).await;
                let _ = job.reply.send(outcome);
            }
        }
    }
}

/// One command in a transaction of its own. When its key was committed by another instance while
/// it ran ([`is_race`]: rolled back, nothing written), it runs once more: the key is committed
/// by then, so it is answered as a replay.
async fn apply_alone(
    db: &DatabaseConnection,
    backend: DbBackend,
    job: &Job,
) -> Result<UsageOutcome, StoreError> {
    let mut raced = false;
    loop {
        match apply_all(db, backend, std::slice::from_ref(job)).await {
            Ok(mut outcomes) => {
                return outcomes.pop().unwrap_or(Err(StoreError::Internal("no outcome".into())));
            }
            Err(error) if is_race(&error) && !raced => raced = true,
            Err(error) => return Err(db_error(error)),
        }
    }
}

/// The commands in one write transaction, committed only if every statement succeeded. `Ok(Err)`
/// in the list is a command's own refusal; `Err` rolled everything back.
async fn apply_all(
    db: &DatabaseConnection,
    backend: DbBackend,
    jobs: &[Job],
) -> Result<Vec<Result<UsageOutcome, StoreError>>, DbErr> {
    let txn = begin_write(db).await?;
    let result = apply_in(&txn, backend, jobs).await;
    match result {
        Ok(outcomes) => {
            txn.commit().await?;
            Ok(outcomes)
        }
        Err(error) => {
            let _ = txn.rollback().await;
            Err(error)
        }
    }
}

/// The consumes first (all at once on SQLite, by rounds on PostgreSQL), then the releases one by one.
async fn apply_in(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    jobs: &[Job],
) -> Result<Vec<Result<UsageOutcome, StoreError>>, DbErr> {
    let mut outcomes: Vec<Option<Result<UsageOutcome, StoreError>>> = jobs.iter().map(|_| None).collect();
    let consumes: Vec<usize> = (0..jobs.len()).filter(|&i| jobs[i].kind == UsageKind::Consume).collect();
    let rows = match backend {
        DbBackend::Sqlite => sqlite::consumes(txn, jobs, &consumes).await?,
        _ => postgres::consumes(txn, jobs, &consumes).await?,
    };
    if rows.len() != consumes.len() {
        return Err(DbErr::Custom(format!("{} consume rows for {} commands", rows.len(), consumes.len())));
    }
    for row in rows {
        let index =
            usize::try_from(row.try_get_by_index::<i64>(0)?).map_err(|e| DbErr::Custom(e.to_string()))?;
        let job = jobs.get(index).ok_or_else(|| DbErr::Custom("unknown job in consume row".into()))?;
        outcomes[index] = Some(consume_outcome(job, &row)?);
    }
    for (i, job) in jobs.iter().enumerate() {
        if job.kind == UsageKind::Release {
            outcomes[i] = Some(release::release(txn, backend, job).await?);
        }
    }
    Ok(outcomes.into_iter().map(|o| o.unwrap_or(Err(StoreError::Internal("no outcome".into())))).collect())
}
