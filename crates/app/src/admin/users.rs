//! Users as platform admins manage them: search, revoking every session, soft deletion, and
//! impersonation.

use tollgate_domain::{Caller, SessionId, User, UserId};
use tollgate_ports::{Change, Secret, StoreError};

use super::page_size;
use crate::identity::target;
use crate::{AppError, Origin, Tollgate};

/// An access token acting as a user on behalf of a platform admin. No refresh token: an
/// impersonation lasts one access token's lifetime (at most its session's, which ends after
/// [`crate::IdentitySettings::impersonation_ttl`]), and the admin asks again for more, so each
/// stretch of it is a fresh audited decision. No `Debug`: the token is never logged.
#[allow(missing_debug_implementations)]
pub struct Impersonation {
    /// The JWT access token: `sub` the user, `imp` the admin.
    pub access_token: Secret,
    /// Its lifetime in seconds.
    pub expires_in: u64,
    /// The impersonation session (revoked by logging out with the token).
    pub session_id: SessionId,
    /// The user acted as.
    pub user: UserId,
    /// The admin acting.
    pub impersonator: UserId,
}

impl Tollgate {
    /// Users (deleted ones too) whose e-mail or name contains `query` case-insensitively, in id
    /// order after `after`, at most `limit` (1–101).
    ///
    /// # Errors
    /// [`AppError::Forbidden`] unless `caller` is a platform admin; [`AppError::LimitOutOfRange`];
    /// storage errors.
    pub async fn search_users(
        &self,
        caller: &Caller,
        query: Option<String>,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<User>, AppError> {
        self.require_platform_admin(caller)?;
        Ok(self.identity_ports().store.users(query, after, page_size(limit)?).await?)
    }

    /// Revokes every session of the user: their tokens are refused at once on this instance,
    /// elsewhere within the session cache's time to live. Audited as `user.sessions_revoked`.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] unless `caller` is a platform admin; [`AppError::NotFound`]`("user")`;
    /// storage errors.
    pub async fn revoke_user_sessions(
        &self,
        caller: &Caller,
        origin: &Origin,
        id: &UserId,
    ) -> Result<(), AppError> {
        self.require_platform_admin(caller)?;
        self.identity_ports().store.user(id).await?.ok_or(AppError::NotFound("user"))?;
        let changes = [
            Change::RevokeSessions { user: id.clone(), at: self.now() },
            Change::Audit(self.audit_by(
                caller,
                "user.sessions_revoked",
                target("user", id.as_str()),
                origin,
            )),
        ];
        self.identity_ports().store.apply(&changes).await?;
        self.identity_cache.revoke_user(id);
        Ok(())
    }

    /// Deletes the user softly: their sessions are revoked, they can no longer sign in, their
    /// e-mail address may register again; their memberships end (even as an account's last
    /// owner: a deleted user owns nothing), each giving its seat back once and audited as
    /// `member.ended`; their record and history stay. Audited as `user.deleted`. Deleting a
    /// deleted user finishes ending memberships an interrupted deletion left (as the periodic
    /// [`Tollgate::release_lapsed_seats`] does), and changes nothing else.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] unless `caller` is a platform admin; [`AppError::NotFound`]`("user")`;
    /// [`AppError::Conflict`] when the user changed meanwhile; storage errors.
    pub async fn delete_user(&self, caller: &Caller, origin: &Origin, id: &UserId) -> Result<(), AppError> {
        self.require_platform_admin(caller)?;
        let user = self.identity_ports().store.user(id).await?.ok_or(AppError::NotFound("user"))?;
        if !user.active() {
            self.end_memberships_of(caller, origin, id).await?;
            return Ok(());
        }
        let now = self.now();
        let changes = [
            Change::UpdateUser(User { deleted_at: Some(now), ..user }),
            Change::RevokeSessions { user: id.clone(), at: now },
            Change::Audit(self.audit_by(caller, "user.deleted", target("user", id.as_str()), origin)),
        ];
        self.identity_ports().store.apply(&changes).await.map_err(|e| match e {
            StoreError::NotFound(_) => AppError::NotFound("user"),
            other => other.into(),
        })?;
        self.identity_cache.revoke_user(id);
        // Once deleted, the store refuses every other change to these memberships: only this
        // (or the sweep) ends them, so each seat is given back once.
        self.end_memberships_of(caller, origin, id).await?;
        Ok(())
    }

    /// An access token acting as the user `id` on behalf of the signed-in platform admin
    /// `caller`: its `sub` is the user, its `imp` the admin, and everything done with it is
    /// audited under both. The session it belongs to is audited as `user.impersonated`.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] unless `caller` is a signed-in platform admin acting as
    /// themselves (an API key names no person to record; an impersonation cannot be nested), or
    /// when `id` is the admin or another platform admin; [`AppError::NotFound`]`("user")` for an
    /// unknown or deleted user; storage errors.
    pub async fn impersonate(
        &self,
        caller: &Caller,
        origin: &Origin,
        id: &UserId,
    ) -> Result<Impersonation, AppError> {
        self.require_platform_admin(caller)?;
        let Caller::User { user: admin, impersonator: None, .. } = caller else {
            return Err(AppError::Forbidden);
        };
        let user = self
            .identity_ports()
            .store
            .user(id)
            .await?
            .filter(User::active)
            .ok_or(AppError::NotFound("user"))?;
        if &user.id == admin || user.platform_admin {
            return Err(AppError::Forbidden);
        }
        let tokens = self.start_session(&user, Some(admin), Vec::new(), "user.impersonated", origin).await?;
        Ok(Impersonation {
            access_token: tokens.access_token,
            expires_in: tokens.expires_in,
            session_id: tokens.session_id,
            user: user.id,
            impersonator: admin.clone(),
        })
    }
}
