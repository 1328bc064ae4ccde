//! Sessions and their tokens: issuing a pair, refreshing with rotation and reuse detection,
//! logout, the user's own session list.

use tollgate_domain::{Caller, Membership, Session, SessionId, User, UserId};
use tollgate_ports::{Change, Claims, Rotation, Secret};

use super::register::internal;
use super::{Origin, target};
use crate::{AppError, Tollgate};

/// A new access token and refresh token. No `Debug`: tokens are never logged.
#[allow(missing_debug_implementations)]
pub struct Tokens {
    /// The JWT access token.
    pub access_token: Secret,
    /// Its lifetime in seconds.
    pub expires_in: u64,
    /// The opaque refresh token, spent on first use.
    pub refresh_token: Secret,
    /// The session both belong to.
    pub session_id: SessionId,
}

impl Tollgate {
    /// Starts a session for `user` (acted as by `impersonator`, if any), writing `changes` and an
    /// audit event of `action` with it, and returns its first tokens.
    pub(crate) async fn start_session(
        &self,
        user: &User,
        impersonator: Option<&UserId>,
        mut changes: Vec<Change>,
        action: &str,
        origin: &Origin,
    ) -> Result<Tokens, AppError> {
        let now = self.now();
        // An impersonation is a support task, not a sign-in: it ends soon, whatever the session
        // length of the people signing in themselves.
        let lifetime = match impersonator {
            Some(_) => self.settings.identity.impersonation_ttl,
            None => self.settings.identity.session_ttl,
        };
        let session = Session {
            id: SessionId::parse(self.ports.ids.generate("ses"))?,
            user: user.id.clone(),
            impersonator: impersonator.cloned(),
            created_at: now,
            refreshed_at: now,
            expires_at: now + lifetime,
            revoked_at: None,
            ip: origin.ip.clone(),
        };
        let refresh = self.ports.secrets.mint("tgr_").map_err(internal)?;
        let (actor_id, impersonator_id) = match impersonator {
            Some(admin) => (user.id.as_str(), Some(admin.as_str().to_owned())),
            None => (user.id.as_str(), None),
        };
        changes.push(Change::CreateSession {
            session: session.clone(),
            refresh: self.ports.secrets.fingerprint(refresh.expose()),
        });
        changes.push(Change::Audit(self.audit_event(
            action,
            super::actor("user", actor_id),
            impersonator_id,
            target("session", session.id.as_str()),
            origin,
        )));
        self.identity_ports().store.apply(&changes).await?;
        let (access_token, expires_in) = self.access_token(&session)?;
        Ok(Tokens { access_token, expires_in, refresh_token: refresh, session_id: session.id })
    }

    /// An access token of `session` and its lifetime in seconds: the configured one, cut short
    /// so that the token never outlives its session.
    fn access_token(&self, session: &Session) -> Result<(Secret, u64), AppError> {
        let now = self.now();
        let expires_at = (now + self.settings.identity.access_ttl).min(session.expires_at);
        let claims = Claims {
            subject: session.user.clone(),
            session: session.id.clone(),
            impersonator: session.impersonator.clone(),
            issued_at: now,
            expires_at,
            id: self.ports.ids.generate("jti"),
        };
        let token = self.identity_ports().tokens.encode(&claims).map_err(internal)?;
        Ok((token, (expires_at - now).whole_seconds().max(1).unsigned_abs()))
    }

    /// Exchanges a refresh token for a new pair; the presented token is spent. Presenting a spent
    /// token revokes its whole session (on this instance at once, elsewhere within the cache's
    /// time to live).
    ///
    /// # Errors
    /// [`AppError::RefreshTokenReused`], [`AppError::InvalidRefreshToken`]; storage errors.
    pub async fn refresh(&self, refresh_token: &Secret, origin: &Origin) -> Result<Tokens, AppError> {
        let presented = self.ports.secrets.fingerprint(refresh_token.expose());
        let next = self.ports.secrets.mint("tgr_").map_err(internal)?;
        let fingerprint = self.ports.secrets.fingerprint(next.expose());
        match self.identity_ports().store.rotate(&presented, &fingerprint, self.now()).await? {
            Rotation::Rotated(session) => {
                let user = self.identity_ports().store.user(&session.user).await?;
                if !user.is_some_and(|u| u.active()) {
                    return Err(AppError::InvalidRefreshToken);
                }
                let (access_token, expires_in) = self.access_token(&session)?;
                Ok(Tokens { access_token, expires_in, refresh_token: next, session_id: session.id })
            }
            Rotation::Reused(session) => {
                self.identity_cache.revoke_session(&session.id);
                let event = self.audit_event(
                    "session.refresh_reused",
                    super::actor("user", session.user.as_str()),
                    session.impersonator.as_ref().map(|u| u.as_str().to_owned()),
                    target("session", session.id.as_str()),
                    origin,
                );
                self.identity_ports().store.apply(&[Change::Audit(event)]).await?;
                Err(AppError::RefreshTokenReused)
            }
            Rotation::Invalid => Err(AppError::InvalidRefreshToken),
        }
    }

    /// Ends the caller's session.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] for a caller that is not a signed-in user; storage errors.
    pub async fn logout(&self, caller: &Caller, origin: &Origin) -> Result<(), AppError> {
        let Caller::User { user, session, .. } = caller else { return Err(AppError::Forbidden) };
        self.revoke_own_session(caller, user, session, "user.logout", origin).await
    }

    /// The caller's live sessions, newest first.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] for a caller that is not a signed-in user; storage errors.
    pub async fn my_sessions(&self, caller: &Caller) -> Result<Vec<Session>, AppError> {
        let Caller::User { user, .. } = caller else { return Err(AppError::Forbidden) };
        Ok(self.identity_ports().store.sessions(user, self.now()).await?)
    }

    /// Revokes one of the caller's sessions.
    ///
    /// # Errors
    /// [`AppError::NotFound`]`("session")` when it is not one of theirs; [`AppError::Forbidden`]
    /// for a caller that is not a signed-in user; storage errors.
    pub async fn revoke_my_session(
        &self,
        caller: &Caller,
        id: &SessionId,
        origin: &Origin,
    ) -> Result<(), AppError> {
        let Caller::User { user, .. } = caller else { return Err(AppError::Forbidden) };
        self.revoke_own_session(caller, user, id, "session.revoked", origin).await
    }

    async fn revoke_own_session(
        &self,
        caller: &Caller,
        user: &UserId,
        id: &SessionId,
        action: &str,
        origin: &Origin,
    ) -> Result<(), AppError> {
        let changes = [
            Change::RevokeSession { id: id.clone(), user: user.clone(), at: self.now() },
            Change::Audit(self.audit_by(caller, action, target("session", id.as_str()), origin)),
        ];
        self.identity_ports().store.apply(&changes).await.map_err(|e| match e {
            tollgate_ports::StoreError::NotFound(_) => AppError::NotFound("session"),
            other => other.into(),
        })?;
        self.identity_cache.revoke_session(id);
        Ok(())
    }

    /// The signed-in user and their memberships.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] for a caller that is not a signed-in user;
    /// [`AppError::Unauthenticated`] when the user is gone; storage errors.
    pub async fn me(&self, caller: &Caller) -> Result<(User, Vec<Membership>), AppError> {
        let Caller::User { user, .. } = caller else { return Err(AppError::Forbidden) };
        let store = &self.identity_ports().store;
        let found = store.user(user).await?.filter(User::active).ok_or(AppError::Unauthenticated)?;
        let memberships = store.memberships(user).await?;
        Ok((found, memberships))
    }
}
