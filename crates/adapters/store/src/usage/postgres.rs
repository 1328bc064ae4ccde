//! Consumes on PostgreSQL: commands split into rounds, one [`CONSUME_SQL`] statement per round,
//! either inside the writer's transaction ([`consumes`]) or, for a batch that fits one round, on
//! the pool in autocommit ([`autocommit`]).

use std::collections::HashSet;

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Value};
use tollgate_ports::{StoreError, UsageOutcome};

use super::job::{COUNTER_MAX, Job, int};
use super::outcome::{RACED, Read, read_outcome};
use crate::convert::{db_error, micros};
use crate::statement;

/// One round of consumes as one statement; its design is explained in the file's comments.
const CONSUME_SQL: &str = include_str!("postgres_consume.sql");

/// Commands of one PostgreSQL statement, with the counters and keys they touch.
type Round<'a> = (Vec<usize>, HashSet<(i64, &'a str, &'a str)>, HashSet<(i64, &'a str)>);

/// Splits consumes into rounds: each command goes to the first round where its key is not taken
/// and, unless `fold` (commands on one counter folded into one upsert), neither is its counter.
fn rounds(jobs: &[Job], consumes: &[usize], fold: bool) -> Vec<Vec<usize>> {
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

/// Whether the batch (all consumes) fits one folded round, so [`autocommit`] can take it.
pub(super) fn fits_one_round(jobs: &[Job]) -> bool {
    rounds(jobs, &(0..jobs.len()).collect::<Vec<_>>(), true).len() == 1
}

/// One round's statement, on a transaction or (a lone round) on the pool in autocommit.
async fn round(
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
        text(&|j| j.command.window.to_string()),
        column(&|j| int(j.command.quantity.get())),
        column(&|j| j.command.cap.map_or(COUNTER_MAX, int)),
        // Keys are never empty, so '' stands for "no key" (arrays carry no NULLs here).
        text(&|j| j.command.idempotency_key.as_ref().map(ToString::to_string).unwrap_or_default()),
        column(&|j| micros(j.command.at)),
        members.iter().map(|&i| i64::try_from(i).unwrap_or(-1)).collect::<Vec<i64>>().into(),
        column(&|j| j.command.state_version.map_or(-1, int)),
    ];
    conn.query_all_raw(statement(DbBackend::Postgres, CONSUME_SQL, values)).await
}

/// The `consumes` of `jobs` inside the caller's transaction, a statement per round (unfolded: one
/// command per counter per round); their outcome rows.
pub(super) async fn consumes(
    txn: &DatabaseTransaction,
    jobs: &[Job],
    consumes: &[usize],
) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    let mut rows = Vec::with_capacity(consumes.len());
    for members in rounds(jobs, consumes, false) {
        rows.extend(round(txn, jobs, &members).await?);
    }
    Ok(rows)
}

/// What an autocommitted round left to do: every command's outcome, and the members of folded
/// groups that did not fit as a whole, in job order, which the caller must run alone (their
/// outcome meanwhile is a placeholder).
pub(super) struct Settled {
    pub(super) outcomes: Vec<Result<UsageOutcome, StoreError>>,
    pub(super) retry: Vec<usize>,
}

/// A batch of consumes that fits one round on PostgreSQL ([`fits_one_round`]): one statement,
/// committed on its own (every command in it is atomic by itself), so the batch costs one round
/// trip. A key raced by another instance fails the statement (see [`CONSUME_SQL`]): nothing was
/// committed, and the caller retries each command alone. Members of a folded group that did not
/// fit as a whole are then to be run alone, in job order ([`Settled::retry`]).
pub(super) async fn autocommit(db: &DatabaseConnection, jobs: &[Job]) -> Result<Settled, DbErr> {
    let members: Vec<usize> = (0..jobs.len()).collect();
    let rows = round(db, jobs, &members).await?;
    Ok(settle(jobs, rows))
}

/// Reads the rows of a committed round: from here on nothing may be retried as a batch.
fn settle(jobs: &[Job], rows: Vec<sea_orm::QueryResult>) -> Settled {
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
    Settled { outcomes, retry }
}
