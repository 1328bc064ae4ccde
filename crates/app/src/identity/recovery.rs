//! The e-mail flows: address verification and password reset.

use tollgate_domain::{Caller, OneTimeToken, TokenPurpose, User, check_password, normalise_email};
use tollgate_ports::{Change, Mail, Message, Secret, StoreError};

use super::register::internal;
use super::{Origin, actor, target};
use crate::{AppError, Tollgate};

impl Tollgate {
    /// Mails a password reset token to the address when a user has it. Answers the same either
    /// way, so the endpoint does not tell which addresses have accounts.
    ///
    /// # Errors
    /// Storage errors only.
    pub async fn forgot_password(&self, email: &str, origin: &Origin) -> Result<(), AppError> {
        let Ok(email) = normalise_email(email) else { return Ok(()) };
        let Some(user) = self.identity_ports().store.user_by_email(&email).await? else { return Ok(()) };
        let token = self.mint_token(TokenPurpose::PasswordReset)?;
        let audit = self.audit_event(
            "user.password_reset_requested",
            actor("user", user.id.as_str()),
            None,
            target("user", user.id.as_str()),
            origin,
        );
        let record =
            self.one_time_token(&token, TokenPurpose::PasswordReset, &user, self.settings.identity.reset_ttl);
        self.identity_ports().store.apply(&[Change::CreateToken(record), Change::Audit(audit)]).await?;
        self.mail(Mail {
            to: user.email.clone(),
            message: Message::Token { purpose: TokenPurpose::PasswordReset, token },
            name: Some(user.name.as_str().to_owned()),
            account: None,
        })
        .await;
        Ok(())
    }

    /// Sets a new password with a reset token (single use, 1 h) and revokes every session of
    /// the user.
    ///
    /// # Errors
    /// [`AppError::Password`] (checked first); [`AppError::InvalidToken`] for a bad, used or
    /// expired token; storage errors.
    pub async fn reset_password(
        &self,
        token: &Secret,
        password: &Secret,
        origin: &Origin,
    ) -> Result<(), AppError> {
        check_password(password.expose())?;
        // The token first: a bad token must not cost a password hash (the route is public).
        let user = self.token_user(token, TokenPurpose::PasswordReset).await?;
        let hash = self.identity_ports().hasher.hash(password).await.map_err(internal)?;
        let now = self.now();
        let mut updated = user.clone();
        updated.password_hash = hash;
        let changes = [
            self.spend(token, TokenPurpose::PasswordReset),
            Change::UpdateUser(updated),
            Change::RevokeSessions { user: user.id.clone(), at: now },
            Change::Audit(self.audit_event(
                "user.password_reset",
                actor("user", user.id.as_str()),
                None,
                target("user", user.id.as_str()),
                origin,
            )),
        ];
        self.apply_with_token(&changes).await?;
        self.identity_cache.revoke_user(&user.id);
        Ok(())
    }

    /// Marks the address of the token's user verified.
    ///
    /// # Errors
    /// [`AppError::InvalidToken`] for a bad, used or expired token; storage errors.
    pub async fn verify_email(&self, token: &Secret, origin: &Origin) -> Result<(), AppError> {
        let user = self.token_user(token, TokenPurpose::EmailVerification).await?;
        let mut updated = user.clone();
        updated.email_verified = true;
        let changes = [
            self.spend(token, TokenPurpose::EmailVerification),
            Change::UpdateUser(updated),
            Change::Audit(self.audit_event(
                "user.email_verified",
                actor("user", user.id.as_str()),
                None,
                target("user", user.id.as_str()),
                origin,
            )),
        ];
        self.apply_with_token(&changes).await
    }

    /// Mails the signed-in user a new verification token (nothing when already verified).
    ///
    /// # Errors
    /// [`AppError::Forbidden`] for a caller that is not a user; storage errors.
    pub async fn resend_verification(&self, caller: &Caller) -> Result<(), AppError> {
        let (user, _) = self.me(caller).await?;
        if user.email_verified {
            return Ok(());
        }
        let token = self.mint_token(TokenPurpose::EmailVerification)?;
        let record = self.one_time_token(
            &token,
            TokenPurpose::EmailVerification,
            &user,
            self.settings.identity.verification_ttl,
        );
        self.identity_ports().store.apply(&[Change::CreateToken(record)]).await?;
        self.mail(Mail {
            to: user.email.clone(),
            message: Message::Token { purpose: TokenPurpose::EmailVerification, token },
            name: Some(user.name.as_str().to_owned()),
            account: None,
        })
        .await;
        Ok(())
    }

    fn one_time_token(
        &self,
        token: &Secret,
        purpose: TokenPurpose,
        user: &User,
        ttl: time::Duration,
    ) -> OneTimeToken {
        let now = self.now();
        OneTimeToken {
            fingerprint: self.ports.secrets.fingerprint(token.expose()),
            purpose,
            email: user.email.clone(),
            user: Some(user.id.clone()),
            account: None,
            role: None,
            created_at: now,
            expires_at: now + ttl,
            used_at: None,
        }
    }

    /// The live user a usable token of `purpose` was issued to.
    async fn token_user(&self, token: &Secret, purpose: TokenPurpose) -> Result<User, AppError> {
        let store = &self.identity_ports().store;
        let record = store.token(&self.ports.secrets.fingerprint(token.expose())).await?;
        let user_id = record
            .filter(|t| t.purpose == purpose && t.usable_at(self.now()))
            .and_then(|t| t.user)
            .ok_or(AppError::InvalidToken)?;
        store.user(&user_id).await?.filter(User::active).ok_or(AppError::InvalidToken)
    }

    pub(crate) fn spend(&self, token: &Secret, purpose: TokenPurpose) -> Change {
        Change::SpendToken {
            fingerprint: self.ports.secrets.fingerprint(token.expose()),
            purpose,
            at: self.now(),
        }
    }

    /// Applies changes that spend a token: a token spent meanwhile (or a user changed meanwhile)
    /// makes the token invalid for this request.
    pub(crate) async fn apply_with_token(&self, changes: &[Change]) -> Result<(), AppError> {
        self.identity_ports().store.apply(changes).await.map_err(|e| match e {
            StoreError::NotFound(_) | StoreError::Stale => AppError::InvalidToken,
            other => other.into(),
        })
    }
}
