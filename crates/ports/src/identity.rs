//! The identity records — users, memberships, sessions, one-time tokens and the audit log —
//! and the login throttle.
//!
//! Changes that belong together (a registration: account, user, owner membership, audit event;
//! an invitation accepted: user, membership, spent token) are written by one
//! [`IdentityStore::apply`] call, all or nothing, so the audit event of a change commits with
//! it and no half-made user is ever visible.

use async_trait::async_trait;
use time::OffsetDateTime;
use tollgate_domain::{
    AccountKey, AuditEvent, Email, MemberRole, Membership, OneTimeToken, Session, SessionId, Subscription,
    TokenPurpose, User, UserId,
};

use crate::{Account, StoreError};

/// One change to the identity records. [`IdentityStore::apply`] writes a list of them in one
/// transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Creates an account with its first subscription (a registration's new account).
    /// Fails with [`StoreError::Conflict`]`("account")` when the key exists.
    CreateAccount(Account, Option<Subscription>),
    /// Creates a user. Fails with [`StoreError::Conflict`]`("email")` when a user that is not
    /// deleted has the e-mail address, [`StoreError::Conflict`]`("user")` when the id exists.
    CreateUser(User),
    /// Replaces the user whose id and version are those of the value, storing it with the
    /// version moved on by one (a compare-and-set). Fails with [`StoreError::Stale`] when the
    /// stored version differs, [`StoreError::NotFound`]`("user")` when there is no such user,
    /// [`StoreError::Conflict`]`("email")` when another live user has the new address.
    UpdateUser(User),
    /// Adds a membership. Fails with [`StoreError::Conflict`]`("member")` when the user is already
    /// a member of the account, [`StoreError::NotFound`]`("account")` for an unknown account,
    /// [`StoreError::NotFound`]`("user")` for an unknown user.
    AddMember(Membership),
    /// Changes a member's role. Fails with [`StoreError::NotFound`]`("member")` when the user is
    /// not a member or is deleted (a deleted user's memberships end by [`Change::EndMembership`]
    /// only, so their seats are given back once), [`StoreError::Conflict`]`("last_owner")` when
    /// the member was an owner and the change would leave the account without one (checked
    /// atomically with the write).
    SetRole {
        /// The account.
        account: AccountKey,
        /// The member.
        user: UserId,
        /// The new role.
        role: MemberRole,
    },
    /// Removes a membership, with the same errors as [`Change::SetRole`].
    RemoveMember {
        /// The account.
        account: AccountKey,
        /// The member.
        user: UserId,
    },
    /// Ends a deleted user's membership, whatever its role: a deleted user owns nothing, so the
    /// last-owner rule, which keeps live users in charge, does not hold them. Fails with
    /// [`StoreError::NotFound`]`("member")` when the user is not a deleted member of the account,
    /// so of concurrent calls exactly one ends it.
    EndMembership {
        /// The account.
        account: AccountKey,
        /// The deleted user.
        user: UserId,
    },
    /// Stores a one-time token. Fails with [`StoreError::Conflict`]`("token")` when its
    /// fingerprint exists.
    CreateToken(OneTimeToken),
    /// Spends the token with this fingerprint and purpose, only if it is usable at `at` (not used,
    /// not expired, not retired by [`Change::RetireInvitation`]): marks it used. Fails with
    /// [`StoreError::NotFound`]`("token")` otherwise, so of two concurrent uses exactly one
    /// succeeds, and an invitation whose seat is being given back is never accepted.
    SpendToken {
        /// The fingerprint of the presented secret.
        fingerprint: String,
        /// What it must prove.
        purpose: TokenPurpose,
        /// When.
        at: OffsetDateTime,
    },
    /// Retires the invitation with this fingerprint, which expired at `at` without being
    /// accepted: from then on it can never be spent, even by a caller that found it unexpired a
    /// moment before (or on a lagging clock), so the seat it held may be given back. Retiring it
    /// again succeeds (concurrent sweeps may both get here). Fails with
    /// [`StoreError::NotFound`]`("token")` when no such invitation is expired at `at`, unspent and
    /// with its seat not recorded released.
    RetireInvitation {
        /// The invitation's fingerprint.
        fingerprint: String,
        /// When.
        at: OffsetDateTime,
    },
    /// Records that the seat a retired invitation held was given back: a compare-and-set, so of
    /// concurrent sweeps exactly one records it (and the audit event written with it). Fails with
    /// [`StoreError::NotFound`]`("token")` when the invitation is not retired or its seat is
    /// already recorded released.
    InvitationSeatReleased {
        /// The invitation's fingerprint.
        fingerprint: String,
        /// When.
        at: OffsetDateTime,
    },
    /// Starts a session whose refresh token has this fingerprint. Fails with
    /// [`StoreError::Conflict`]`("session")` when the id exists, [`StoreError::Conflict`]`("token")`
    /// when the fingerprint exists, [`StoreError::NotFound`]`("user")` for an unknown user.
    CreateSession {
        /// The session.
        session: Session,
        /// The fingerprint of its first refresh token.
        refresh: String,
    },
    /// Revokes one session (a no-op when already revoked). Fails with
    /// [`StoreError::NotFound`]`("session")` when there is no such session of `user`.
    RevokeSession {
        /// The session.
        id: SessionId,
        /// Its user (a user can revoke only their own sessions).
        user: UserId,
        /// When.
        at: OffsetDateTime,
    },
    /// Revokes every session of a user live at `at` (none is not an error).
    RevokeSessions {
        /// The user.
        user: UserId,
        /// When.
        at: OffsetDateTime,
    },
    /// Appends an event to the audit log. Fails only with [`StoreError::Conflict`]`("audit")`
    /// when its id exists.
    Audit(AuditEvent),
}

/// What presenting a refresh token did ([`IdentityStore::rotate`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was the session's current one: it is spent, the new one is current.
    Rotated(Session),
    /// The token was already spent: someone replayed it. The session is now revoked.
    Reused(Session),
    /// No live session has ever issued this token (unknown, or its session is revoked or expired).
    Invalid,
}

/// Which audit events to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only events of this actor id.
    pub actor: Option<String>,
    /// Only events on this target id.
    pub target: Option<String>,
    /// Only events with this action.
    pub action: Option<String>,
    /// Only events at or after this instant.
    pub since: Option<OffsetDateTime>,
}

/// Users, memberships, sessions, one-time tokens and the audit log.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// Writes `changes` in order in one transaction: every change or none. The error of the first
    /// change that fails is returned (see each [`Change`] variant) and nothing is written.
    ///
    /// # Errors
    /// The failing change's error; [`StoreError::Unavailable`] or [`StoreError::Internal`].
    async fn apply(&self, changes: &[Change]) -> Result<(), StoreError>;

    /// The user with this id, deleted or not.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn user(&self, id: &UserId) -> Result<Option<User>, StoreError>;

    /// The user (not deleted) with this normalised e-mail address.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError>;

    /// Users (deleted ones too) in id order after `after`, at most `limit`, whose e-mail or name
    /// contains `query` case-insensitively when given.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn users(
        &self,
        query: Option<String>,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<User>, StoreError>;

    /// The user's role on the account, if they are a member.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn role(&self, account: &AccountKey, user: &UserId) -> Result<Option<MemberRole>, StoreError>;

    /// The user's memberships, by account key.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn memberships(&self, user: &UserId) -> Result<Vec<Membership>, StoreError>;

    /// The account's members, by user id.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn members(&self, account: &AccountKey) -> Result<Vec<Membership>, StoreError>;

    /// The token with this fingerprint, used or not.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn token(&self, fingerprint: &str) -> Result<Option<OneTimeToken>, StoreError>;

    /// The account's invitations usable at `now`, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn invitations(
        &self,
        account: &AccountKey,
        now: OffsetDateTime,
    ) -> Result<Vec<OneTimeToken>, StoreError>;

    /// Invitations that expired at `now` unaccepted and whose seat is not recorded released
    /// (retired or not yet), the earliest expiry first, at most `limit`: what still holds a seat it
    /// should give back.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn lapsed_invitations(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OneTimeToken>, StoreError>;

    /// Memberships of deleted users (not ended yet), by account key then user id, at most
    /// `limit`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn deleted_members(&self, limit: u32) -> Result<Vec<Membership>, StoreError>;

    /// The session with this id, revoked or not.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn session(&self, id: &SessionId) -> Result<Option<Session>, StoreError>;

    /// The user's sessions live at `now`, newest first.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn sessions(&self, user: &UserId, now: OffsetDateTime) -> Result<Vec<Session>, StoreError>;

    /// Presents the refresh token with fingerprint `presented`, atomically:
    /// - when it is the current token of a session live at `now`, that token is spent, `next`
    ///   becomes the current one, the session's `refreshed_at` becomes `now`:
    ///   [`Rotation::Rotated`] (of two concurrent presentations of one token, exactly one
    ///   rotates; the other is a reuse);
    /// - when it is a spent token of a session, the session is revoked at `now` (a stolen token
    ///   was replayed, so neither holder keeps the session; a session revoked earlier keeps its
    ///   first revocation time): [`Rotation::Reused`], whatever the session's state;
    /// - otherwise [`Rotation::Invalid`], and nothing changes.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn rotate(&self, presented: &str, next: &str, now: OffsetDateTime) -> Result<Rotation, StoreError>;

    /// Audit events, newest first, after the event id `after` in that order (an unknown `after`:
    /// an empty page), at most `limit`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn audit(
        &self,
        filter: &AuditFilter,
        after: Option<String>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, StoreError>;
}

/// Failed logins, counted per e-mail address and per client address, shared by every instance
/// so that the throttle holds across a fleet.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LoginAttempts: Send + Sync {
    /// Records one failed login for `email` (normalised, or as typed when malformed) from `ip`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn record_failure(&self, email: &str, ip: &str, at: OffsetDateTime) -> Result<(), StoreError>;

    /// The failures at or after `since`: `(for this email, from this ip, the oldest of those
    /// counted)`. The oldest tells when the window frees a slot.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn failures(&self, email: &str, ip: &str, since: OffsetDateTime) -> Result<Failures, StoreError>;

    /// Forgets the failures of `email` (after a successful login).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn clear(&self, email: &str) -> Result<(), StoreError>;

    /// Deletes failures older than `before`; returns how many.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn purge(&self, before: OffsetDateTime) -> Result<u64, StoreError>;
}

/// Failed logins within a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    /// For the e-mail address.
    pub email: u32,
    /// From the client address.
    pub ip: u32,
    /// The oldest failure of the e-mail address within the window.
    pub oldest_email: Option<OffsetDateTime>,
    /// The oldest failure from the client address within the window.
    pub oldest_ip: Option<OffsetDateTime>,
}
