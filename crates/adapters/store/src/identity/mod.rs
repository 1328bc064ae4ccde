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

use async_trait::async_trait;
use time::OffsetDateTime;
use tollgate_domain::{
    AccountKey, AuditEvent, Email, MemberRole, Membership, OneTimeToken, Session, SessionId, User, UserId,
};
use tollgate_ports::{AuditFilter, Change, IdentityStore, Rotation, StoreError};

pub use self::attempts::SqlLoginAttempts;
pub(crate) use self::audit::{append as append_audit, commit_with as commit_with_audit};
use crate::Store;
pub(crate) use crate::sql::{all, exec, fail, one, retrying};

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
