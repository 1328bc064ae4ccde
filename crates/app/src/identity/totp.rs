//! Two-factor authentication: enrolment, confirmation with recovery codes, removal.

use tollgate_domain::{Caller, TotpState, User};
use tollgate_ports::{Change, Secret};

use super::register::internal;
use super::{Origin, RECOVERY_CODES, target};
use crate::{AppError, Tollgate};

/// A started enrolment: what the authenticator app needs. No `Debug`: it holds the secret.
#[allow(missing_debug_implementations)]
pub struct TotpEnrolment {
    /// The shared secret, base32.
    pub secret: Secret,
    /// The `otpauth://` URL (a QR code of it is what apps scan).
    pub otpauth_url: String,
}

impl Tollgate {
    /// Starts (or restarts) two-factor enrolment: a new secret, not yet required at login.
    ///
    /// # Errors
    /// [`AppError::TotpState`]`("enabled")` when two-factor is already on; [`AppError::Forbidden`]
    /// for a caller that is not a user; storage errors.
    pub async fn begin_totp(&self, caller: &Caller, origin: &Origin) -> Result<TotpEnrolment, AppError> {
        let (user, _) = self.me(caller).await?;
        if user.totp_enabled() {
            return Err(AppError::TotpState("already enabled"));
        }
        let totp = &self.identity_ports().totp;
        let secret = totp.new_secret().map_err(internal)?;
        let otpauth_url = totp.provisioning_url(&secret, user.email.as_str()).map_err(internal)?;
        let mut updated = user.clone();
        updated.totp = Some(TotpState {
            secret: secret.expose().to_owned(),
            confirmed: false,
            last_step: None,
            recovery_codes: vec![],
        });
        self.update_self(caller, updated, "user.totp_started", origin).await?;
        Ok(TotpEnrolment { secret, otpauth_url })
    }

    /// Confirms enrolment with a code from the app: two-factor is on from now, and the user gets
    /// their recovery codes, shown this once (stored only as fingerprints).
    ///
    /// # Errors
    /// [`AppError::TotpState`] when no enrolment was started or it is already confirmed;
    /// [`AppError::InvalidTotp`]; storage errors.
    pub async fn confirm_totp(
        &self,
        caller: &Caller,
        code: &str,
        origin: &Origin,
    ) -> Result<Vec<Secret>, AppError> {
        let (user, _) = self.me(caller).await?;
        let Some(totp) = user.totp.clone() else { return Err(AppError::TotpState("not started")) };
        if totp.confirmed {
            return Err(AppError::TotpState("already enabled"));
        }
        let step = self
            .identity_ports()
            .totp
            .verify(&Secret::new(totp.secret.clone()), code.trim(), self.now())
            .map_err(internal)?
            .ok_or(AppError::InvalidTotp)?;
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        for _ in 0..RECOVERY_CODES {
            let random = self.ports.secrets.mint("").map_err(internal)?;
            let digits: String = random.expose().chars().take(16).collect();
            codes.push(Secret::new(format!(
                "{}-{}-{}-{}",
                &digits[..4],
                &digits[4..8],
                &digits[8..12],
                &digits[12..16]
            )));
        }
        let mut updated = user.clone();
        updated.totp = Some(TotpState {
            secret: totp.secret,
            confirmed: true,
            last_step: Some(step),
            recovery_codes: codes
                .iter()
                .map(|c| self.ports.secrets.fingerprint(&c.expose().replace('-', "")))
                .collect(),
        });
        self.update_self(caller, updated, "user.totp_enabled", origin).await?;
        Ok(codes)
    }

    /// Turns two-factor off, proven by a current code or a recovery code.
    ///
    /// # Errors
    /// [`AppError::TotpState`]`("not enabled")`; [`AppError::InvalidTotp`]; storage errors.
    pub async fn disable_totp(&self, caller: &Caller, code: &str, origin: &Origin) -> Result<(), AppError> {
        let (user, _) = self.me(caller).await?;
        let Some(totp) = user.totp.as_ref().filter(|t| t.confirmed) else {
            return Err(AppError::TotpState("not enabled"));
        };
        self.verify_second_factor(totp, code.trim())?;
        let mut updated = user.clone();
        updated.totp = None;
        self.update_self(caller, updated, "user.totp_disabled", origin).await
    }

    /// Stores the caller's own user as changed, audited; a concurrent change wins (409).
    async fn update_self(
        &self,
        caller: &Caller,
        user: User,
        action: &str,
        origin: &Origin,
    ) -> Result<(), AppError> {
        let audit = self.audit_by(caller, action, target("user", user.id.as_str()), origin);
        self.identity_ports().store.apply(&[Change::UpdateUser(user), Change::Audit(audit)]).await?;
        Ok(())
    }
}
