//! Users, memberships, sessions, one-time tokens, the audit log (`identity` port) and failed
//! logins, in SQL written once for both databases.
//!
//! Every write runs in one write transaction (`BEGIN IMMEDIATE` on SQLite) whose statements are
//! conditional (`UPDATE … WHERE`, `INSERT … ON CONFLICT DO NOTHING`) and whose row counts decide
//! the outcome, so concurrent callers are told apart by the database, never by a read made
//! before the write. On PostgreSQL a transaction that loses a deadlock or a serialization
//! check is run again, a bounded number of times.

mod apply;
mod attempts;
mod audit;
mod read;
mod rotate;
mod rows;

use std::future::Future;

use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DbErr, QueryResult, RuntimeErr, Value};
use time::OffsetDateTime;
use tollgate_domain::{
    AccountKey, AuditEvent, Email, MemberRole, Membership, OneTimeToken, Session, SessionId, User, UserId,
};
use tollgate_ports::{AuditFilter, Change, IdentityStore, Rotation, StoreError};

pub use self::attempts::SqlLoginAttempts;
pub(crate) use self::audit::{append as append_audit, commit_with as commit_with_audit};
use crate::convert::db_error;
use crate::{Store, statement};

/// The identity records on a [`Store`]'s database; its registrations create the store's accounts.
#[derive(Debug, Clone)]
pub struct SqlIdentity {
    store: Store,
}

impl SqlIdentity {
    pub(crate) fn new(store: Store) -> Self {
        Self { store }
    }
}

/// How many times a transaction that lost a race to another one is run again.
const ATTEMPTS: usize = 5;

/// Marks an error as a lost race that is worth running the transaction again for.
const RACED: &str = "transaction raced another one";

/// Translates a driver error: PostgreSQL serialization failures and deadlocks are marked
/// [`RACED`] for [`retrying`]; the rest as everywhere in the store.
fn fail(error: DbErr) -> StoreError {
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
async fn retrying<T, F, Fut>(mut transaction: F) -> Result<T, StoreError>
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
async fn exec<C: ConnectionTrait>(c: &C, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
    Ok(c.execute_raw(statement(c.get_database_backend(), sql, values)).await?.rows_affected())
}

async fn one<C: ConnectionTrait>(
    c: &C,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<QueryResult>, StoreError> {
    c.query_one_raw(statement(c.get_database_backend(), sql, values)).await.map_err(fail)
}

async fn all<C: ConnectionTrait>(
    c: &C,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>, StoreError> {
    c.query_all_raw(statement(c.get_database_backend(), sql, values)).await.map_err(fail)
}

#[async_trait]
impl IdentityStore for SqlIdentity {
    async fn apply(&self, changes: &[Change]) -> Result<(), StoreError> {
        retrying(|| self.apply_once(changes)).await
    }

    async fn user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        read::user(self.store.connection(), id).await
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        read::user_by_email(self.store.connection(), email).await
    }

    async fn users(
        &self,
        query: Option<String>,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<User>, StoreError> {
        read::users(self.store.connection(), query, after, limit).await
    }

    async fn role(&self, account: &AccountKey, user: &UserId) -> Result<Option<MemberRole>, StoreError> {
        read::role(self.store.connection(), account, user).await
    }

    async fn memberships(&self, user: &UserId) -> Result<Vec<Membership>, StoreError> {
        read::memberships(self.store.connection(), user).await
    }

    async fn members(&self, account: &AccountKey) -> Result<Vec<Membership>, StoreError> {
        read::members(self.store.connection(), account).await
    }

    async fn token(&self, fingerprint: &str) -> Result<Option<OneTimeToken>, StoreError> {
        read::token(self.store.connection(), fingerprint).await
    }

    async fn invitations(
        &self,
        account: &AccountKey,
        now: OffsetDateTime,
    ) -> Result<Vec<OneTimeToken>, StoreError> {
        read::invitations(self.store.connection(), account, now).await
    }

    async fn lapsed_invitations(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OneTimeToken>, StoreError> {
        read::lapsed_invitations(self.store.connection(), now, limit).await
    }

    async fn deleted_members(&self, limit: u32) -> Result<Vec<Membership>, StoreError> {
        read::deleted_members(self.store.connection(), limit).await
    }

    async fn session(&self, id: &SessionId) -> Result<Option<Session>, StoreError> {
        read::session(self.store.connection(), id).await
    }

    async fn sessions(&self, user: &UserId, now: OffsetDateTime) -> Result<Vec<Session>, StoreError> {
        read::sessions(self.store.connection(), user, now).await
    }

    async fn rotate(&self, presented: &str, next: &str, now: OffsetDateTime) -> Result<Rotation, StoreError> {
        retrying(|| rotate::rotate(self.store.connection(), presented, next, now)).await
    }

    async fn audit(
        &self,
        filter: &AuditFilter,
        after: Option<String>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        audit::list(self.store.connection(), filter, after, limit).await
    }
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
