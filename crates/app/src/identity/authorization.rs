//! The one place that decides what a caller may do to an account, and the authentication of
//! user access tokens. Both read through a short per-instance cache: a membership or session
//! change made through this instance applies at once, one made through another instance within
//! the cache's time to live.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use time::{Duration, OffsetDateTime};
use tokio::sync::OnceCell;
use tollgate_domain::{AccountKey, Caller, Denial, MemberRole, Right, SessionId, User, UserId, authorize};
use tollgate_ports::{PasswordHasher, Secret};

use super::register::internal;
use crate::{AppError, Tollgate};

/// Entries kept at most per map; past it the map is emptied (entries are cheap to reload).
const MAX_ENTRIES: usize = 50_000;

/// What a session's access tokens stand for, as last read.
#[derive(Debug, Clone)]
struct SessionFacts {
    user: UserId,
    live_until: Option<OffsetDateTime>,
    platform_admin: bool,
    read_at: OffsetDateTime,
}

/// A membership as last read: the role (`None`: not a member) and when it was read.
type RoleEntry = (Option<MemberRole>, OffsetDateTime);

/// Per-instance memory of sessions and memberships.
#[derive(Debug, Default)]
pub(crate) struct IdentityCache {
    sessions: Mutex<HashMap<SessionId, SessionFacts>>,
    roles: Mutex<HashMap<(AccountKey, UserId), RoleEntry>>,
    revoked: Mutex<HashSet<SessionId>>,
    dummy: OnceCell<String>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl IdentityCache {
    /// Refuses the session's tokens on this instance from now on.
    pub(crate) fn revoke_session(&self, id: &SessionId) {
        lock(&self.sessions).remove(id);
        let mut revoked = lock(&self.revoked);
        if revoked.len() >= MAX_ENTRIES {
            revoked.clear();
        }
        revoked.insert(id.clone());
    }

    /// Forgets every session of `user` (all were revoked), so the next use reads them again.
    pub(crate) fn revoke_user(&self, user: &UserId) {
        let mut sessions = lock(&self.sessions);
        let gone: Vec<SessionId> =
            sessions.iter().filter(|(_, f)| &f.user == user).map(|(id, _)| id.clone()).collect();
        for id in gone {
            sessions.remove(&id);
            lock(&self.revoked).insert(id);
        }
    }

    /// Forgets a cached membership after a change through this instance.
    pub(crate) fn forget_role(&self, account: &AccountKey, user: &UserId) {
        lock(&self.roles).remove(&(account.clone(), user.clone()));
    }

    /// A hash of a random password, made once: what an unknown e-mail's login verifies against.
    pub(crate) async fn dummy_hash(&self, hasher: &dyn PasswordHasher) -> Result<String, AppError> {
        self.dummy
            .get_or_try_init(|| async {
                hasher.hash(&Secret::new("tollgate-dummy-password-for-timing")).await.map_err(internal)
            })
            .await
            .cloned()
    }
}

impl Tollgate {
    /// Whether `caller` may exercise `right` on `account`: the single policy every account-scoped
    /// route goes through (the domain's [`authorize`] fed with the caller's membership).
    ///
    /// # Errors
    /// [`AppError::AccountNotFound`] when the caller may not see the account (as if it did not
    /// exist), [`AppError::Forbidden`] when it may see but not do this; storage errors.
    pub async fn authorize(
        &self,
        caller: &Caller,
        account: &AccountKey,
        right: Right,
    ) -> Result<(), AppError> {
        let membership = match caller {
            Caller::User { user, platform_admin: false, .. } => self.role_of(account, user).await?,
            _ => None,
        };
        authorize(caller, account, membership, right).map_err(|denial| match denial {
            Denial::Hidden => AppError::AccountNotFound,
            Denial::Forbidden => AppError::Forbidden,
        })
    }

    /// Whether `caller` is a platform admin (the admin routes).
    ///
    /// # Errors
    /// [`AppError::Forbidden`] otherwise.
    pub fn require_platform_admin(&self, caller: &Caller) -> Result<(), AppError> {
        if caller.is_platform_admin() { Ok(()) } else { Err(AppError::Forbidden) }
    }

    async fn role_of(&self, account: &AccountKey, user: &UserId) -> Result<Option<MemberRole>, AppError> {
        let now = self.now();
        let key = (account.clone(), user.clone());
        if let Some((role, at)) = lock(&self.identity_cache.roles).get(&key)
            && now - *at < self.settings.cache_ttl
        {
            return Ok(*role);
        }
        let role = self.identity_ports().store.role(account, user).await?;
        if self.settings.cache_ttl.is_positive() {
            let mut roles = lock(&self.identity_cache.roles);
            if roles.len() >= MAX_ENTRIES {
                roles.clear();
            }
            roles.insert(key, (role, now));
        }
        Ok(role)
    }

    /// The caller an access token stands for. The token's signature and expiry are checked, then
    /// its session: revoked here → refused at once; revoked elsewhere → refused within the cache's
    /// time to live.
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`] for a bad, expired or revoked token; storage errors.
    pub async fn authenticate_token(&self, token: &str) -> Result<Caller, AppError> {
        let now = self.now();
        let claims =
            self.identity_ports().tokens.decode(token, now).map_err(|_| AppError::Unauthenticated)?;
        if lock(&self.identity_cache.revoked).contains(&claims.session) {
            return Err(AppError::Unauthenticated);
        }
        let facts = self.session_facts(&claims.session, now).await?;
        if facts.user != claims.subject || facts.live_until.is_none_or(|end| now >= end) {
            return Err(AppError::Unauthenticated);
        }
        Ok(Caller::User {
            user: claims.subject,
            session: claims.session,
            platform_admin: facts.platform_admin,
            impersonator: claims.impersonator,
        })
    }

    async fn session_facts(&self, id: &SessionId, now: OffsetDateTime) -> Result<SessionFacts, AppError> {
        if let Some(facts) = lock(&self.identity_cache.sessions).get(id)
            && now - facts.read_at < self.settings.cache_ttl.max(Duration::ZERO)
        {
            return Ok(facts.clone());
        }
        let store = &self.identity_ports().store;
        let session = store.session(id).await?.ok_or(AppError::Unauthenticated)?;
        let user = store.user(&session.user).await?.filter(User::active);
        let facts = SessionFacts {
            user: session.user.clone(),
            live_until: (session.revoked_at.is_none() && user.is_some()).then_some(session.expires_at),
            platform_admin: user.is_some_and(|u| u.platform_admin),
            read_at: now,
        };
        if self.settings.cache_ttl.is_positive() && !lock(&self.identity_cache.revoked).contains(id) {
            let mut sessions = lock(&self.identity_cache.sessions);
            if sessions.len() >= MAX_ENTRIES {
                sessions.clear();
            }
            sessions.insert(id.clone(), facts.clone());
        }
        Ok(facts)
    }
}
