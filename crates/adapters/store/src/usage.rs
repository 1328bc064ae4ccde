//! Usage counters and ledger behind a group-commit writer.
//!
//! Commands are queued to writer tasks. A writer takes every command waiting (up to
//! `batch_max`) and applies them in one transaction, so one commit serves many requests:
//! - on SQLite, the batch is one call on the writer's own connection: `BEGIN IMMEDIATE`, the
//!   commands inserted as one JSON array into a temporary table whose trigger applies each in
//!   turn, the outcomes read back, `COMMIT`;
//! - on PostgreSQL, one statement per round of commands, the commands travelling as arrays
//!   through data-modifying CTEs.
//!
//! Either way, each command is one conditional upsert (`ON CONFLICT DO UPDATE … WHERE used <=
//! cap - q`: check and write in one atomic step, never read-then-write) plus its ledger line, and
//! a key already in the ledger stops both and answers the stored outcome. A consume carrying the
//! account's state version is written only if the account is still at that version, checked in
//! the same statement (no extra round trip); otherwise it writes nothing and answers
//! [`StoreError::Stale`]. If anything fails, the batch is rolled back and each command is retried
//! alone, so every command is all or nothing. Releases (gauges giving units back) are rarer and
//! run statement by statement. Every transaction writes, so on SQLite each begins `IMMEDIATE`.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};

use async_trait::async_trait;
use sea_orm::sqlx;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement, Value};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tollgate_domain::{AccountKey, IdempotencyKey, MetricName};
use tollgate_ports::{LedgerEntry, StoreError, UsageCommand, UsageKind, UsageOutcome, UsageRepository};

use crate::convert::{corrupt, db_error, instant, micros};
use crate::{Store, begin_write, statement};

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
                    // SQLite: the writer keeps one connection, so a batch is one call on it.
                    let mut lane: Option<sqlx::pool::PoolConnection<sqlx::Sqlite>> = None;
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

async fn run_batch(
    db: &DatabaseConnection,
    backend: DbBackend,
    lane: &mut Option<sqlx::pool::PoolConnection<sqlx::Sqlite>>,
    mut jobs: Vec<Job>,
) {
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
        DbBackend::Sqlite if only_consumes => sqlite_batch(db, lane, &jobs).await,
        DbBackend::Postgres
            if only_consumes && pg_rounds(&jobs, &(0..jobs.len()).collect::<Vec<_>>(), true).len() == 1 =>
        {
            postgres_autocommit(db, &jobs).await
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

/// A batch of consumes on SQLite as one call on the writer's own connection:
/// `BEGIN IMMEDIATE`, [`SQLITE_CONSUME_SQL`], `COMMIT`. On any error the transaction is rolled
/// back and the caller retries each command alone.
async fn sqlite_batch(
    db: &DatabaseConnection,
    lane: &mut Option<sqlx::pool::PoolConnection<sqlx::Sqlite>>,
    jobs: &[Job],
) -> Result<Vec<Result<UsageOutcome, StoreError>>, DbErr> {
    static LANE_SQL: LazyLock<String> =
        LazyLock::new(|| format!("BEGIN IMMEDIATE;\n{SQLITE_CONSUME_SQL}\nCOMMIT;"));
    let sqlx_err = |e: sqlx::Error| DbErr::Exec(sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(e)));
    if lane.is_none() {
        *lane = Some(db.get_sqlite_connection_pool().acquire().await.map_err(sqlx_err)?);
    }
    let conn = lane.as_mut().ok_or_else(|| DbErr::Custom("no writer connection".into()))?;
    let members: Vec<usize> = (0..jobs.len()).collect();
    let query = sqlx::query(sqlx::AssertSqlSafe(LANE_SQL.as_str())).bind(sqlite_commands(jobs, &members));
    let rows = match query.fetch_all(&mut **conn).await {
        Ok(rows) => rows,
        Err(error) => {
            // Leave the connection clean (or drop it if even that fails).
            if sqlx::raw_sql("ROLLBACK").execute(&mut **conn).await.is_err() {
                *lane = None;
            }
            return Err(sqlx_err(error));
        }
    };
    // Committed: from here on nothing may be retried, so a row that cannot be read fails only
    // its own command (its units are recorded; a retry with its key replays them).
    let mut outcomes: Vec<Result<UsageOutcome, StoreError>> =
        jobs.iter().map(|_| Err(StoreError::Internal("the batch reported no outcome".into()))).collect();
    for row in rows {
        let row = sea_orm::QueryResult::from(row);
        let Some(index) = row.try_get_by_index::<i64>(0).ok().and_then(|i| usize::try_from(i).ok()) else {
            continue;
        };
        if let Some(job) = jobs.get(index) {
            outcomes[index] = consume_outcome(job, &row).unwrap_or_else(|e| Err(db_error(e)));
        }
    }
    Ok(outcomes)
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

/// What a statement or a batch reports when a command's idempotency key was committed by another
/// transaction while it ran (PostgreSQL): the statement fails, so it wrote nothing.
const RACED: &str = "idempotency key raced";

/// Whether `error` is [`RACED`]: the statement's guard or a raced row read in a transaction.
fn is_race(error: &DbErr) -> bool {
    error.to_string().contains(RACED)
}

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

async fn apply_in(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    jobs: &[Job],
) -> Result<Vec<Result<UsageOutcome, StoreError>>, DbErr> {
    let mut outcomes: Vec<Option<Result<UsageOutcome, StoreError>>> = jobs.iter().map(|_| None).collect();
    let consumes: Vec<usize> = (0..jobs.len()).filter(|&i| jobs[i].kind == UsageKind::Consume).collect();
    let rows = match backend {
        DbBackend::Sqlite => sqlite_consumes(txn, jobs, &consumes).await?,
        _ => postgres_consumes(txn, jobs, &consumes).await?,
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
            outcomes[i] = Some(release(txn, backend, job).await?);
        }
    }
    Ok(outcomes.into_iter().map(|o| o.unwrap_or(Err(StoreError::Internal("no outcome".into())))).collect())
}

fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(COUNTER_MAX)
}

fn uint(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Consumes on PostgreSQL, one statement per round: the commands travel as arrays, the counters'
/// conditional upserts and the ledger inserts are data-modifying CTEs of the same statement, and a
/// key already in the ledger (`prior`) stops both.
///
/// One statement cannot update a row twice, so the commands of a round on one counter are folded
/// into one upsert of their sum, admitted all or nothing under the smallest of their caps (every
/// prefix then fits too, so each command's own sequential check holds); the ledger line of each
/// says the counter after it, in job order. A folded group that does not fit is exact for the
/// members that could not fit on their own either (`used + q > cap`: refused whatever the order);
/// the others come back marked `retry`, with nothing written, to be run alone. A hot account thus
/// costs one statement per batch instead of one per command.
///
/// Every read of a table is a lookup per command (a correlated subquery, or `LATERAL … LIMIT
/// 1`), never a join: the statement's plan is prepared once and reused, and a join planned
/// while the ledger was still empty would scan it for good; a lookup probes the index whatever
/// the table's size was.
///
/// A refusal reports the counter as the statement's snapshot saw it, but at least `cap - q + 1`:
/// the upsert refused on the latest committed value, which another writer may have raised since
/// the snapshot.
///
/// A command whose state version `sv` (`-1`: none) is not the account's in the statement's
/// snapshot is `stale`: left out of `live`, nothing written. The snapshot is taken when the
/// statement starts, so a change committed before then (one whose answer a client has seen
/// before sending the consume) is always seen.
///
/// A keyed command that wrote no ledger line although its key was not `prior` lost a race: the
/// key was committed by another transaction while this statement ran, and its counter change
/// would count the key twice. The last column then fails the whole statement (a cast of a text
/// that is not a number, naming [`RACED`]; it depends on the row, so the planner cannot fold it
/// away), rolling back everything it wrote, and the caller runs the commands again alone.
const PG_CONSUME_SQL: &str = "WITH input AS ( \
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], \
         $7::bigint[], $8::bigint[], $9::bigint[]) AS t(account_id, metric, period, q, cap, key, at, job, sv)), \
     prior AS ( \
       SELECT i.job, l.kind, l.metric, l.quantity, l.applied, l.delta, l.used_after FROM input i \
       CROSS JOIN LATERAL (SELECT * FROM usage_ledger x WHERE x.account_id = i.account_id \
         AND x.idempotency_key = NULLIF(i.key, '') LIMIT 1) l), \
     stale AS ( \
       SELECT i.job FROM input i WHERE i.sv >= 0 AND NOT EXISTS (SELECT 1 FROM prior p WHERE p.job = i.job) \
       AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = i.account_id AND a.state_version = i.sv)), \
     live AS ( \
       SELECT i.*, \
         (SUM(i.q) OVER (PARTITION BY i.account_id, i.metric, i.period ORDER BY i.job DESC \
           ROWS UNBOUNDED PRECEDING))::bigint - i.q AS later, \
         COUNT(*) OVER g AS members, (SUM(i.q) OVER g)::bigint AS total, MIN(i.cap) OVER g AS group_cap \
       FROM input i WHERE NOT EXISTS (SELECT 1 FROM prior p WHERE p.job = i.job) \
         AND NOT EXISTS (SELECT 1 FROM stale s WHERE s.job = i.job) \
       WINDOW g AS (PARTITION BY i.account_id, i.metric, i.period)), \
     need AS ( \
       SELECT DISTINCT account_id, metric, period, total, group_cap FROM live WHERE total <= group_cap), \
     c AS ( \
       INSERT INTO usage_counters AS u (account_id, metric, period, used) \
       SELECT account_id, metric, period, total FROM need ORDER BY account_id, metric, period \
       ON CONFLICT (account_id, metric, period) DO UPDATE SET used = u.used + excluded.used \
       WHERE u.used <= (SELECT n.group_cap FROM need n WHERE n.account_id = excluded.account_id \
         AND n.metric = excluded.metric AND n.period = excluded.period) - excluded.used \
       RETURNING u.account_id, u.metric, u.period, u.used), \
     o AS ( \
       SELECT i.job, i.account_id, i.metric, i.period, i.q, NULLIF(i.key, '') AS key, i.at, \
         c.used IS NOT NULL AS applied, \
         COALESCE(c.used - i.later, GREATEST((SELECT x.used FROM usage_counters x \
           WHERE x.account_id = i.account_id AND x.metric = i.metric AND x.period = i.period), \
           i.cap - i.q + 1, 0)) AS used, \
         c.used IS NULL AND i.members > 1 AND COALESCE((SELECT x.used FROM usage_counters x \
           WHERE x.account_id = i.account_id AND x.metric = i.metric AND x.period = i.period), 0) \
           <= i.cap - i.q AS retry \
       FROM live i LEFT JOIN c ON c.account_id = i.account_id AND c.metric = i.metric AND c.period = i.period), \
     l AS ( \
       INSERT INTO usage_ledger \
         (account_id, metric, period, kind, quantity, delta, applied, used_after, idempotency_key, created_at) \
       SELECT account_id, metric, period, 'consume', q, CASE WHEN applied THEN q ELSE 0 END, applied, used, \
         key, at FROM o WHERE NOT retry AND (applied OR key IS NOT NULL) \
       ON CONFLICT (account_id, idempotency_key) DO NOTHING RETURNING account_id, idempotency_key) \
     SELECT i.job, l.account_id IS NOT NULL, COALESCE(o.applied, false), \
       CASE WHEN o.applied THEN i.q ELSE 0 END, COALESCE(o.used, 0), \
       p.kind, p.metric, p.quantity, p.applied, p.delta, p.used_after, COALESCE(o.retry, false), \
       s.job IS NOT NULL, \
       CASE WHEN i.key <> '' AND p.job IS NULL AND s.job IS NULL AND NOT COALESCE(o.retry, false) \
         AND l.account_id IS NULL THEN ('idempotency key raced: ' || i.key)::bigint ELSE 0 END \
     FROM input i LEFT JOIN o ON o.job = i.job LEFT JOIN prior p ON p.job = i.job \
     LEFT JOIN stale s ON s.job = i.job \
     LEFT JOIN l ON l.account_id = i.account_id AND l.idempotency_key = NULLIF(i.key, '')";

/// Commands of one PostgreSQL statement, with the counters and keys they touch.
type Round<'a> = (Vec<usize>, HashSet<(i64, &'a str, &'a str)>, HashSet<(i64, &'a str)>);

/// Splits consumes into rounds: each command goes to the first round where its key is not taken
/// and, unless `fold` (commands on one counter folded into one upsert), neither is its counter.
fn pg_rounds(jobs: &[Job], consumes: &[usize], fold: bool) -> Vec<Vec<usize>> {
    let mut rounds: Vec<Round<'_>> = Vec::new();
    for &i in consumes {
        let c = &jobs[i].command;
        let counter = (jobs[i].account_id, c.metric.as_str(), c.window.as_str());
        let key = c.idempotency_key.as_ref().map(|k| (jobs[i].account_id, k.as_str()));
        let round = rounds.iter().position(|(_, counters, keys)| {
            (fold || !counters.contains(&counter)) && key.is_none_or(|k| !keys.contains(&k))
        });
        let round = match round {
            Some(r) => r,
            None => {
                rounds.push((Vec::new(), HashSet::new(), HashSet::new()));
                rounds.len() - 1
            }
        };
        let (members, counters, keys) = &mut rounds[round];
        members.push(i);
        counters.insert(counter);
        keys.extend(key);
    }
    rounds.into_iter().map(|(members, _, _)| members).collect()
}

/// One round's statement, on a transaction or (a lone round) on the pool in autocommit.
async fn pg_round(
    conn: &impl ConnectionTrait,
    jobs: &[Job],
    members: &[usize],
) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    let column = |f: &dyn Fn(&Job) -> i64| -> Value {
        members.iter().map(|&i| f(&jobs[i])).collect::<Vec<i64>>().into()
    };
    let text = |f: &dyn Fn(&Job) -> String| -> Value {
        members.iter().map(|&i| f(&jobs[i])).collect::<Vec<String>>().into()
    };
    let values = vec![
        column(&|j| j.account_id),
        text(&|j| j.command.metric.to_string()),
        text(&|j| j.command.window.clone()),
        column(&|j| int(j.command.quantity)),
        column(&|j| j.command.cap.map_or(COUNTER_MAX, int)),
        // Keys are never empty, so '' stands for "no key" (arrays carry no NULLs here).
        text(&|j| j.command.idempotency_key.as_ref().map(ToString::to_string).unwrap_or_default()),
        column(&|j| micros(j.command.at)),
        members.iter().map(|&i| i64::try_from(i).unwrap_or(-1)).collect::<Vec<i64>>().into(),
        column(&|j| j.command.state_version.map_or(-1, int)),
    ];
    conn.query_all_raw(statement(DbBackend::Postgres, PG_CONSUME_SQL, values)).await
}

async fn postgres_consumes(
    txn: &DatabaseTransaction,
    jobs: &[Job],
    consumes: &[usize],
) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    let mut rows = Vec::with_capacity(consumes.len());
    for members in pg_rounds(jobs, consumes, false) {
        rows.extend(pg_round(txn, jobs, &members).await?);
    }
    Ok(rows)
}

/// A batch of consumes that fits one round on PostgreSQL: one statement, committed on its own
/// (every command in it is atomic by itself), so the batch costs one round trip. A key raced by
/// another instance fails the statement (see [`PG_CONSUME_SQL`]): nothing was committed, and the
/// caller retries each command alone. Members of a folded group that did not fit as a whole are
/// then run alone, in job order.
async fn postgres_autocommit(
    db: &DatabaseConnection,
    jobs: &[Job],
) -> Result<Vec<Result<UsageOutcome, StoreError>>, DbErr> {
    let members: Vec<usize> = (0..jobs.len()).collect();
    let rows = pg_round(db, jobs, &members).await?;
    // Committed: from here on nothing may be retried as a batch.
    let mut outcomes: Vec<Result<UsageOutcome, StoreError>> =
        jobs.iter().map(|_| Err(StoreError::Internal("the batch reported no outcome".into()))).collect();
    let mut retry = Vec::new();
    for row in rows {
        let Some(index) = row.try_get_by_index::<i64>(0).ok().and_then(|i| usize::try_from(i).ok()) else {
            continue;
        };
        let Some(job) = jobs.get(index) else { continue };
        outcomes[index] = match read_outcome(job, &row) {
            Ok(Read::Outcome(outcome)) => outcome,
            Ok(Read::Retry) => {
                retry.push(index);
                continue;
            }
            // The statement's guard fails it first; a row saying so means the guard is broken.
            Ok(Read::Raced) => Err(StoreError::Internal(format!("{RACED} past the statement's guard"))),
            Err(error) => Err(db_error(error)),
        };
    }
    retry.sort_unstable();
    for index in retry {
        outcomes[index] = apply_alone(db, DbBackend::Postgres, &jobs[index]).await;
    }
    Ok(outcomes)
}

/// Consumes on SQLite, any number in one script whose statement count does not grow with the
/// batch (the driver hands every statement's result across threads, so statements per command
/// were the cost): the commands arrive as one JSON array, `[job, account, metric, period, q,
/// cap, key, at]` each, inserted in order into a temporary table whose trigger applies each
/// one as it lands: the conditional upsert unless its key is in the ledger, its outcome
/// (`changes()` says whether the upsert wrote), its ledger line when applied or keyed. The
/// connection holds SQLite's only write lock meanwhile, so nothing interleaves, and a later
/// command sees what earlier ones wrote (a repeated key replays). The last statement reports
/// `(job, fresh, applied, delta, used, prior…, 0, stale)` per command. A command whose state
/// version `sv` (NULL: none) is not the account's is `stale`: no upsert, no ledger line. The
/// temporary objects belong to the connection and are created once.
const SQLITE_CONSUME_SQL: &str = "\
CREATE TEMP TABLE IF NOT EXISTS consume_batch \
  (job INTEGER, account_id INTEGER, metric TEXT, period TEXT, q INTEGER, cap INTEGER, key TEXT, at INTEGER, \
   sv INTEGER);
CREATE TEMP TABLE IF NOT EXISTS consume_outcome \
  (job INTEGER PRIMARY KEY, account_id INTEGER, key TEXT, prior INTEGER, stale INTEGER, applied INTEGER, \
   delta INTEGER, used INTEGER);
CREATE TEMP TRIGGER IF NOT EXISTS consume_each AFTER INSERT ON consume_batch BEGIN
  INSERT INTO usage_counters (account_id, metric, period, used)
    SELECT NEW.account_id, NEW.metric, NEW.period, NEW.q
    WHERE NEW.q <= NEW.cap AND NOT EXISTS (SELECT 1 FROM usage_ledger \
      WHERE account_id = NEW.account_id AND idempotency_key = NEW.key) \
      AND (NEW.sv IS NULL OR EXISTS (SELECT 1 FROM accounts WHERE id = NEW.account_id AND state_version = NEW.sv))
    ON CONFLICT (account_id, metric, period) DO UPDATE SET used = usage_counters.used + excluded.used
    WHERE usage_counters.used <= NEW.cap - excluded.used;
  INSERT INTO consume_outcome (job, account_id, key, prior, stale, applied, delta, used)
    SELECT NEW.job, NEW.account_id, NEW.key,
      EXISTS (SELECT 1 FROM usage_ledger WHERE account_id = NEW.account_id AND idempotency_key = NEW.key),
      NEW.sv IS NOT NULL AND NOT EXISTS (SELECT 1 FROM accounts WHERE id = NEW.account_id AND state_version = NEW.sv),
      changes() > 0, CASE WHEN changes() > 0 THEN NEW.q ELSE 0 END,
      COALESCE((SELECT used FROM usage_counters \
        WHERE account_id = NEW.account_id AND metric = NEW.metric AND period = NEW.period), 0);
  INSERT INTO usage_ledger \
    (account_id, metric, period, kind, quantity, delta, applied, used_after, idempotency_key, created_at)
    SELECT NEW.account_id, NEW.metric, NEW.period, 'consume', NEW.q, o.delta, o.applied, o.used, NEW.key, NEW.at
    FROM consume_outcome o WHERE o.job = NEW.job AND NOT o.prior AND NOT o.stale \
      AND (o.applied OR NEW.key IS NOT NULL);
END;
DELETE FROM consume_batch;
DELETE FROM consume_outcome;
INSERT INTO consume_batch SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), \
  json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'), \
  json_extract(value, '$[5]'), json_extract(value, '$[6]'), json_extract(value, '$[7]'), \
  json_extract(value, '$[8]') \
  FROM json_each(?) ORDER BY key;
SELECT o.job, NOT o.prior, o.applied, o.delta, o.used, \
  l.kind, l.metric, l.quantity, l.applied, l.delta, l.used_after, 0, o.stale AND NOT o.prior \
  FROM consume_outcome o \
  LEFT JOIN usage_ledger l ON o.prior AND l.account_id = o.account_id AND l.idempotency_key = o.key \
  ORDER BY o.job;";

/// The JSON array [`SQLITE_CONSUME_SQL`] reads: the `members` of `jobs`, in order, each
/// `[job, account, metric, period, q, cap, key, at, state version]`.
fn sqlite_commands(jobs: &[Job], members: &[usize]) -> String {
    let commands: Vec<serde_json::Value> = members
        .iter()
        .map(|&i| {
            let (job, c) = (&jobs[i], &jobs[i].command);
            serde_json::json!([
                i,
                job.account_id,
                c.metric.as_str(),
                c.window,
                int(c.quantity),
                c.cap.map_or(COUNTER_MAX, int),
                c.idempotency_key.as_ref().map(|k| k.as_str()),
                micros(c.at),
                c.state_version.map(int),
            ])
        })
        .collect();
    serde_json::Value::Array(commands).to_string()
}

async fn sqlite_consumes(
    txn: &DatabaseTransaction,
    jobs: &[Job],
    consumes: &[usize],
) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    if consumes.is_empty() {
        return Ok(Vec::new());
    }
    let commands = sqlite_commands(jobs, consumes);
    txn.query_all_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        SQLITE_CONSUME_SQL,
        [commands.into()],
    ))
    .await
}

/// What a consume's outcome row says.
enum Read {
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
fn read_outcome(job: &Job, row: &sea_orm::QueryResult) -> Result<Read, DbErr> {
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
fn consume_outcome(job: &Job, row: &sea_orm::QueryResult) -> Result<Result<UsageOutcome, StoreError>, DbErr> {
    match read_outcome(job, row)? {
        Read::Outcome(outcome) => Ok(outcome),
        Read::Raced => Err(DbErr::Custom(format!("{RACED}; retrying alone"))),
        Read::Retry => Err(DbErr::Custom("folded group did not fit; retrying alone".into())),
    }
}

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

/// A release (gauges give units back; rare next to consumes): compare-and-set the counter down,
/// never below zero, then the ledger line; a key already used undoes the change and answers the
/// first outcome. `Ok(Err)` is this command's own refusal.
async fn release(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    job: &Job,
) -> Result<Result<UsageOutcome, StoreError>, DbErr> {
    let c = &job.command;
    let counter_key =
        || -> Vec<Value> { vec![job.account_id.into(), c.metric.as_str().into(), c.window.as_str().into()] };
    let outcome = loop {
        let old = read_counter(txn, backend, counter_key()).await?;
        let delta = c.quantity.min(old);
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
        int(c.quantity).into(),
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
        self.within(async {
            let account_id = self.account_id(&command.account).await?;
            self.inner.writer.submit(UsageKind::Consume, account_id, command).await
        })
        .await
    }

    async fn release(&self, command: &UsageCommand) -> Result<UsageOutcome, StoreError> {
        self.within(async {
            let account_id = self.account_id(&command.account).await?;
            self.inner.writer.submit(UsageKind::Release, account_id, command).await
        })
        .await
    }

    async fn current(
        &self,
        account: &AccountKey,
        counters: &[(MetricName, String)],
    ) -> Result<Vec<u64>, StoreError> {
        self.within(self.read_counters(account, counters)).await
    }

    async fn recorded(
        &self,
        account: &AccountKey,
        key: &IdempotencyKey,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        self.within(self.read_recorded(account, key)).await
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
                &format!("{LEDGER_COLUMNS} WHERE account_id = $1 ORDER BY id LIMIT $2"),
                vec![account_id.into(), i64::from(limit).into()],
            ))
            .await
            .map_err(db_error)?;
        rows.iter().map(ledger_entry).collect()
    }
}

impl Store {
    async fn read_counters(
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

    async fn read_recorded(
        &self,
        account: &AccountKey,
        key: &IdempotencyKey,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        let account_id = match self.account_id(account).await {
            Ok(id) => id,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let rows = self
            .connection()
            .query_all_raw(self.statement(
                &format!("{LEDGER_COLUMNS} WHERE account_id = $1 AND idempotency_key = $2"),
                vec![account_id.into(), key.as_str().into()],
            ))
            .await
            .map_err(db_error)?;
        Ok(rows.iter().map(ledger_entry).collect::<Result<Vec<_>, _>>()?.pop())
    }
}

const LEDGER_COLUMNS: &str = "SELECT metric, period, kind, quantity, delta, applied, used_after, \
     idempotency_key, created_at FROM usage_ledger";

fn ledger_entry(row: &sea_orm::QueryResult) -> Result<LedgerEntry, StoreError> {
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
