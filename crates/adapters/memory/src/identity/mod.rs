//! Users, memberships, sessions, one-time tokens and the audit log in memory, for tests and
//! embedding, with the semantics of the database store.

mod records;

use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use time::OffsetDateTime;
use tollgate_domain::{
    AccountKey, AuditEvent, Email, MemberRole, Membership, OneTimeToken, Session, SessionId, TokenPurpose,
    User, UserId,
};
use tollgate_ports::{AuditFilter, Change, IdentityStore, Rotation, StoreError};

use self::records::{NewAccounts, Records};
use crate::store::MemoryStore;

/// The identity records in memory. Accounts a registration creates go to the [`MemoryStore`]
/// it was built on, so they are the accounts every other port sees.
#[derive(Debug)]
pub struct MemoryIdentity {
    accounts: Arc<MemoryStore>,
    records: Mutex<Records>,
}

impl MemoryIdentity {
    /// Empty records whose accounts are those of `accounts`.
    pub fn new(accounts: Arc<MemoryStore>) -> Self {
        Self { accounts, records: Mutex::default() }
    }

    fn lock(&self) -> MutexGuard<'_, Records> {
        // Records are replaced whole, only after every change succeeded: a poisoned lock still
        // guards consistent records.
        self.records.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn take<T>(items: impl Iterator<Item = T>, limit: u32) -> Vec<T> {
    items.take(usize::try_from(limit).unwrap_or(usize::MAX)).collect()
}

#[async_trait]
impl IdentityStore for MemoryIdentity {
    async fn apply(&self, changes: &[Change]) -> Result<(), StoreError> {
        // The changes run on a copy, under the lock; the copy replaces the records only when all
        // of them succeeded, and the accounts are created (all or none) just before.
        let mut records = self.lock();
        let mut next = records.clone();
        let mut accounts = NewAccounts { store: &self.accounts, pending: Vec::new(), events: Vec::new() };
        for change in changes {
            next.apply(change, &mut accounts)?;
        }
        if !accounts.pending.is_empty() || !accounts.events.is_empty() {
            self.accounts.create_accounts(accounts.pending, &accounts.events)?;
        }
        *records = next;
        Ok(())
    }

    async fn user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        Ok(self.lock().users.get(id).cloned())
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        Ok(self.lock().users.values().find(|u| u.active() && &u.email == email).cloned())
    }

    async fn users(
        &self,
        query: Option<String>,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<User>, StoreError> {
        let query = query.map(|q| q.to_lowercase());
        let records = self.lock();
        let matching =
            records.users.values().filter(|u| after.as_ref().is_none_or(|a| &u.id > a)).filter(|u| {
                query.as_deref().is_none_or(|q| {
                    u.email.as_str().to_lowercase().contains(q) || u.name.as_str().to_lowercase().contains(q)
                })
            });
        Ok(take(matching.cloned(), limit))
    }

    async fn role(&self, account: &AccountKey, user: &UserId) -> Result<Option<MemberRole>, StoreError> {
        Ok(self.lock().members.get(&(account.clone(), user.clone())).map(|m| m.role))
    }

    async fn memberships(&self, user: &UserId) -> Result<Vec<Membership>, StoreError> {
        Ok(self.lock().members.values().filter(|m| &m.user == user).cloned().collect())
    }

    async fn members(&self, account: &AccountKey) -> Result<Vec<Membership>, StoreError> {
        Ok(self.lock().members.values().filter(|m| &m.account == account).cloned().collect())
    }

    async fn token(&self, fingerprint: &str) -> Result<Option<OneTimeToken>, StoreError> {
        Ok(self.lock().tokens.get(fingerprint).cloned())
    }

    async fn invitations(
        &self,
        account: &AccountKey,
        now: OffsetDateTime,
    ) -> Result<Vec<OneTimeToken>, StoreError> {
        let records = self.lock();
        let mut found: Vec<OneTimeToken> = records
            .tokens
            .values()
            .filter(|t| {
                t.purpose == TokenPurpose::Invitation
                    && t.account.as_ref() == Some(account)
                    && t.usable_at(now)
                    && !records.lapses.contains_key(&t.fingerprint)
            })
            .cloned()
            .collect();
        found.sort_by(|a, b| (a.created_at, &a.fingerprint).cmp(&(b.created_at, &b.fingerprint)));
        Ok(found)
    }

    async fn lapsed_invitations(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OneTimeToken>, StoreError> {
        let records = self.lock();
        let mut found: Vec<OneTimeToken> = records
            .tokens
            .values()
            .filter(|t| {
                t.purpose == TokenPurpose::Invitation
                    && t.used_at.is_none()
                    && t.expires_at <= now
                    && records.lapses.get(&t.fingerprint).is_none_or(|l| l.seat_released_at.is_none())
            })
            .cloned()
            .collect();
        found.sort_by(|a, b| (a.expires_at, &a.fingerprint).cmp(&(b.expires_at, &b.fingerprint)));
        Ok(take(found.into_iter(), limit))
    }

    async fn deleted_members(&self, limit: u32) -> Result<Vec<Membership>, StoreError> {
        let records = self.lock();
        let ended = records.members.values().filter(|m| records.deleted(&m.user)).cloned();
        Ok(take(ended, limit))
    }

    async fn session(&self, id: &SessionId) -> Result<Option<Session>, StoreError> {
        Ok(self.lock().sessions.get(id).cloned())
    }

    async fn sessions(&self, user: &UserId, now: OffsetDateTime) -> Result<Vec<Session>, StoreError> {
        let records = self.lock();
        let mut live: Vec<Session> =
            records.sessions.values().filter(|s| &s.user == user && s.live_at(now)).cloned().collect();
        live.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        Ok(live)
    }

    async fn rotate(&self, presented: &str, next: &str, now: OffsetDateTime) -> Result<Rotation, StoreError> {
        self.lock().rotate(presented, next, now)
    }

    async fn audit(
        &self,
        filter: &AuditFilter,
        after: Option<String>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let log = self.accounts.audit_log();
        let mut events: Vec<&AuditEvent> = log.iter().collect();
        events.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
        let start = match after {
            // An unknown position is past the end, as in the database store.
            Some(after) => events.iter().position(|e| e.id == after).map_or(events.len(), |i| i + 1),
            None => 0,
        };
        let matching = events[start..].iter().filter(|e| {
            filter.actor.as_ref().is_none_or(|a| &e.actor.id == a)
                && filter.target.as_ref().is_none_or(|t| &e.target.id == t)
                && filter.action.as_ref().is_none_or(|a| &e.action == a)
                && filter.since.is_none_or(|s| e.at >= s)
        });
        Ok(take(matching.map(|e| (*e).clone()), limit))
    }
}
