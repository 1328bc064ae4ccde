//! The identity records as plain values, and how one [`Change`] transforms them. Each change
//! checks everything before it writes, so a failed change leaves the records as they were.

use std::collections::{BTreeMap, HashMap};

use time::OffsetDateTime;
use tollgate_domain::{
    AccountKey, AuditEvent, MemberRole, Membership, OneTimeToken, Session, SessionId, TokenPurpose, User,
    UserId,
};
use tollgate_ports::{Account, Change, Rotation, StoreError};

use crate::store::MemoryStore;

/// A refresh token: which session it renews, and whether it was presented already.
#[derive(Debug, Clone)]
pub(super) struct Refresh {
    pub(super) session: SessionId,
    pub(super) spent: bool,
}

/// An invitation retired after expiring unaccepted (it can no longer be accepted), and whether
/// the seat it held was given back.
#[derive(Debug, Clone, Copy)]
pub(super) struct Lapse {
    /// When its seat was recorded given back.
    pub(super) seat_released_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Records {
    pub(super) users: BTreeMap<UserId, User>,
    pub(super) members: BTreeMap<(AccountKey, UserId), Membership>,
    pub(super) tokens: HashMap<String, OneTimeToken>,
    /// Invitations retired after expiring, by fingerprint.
    pub(super) lapses: HashMap<String, Lapse>,
    pub(super) sessions: HashMap<SessionId, Session>,
    pub(super) refresh: HashMap<String, Refresh>,
}

/// Accounts an `apply` creates and events it logs: written to the account store (which keeps
/// the audit log) only once every change succeeded.
pub(super) struct NewAccounts<'a> {
    pub(super) store: &'a MemoryStore,
    pub(super) pending: Vec<(Account, Option<tollgate_domain::Subscription>)>,
    pub(super) events: Vec<AuditEvent>,
}

impl NewAccounts<'_> {
    fn exists(&self, key: &AccountKey) -> bool {
        self.store.has_account(key) || self.pending.iter().any(|(a, _)| &a.key == key)
    }
}

impl Records {
    fn email_taken(&self, user: &User) -> bool {
        user.active() && self.users.values().any(|u| u.id != user.id && u.active() && u.email == user.email)
    }

    /// Whether `user` is a user that was deleted.
    pub(super) fn deleted(&self, user: &UserId) -> bool {
        self.users.get(user).is_some_and(|u| !u.active())
    }

    fn owners(&self, account: &AccountKey) -> usize {
        self.members.values().filter(|m| &m.account == account && m.role == MemberRole::Owner).count()
    }

    /// Applies one change, or fails having changed nothing.
    pub(super) fn apply(
        &mut self,
        change: &Change,
        accounts: &mut NewAccounts<'_>,
    ) -> Result<(), StoreError> {
        match change {
            Change::CreateAccount(account, subscription) => {
                if accounts.exists(&account.key) {
                    return Err(StoreError::Conflict("account"));
                }
                accounts.pending.push((account.clone(), subscription.clone()));
            }
            Change::CreateUser(user) => {
                if self.users.contains_key(&user.id) {
                    return Err(StoreError::Conflict("user"));
                }
                if self.email_taken(user) {
                    return Err(StoreError::Conflict("email"));
                }
                self.users.insert(user.id.clone(), user.clone());
            }
            Change::UpdateUser(user) => {
                let stored = self.users.get(&user.id).ok_or(StoreError::NotFound("user"))?;
                if stored.version != user.version {
                    return Err(StoreError::Stale);
                }
                if self.email_taken(user) {
                    return Err(StoreError::Conflict("email"));
                }
                self.users.insert(user.id.clone(), User { version: user.version + 1, ..user.clone() });
            }
            Change::AddMember(membership) => {
                if !accounts.exists(&membership.account) {
                    return Err(StoreError::NotFound("account"));
                }
                if !self.users.contains_key(&membership.user) {
                    return Err(StoreError::NotFound("user"));
                }
                let id = (membership.account.clone(), membership.user.clone());
                if self.members.contains_key(&id) {
                    return Err(StoreError::Conflict("member"));
                }
                self.members.insert(id, membership.clone());
            }
            Change::SetRole { account, user, role } => {
                self.change_member(account, user, |m| m.map(|m| Membership { role: *role, ..m }))?;
            }
            Change::RemoveMember { account, user } => self.change_member(account, user, |_| None)?,
            Change::EndMembership { account, user } => {
                if !self.deleted(user) {
                    return Err(StoreError::NotFound("member"));
                }
                self.members
                    .remove(&(account.clone(), user.clone()))
                    .ok_or(StoreError::NotFound("member"))?;
            }
            Change::CreateToken(token) => {
                if self.tokens.contains_key(&token.fingerprint) {
                    return Err(StoreError::Conflict("token"));
                }
                self.tokens.insert(token.fingerprint.clone(), token.clone());
            }
            Change::SpendToken { fingerprint, purpose, at } => self.spend(fingerprint, *purpose, *at)?,
            Change::RetireInvitation { fingerprint, at } => self.retire(fingerprint, *at)?,
            Change::InvitationSeatReleased { fingerprint, at } => {
                let lapse = self
                    .lapses
                    .get_mut(fingerprint)
                    .filter(|l| l.seat_released_at.is_none())
                    .ok_or(StoreError::NotFound("token"))?;
                lapse.seat_released_at = Some(*at);
            }
            Change::CreateSession { session, refresh } => {
                if self.sessions.contains_key(&session.id) {
                    return Err(StoreError::Conflict("session"));
                }
                if !self.users.contains_key(&session.user) {
                    return Err(StoreError::NotFound("user"));
                }
                if self.refresh.contains_key(refresh) {
                    return Err(StoreError::Conflict("token"));
                }
                self.sessions.insert(session.id.clone(), session.clone());
                self.refresh.insert(refresh.clone(), Refresh { session: session.id.clone(), spent: false });
            }
            Change::RevokeSession { id, user, at } => {
                let session = self
                    .sessions
                    .get_mut(id)
                    .filter(|s| &s.user == user)
                    .ok_or(StoreError::NotFound("session"))?;
                session.revoked_at.get_or_insert(*at);
            }
            Change::RevokeSessions { user, at } => {
                for session in self.sessions.values_mut().filter(|s| &s.user == user && s.live_at(*at)) {
                    session.revoked_at = Some(*at);
                }
            }
            Change::Audit(event) => {
                if accounts.store.has_audit(&event.id) || accounts.events.iter().any(|e| e.id == event.id) {
                    return Err(StoreError::Conflict("audit"));
                }
                accounts.events.push(event.clone());
            }
        }
        Ok(())
    }

    /// Replaces (or, given `None`, removes) a membership, unless that leaves an account that had
    /// this owner with none.
    fn change_member(
        &mut self,
        account: &AccountKey,
        user: &UserId,
        change: impl FnOnce(Option<Membership>) -> Option<Membership>,
    ) -> Result<(), StoreError> {
        let id = (account.clone(), user.clone());
        if self.deleted(user) {
            return Err(StoreError::NotFound("member"));
        }
        let before = self.members.get(&id).cloned().ok_or(StoreError::NotFound("member"))?;
        let after = change(Some(before.clone()));
        let owners_after = self.owners(account) - usize::from(before.role == MemberRole::Owner)
            + usize::from(after.as_ref().is_some_and(|m| m.role == MemberRole::Owner));
        if before.role == MemberRole::Owner && owners_after == 0 {
            return Err(StoreError::Conflict("last_owner"));
        }
        match after {
            Some(membership) => self.members.insert(id, membership),
            None => self.members.remove(&id),
        };
        Ok(())
    }

    fn spend(
        &mut self,
        fingerprint: &str,
        purpose: TokenPurpose,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let retired = self.lapses.contains_key(fingerprint);
        let token = self
            .tokens
            .get_mut(fingerprint)
            .filter(|t| t.purpose == purpose && t.usable_at(at) && !retired)
            .ok_or(StoreError::NotFound("token"))?;
        token.used_at = Some(at);
        Ok(())
    }

    /// [`Change::RetireInvitation`]: idempotent until the seat is recorded released.
    fn retire(&mut self, fingerprint: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        let lapsed = self.tokens.get(fingerprint).is_some_and(|t| {
            t.purpose == TokenPurpose::Invitation && t.used_at.is_none() && t.expires_at <= at
        });
        let lapse = self.lapses.get(fingerprint);
        if !lapsed || lapse.is_some_and(|l| l.seat_released_at.is_some()) {
            return Err(StoreError::NotFound("token"));
        }
        if lapse.is_none() {
            self.lapses.insert(fingerprint.to_owned(), Lapse { seat_released_at: None });
        }
        Ok(())
    }

    /// The refresh rotation of [`tollgate_ports::IdentityStore::rotate`].
    pub(super) fn rotate(
        &mut self,
        presented: &str,
        next: &str,
        now: OffsetDateTime,
    ) -> Result<Rotation, StoreError> {
        let Some(refresh) = self.refresh.get(presented).cloned() else { return Ok(Rotation::Invalid) };
        let Some(session) = self.sessions.get_mut(&refresh.session) else { return Ok(Rotation::Invalid) };
        if refresh.spent {
            session.revoked_at.get_or_insert(now);
            return Ok(Rotation::Reused(session.clone()));
        }
        if !session.live_at(now) {
            return Ok(Rotation::Invalid);
        }
        if self.refresh.contains_key(next) {
            return Err(StoreError::Internal("the next refresh token's fingerprint exists".into()));
        }
        session.refreshed_at = now;
        let rotated = session.clone();
        self.refresh.insert(presented.to_owned(), Refresh { spent: true, ..refresh.clone() });
        self.refresh.insert(next.to_owned(), Refresh { session: refresh.session, spent: false });
        Ok(Rotation::Rotated(rotated))
    }
}
