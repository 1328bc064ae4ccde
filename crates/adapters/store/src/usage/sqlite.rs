//! Consumes on SQLite: the whole batch as one script ([`CONSUME_SQL`]), either on the writer's own
//! connection in a transaction of its own ([`batch`]) or inside a transaction shared with
//! releases ([`consumes`]).

use std::sync::LazyLock;

use sea_orm::sqlx;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement};
use tollgate_ports::{StoreError, UsageOutcome};

use super::job::{COUNTER_MAX, Job, int};
use super::outcome::consume_outcome;
use crate::convert::{db_error, micros};

/// Applies a batch of consumes in order and reports one outcome row per command; see the comments
/// in the file. Its one parameter is [`commands`].
const CONSUME_SQL: &str = include_str!("sqlite_consume.sql");

/// The writer's own connection, kept between batches so a batch is one call on it.
pub(super) type Lane = Option<sqlx::pool::PoolConnection<sqlx::Sqlite>>;

/// A batch of consumes on SQLite as one call on the writer's own connection:
/// `BEGIN IMMEDIATE`, [`CONSUME_SQL`], `COMMIT`. On any error the transaction is rolled
/// back and the caller retries each command alone.
pub(super) async fn batch(
    db: &DatabaseConnection,
    lane: &mut Lane,
    jobs: &[Job],
) -> Result<Vec<Result<UsageOutcome, StoreError>>, DbErr> {
    static LANE_SQL: LazyLock<String> = LazyLock::new(|| format!("BEGIN IMMEDIATE;\n{CONSUME_SQL}\nCOMMIT;"));
    let sqlx_err = |e: sqlx::Error| DbErr::Exec(sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(e)));
    if lane.is_none() {
        *lane = Some(db.get_sqlite_connection_pool().acquire().await.map_err(sqlx_err)?);
    }
    let conn = lane.as_mut().ok_or_else(|| DbErr::Custom("no writer connection".into()))?;
    let members: Vec<usize> = (0..jobs.len()).collect();
    let query = sqlx::query(sqlx::AssertSqlSafe(LANE_SQL.as_str())).bind(commands(jobs, &members));
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

/// The JSON array [`CONSUME_SQL`] reads: the `members` of `jobs`, in order, each
/// `[job, account, metric, period, q, cap, key, at, state version]`.
fn commands(jobs: &[Job], members: &[usize]) -> String {
    let commands: Vec<serde_json::Value> = members
        .iter()
        .map(|&i| {
            let (job, c) = (&jobs[i], &jobs[i].command);
            serde_json::json!([
                i,
                job.account_id,
                c.metric.as_str(),
                c.window.as_str(),
                int(c.quantity.get()),
                c.cap.map_or(COUNTER_MAX, int),
                c.idempotency_key.as_ref().map(|k| k.as_str()),
                micros(c.at),
                c.state_version.map(int),
            ])
        })
        .collect();
    serde_json::Value::Array(commands).to_string()
}

/// The `consumes` of `jobs` inside the caller's transaction; their outcome rows, in job order.
pub(super) async fn consumes(
    txn: &DatabaseTransaction,
    jobs: &[Job],
    consumes: &[usize],
) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    if consumes.is_empty() {
        return Ok(Vec::new());
    }
    let json = commands(jobs, consumes);
    txn.query_all_raw(Statement::from_sql_and_values(DbBackend::Sqlite, CONSUME_SQL, [json.into()])).await
}
