//! Single-use tokens sent by e-mail: verification, password reset and invitations.

use time::OffsetDateTime;

use crate::identity::member::MemberRole;
use crate::ids::{AccountKey, Email, UserId};

/// What a one-time token proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenPurpose {
    /// The user reads mail at their address.
    EmailVerification,
    /// The user may set a new password.
    PasswordReset,
    /// The addressee may join an account.
    Invitation,
}

impl TokenPurpose {
    /// The snake_case name (also the e-mail template's name).
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::EmailVerification => "email_verification",
            TokenPurpose::PasswordReset => "password_reset",
            TokenPurpose::Invitation => "invitation",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(value: &str) -> Option<TokenPurpose> {
        [TokenPurpose::EmailVerification, TokenPurpose::PasswordReset, TokenPurpose::Invitation]
            .into_iter()
            .find(|p| p.as_str() == value)
    }
}

/// A single-use token as stored: only the fingerprint of the secret that was mailed.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeToken {
    /// The fingerprint (SHA-256, hex) of the mailed secret.
    pub fingerprint: String,
    /// What it proves.
    pub purpose: TokenPurpose,
    /// The address it was sent to.
    pub email: Email,
    /// The user it concerns (verification, reset); `None` for an invitation of a new person.
    pub user: Option<UserId>,
    /// The account an invitation is to.
    pub account: Option<AccountKey>,
    /// The role an invitation grants.
    pub role: Option<MemberRole>,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it stops being accepted.
    pub expires_at: OffsetDateTime,
    /// When it was used (or withdrawn); a used token is never accepted again.
    pub used_at: Option<OffsetDateTime>,
}

impl OneTimeToken {
    /// Whether the token may still be used at `now`.
    pub fn usable_at(&self, now: OffsetDateTime) -> bool {
        self.used_at.is_none() && now < self.expires_at
    }
}

impl std::fmt::Debug for OneTimeToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneTimeToken")
            .field("purpose", &self.purpose)
            .field("email", &self.email)
            .field("user", &self.user)
            .field("account", &self.account)
            .field("role", &self.role)
            .field("expires_at", &self.expires_at)
            .field("used_at", &self.used_at)
            .finish_non_exhaustive()
    }
}
