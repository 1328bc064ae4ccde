//! A person who signs in: an e-mail, a password hash, and the state of their second factor.

use std::fmt;

use time::OffsetDateTime;

use crate::ids::{Email, InvalidValue, UserId};
use crate::text::Name;

/// Trims and lowercases an e-mail address before validating it, so `Ann@Acme.test ` and
/// `ann@acme.test` are one user.
///
/// # Errors
/// [`InvalidValue`] for `email` when the address is malformed.
pub fn normalise_email(raw: &str) -> Result<Email, InvalidValue> {
    Email::parse(raw.trim().to_lowercase())
}

/// A user's time-based one-time password (RFC 6238) enrolment.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpState {
    /// The shared secret, base32 (what the authenticator app holds).
    pub secret: String,
    /// Whether the user proved they hold the secret; until then logins do not ask for a code.
    pub confirmed: bool,
    /// The time step of the last code accepted: a code of this step or an earlier one is
    /// refused, so an observed code cannot be replayed.
    pub last_step: Option<u64>,
    /// Fingerprints of the unused recovery codes; each one is removed when used.
    pub recovery_codes: Vec<String>,
}

impl fmt::Debug for TotpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpState")
            .field("confirmed", &self.confirmed)
            .field("last_step", &self.last_step)
            .field("recovery_codes", &self.recovery_codes.len())
            .finish_non_exhaustive()
    }
}

/// A user. `Debug` never shows the password hash nor the TOTP secret.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// The id (`usr_…`).
    pub id: UserId,
    /// The normalised e-mail address; unique among users not deleted.
    pub email: Email,
    /// Display name.
    pub name: Name,
    /// The password's PHC string (argon2id in production).
    pub password_hash: String,
    /// Whether the user proved they read mail at [`User::email`].
    pub email_verified: bool,
    /// Two-factor enrolment, if started.
    pub totp: Option<TotpState>,
    /// May do everything, on every account.
    pub platform_admin: bool,
    /// Moved by every change: stores update a user only from the version they read, so two
    /// concurrent changes (two logins spending the same recovery code) cannot both apply.
    pub version: u64,
    /// When the user registered.
    pub created_at: OffsetDateTime,
    /// When the user was (softly) deleted: the history stays, the e-mail is free again.
    pub deleted_at: Option<OffsetDateTime>,
}

impl User {
    /// Whether logins must present a second factor.
    pub fn totp_enabled(&self) -> bool {
        self.totp.as_ref().is_some_and(|t| t.confirmed)
    }

    /// Whether the user may sign in at all.
    pub fn active(&self) -> bool {
        self.deleted_at.is_none()
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("name", &self.name)
            .field("email_verified", &self.email_verified)
            .field("totp", &self.totp)
            .field("platform_admin", &self.platform_admin)
            .field("version", &self.version)
            .field("deleted_at", &self.deleted_at)
            .finish_non_exhaustive()
    }
}
