//! A signed-in session: what access tokens name (`sid`) and refresh tokens renew.

use time::OffsetDateTime;

use crate::ids::{SessionId, UserId};

/// A session. Its refresh token is stored only as a fingerprint, by the session store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The id (`ses_…`), the `sid` claim of its access tokens.
    pub id: SessionId,
    /// Whose session it is: the user the tokens act as.
    pub user: UserId,
    /// The platform admin acting as [`Session::user`], for an impersonation session.
    pub impersonator: Option<UserId>,
    /// When it started.
    pub created_at: OffsetDateTime,
    /// When its refresh token was last rotated (or it started).
    pub refreshed_at: OffsetDateTime,
    /// When it ends, whatever refreshes happen.
    pub expires_at: OffsetDateTime,
    /// When it was revoked (logout, reuse of a spent refresh token, password reset, an admin).
    pub revoked_at: Option<OffsetDateTime>,
    /// The client's address when it started, for the user's session list.
    pub ip: Option<String>,
}

impl Session {
    /// Whether tokens of this session are accepted at `now`.
    pub fn live_at(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}
