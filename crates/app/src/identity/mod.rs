//! People: registration, login, sessions and tokens, password and e-mail flows, two-factor,
//! memberships and seats, and the one place that decides what a caller may do to an account.

mod authorization;
mod lapses;
mod login;
mod members;
mod recovery;
mod register;
mod sessions;
mod totp;

use std::sync::Arc;

use time::Duration;
use tollgate_domain::{Actor, AuditEvent, AuditTarget, Caller};
use tollgate_ports::{IdentityStore, LoginAttempts, Mailer, OneTimePasswords, PasswordHasher, TokenCodec};

pub use lapses::SeatSweep;
pub use login::Login;
pub use members::{Invite, MemberView};
pub use register::{Registration, RegistrationAccount};
pub use sessions::Tokens;
pub use totp::TotpEnrolment;

pub(crate) use authorization::IdentityCache;
pub(crate) use register::internal;

/// The adapters identity runs on.
#[derive(Clone)]
#[allow(missing_debug_implementations)]
pub struct IdentityPorts {
    /// Users, memberships, sessions, tokens, audit log.
    pub store: Arc<dyn IdentityStore>,
    /// The login throttle's memory.
    pub attempts: Arc<dyn LoginAttempts>,
    /// Passwords.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Access tokens.
    pub tokens: Arc<dyn TokenCodec>,
    /// Two-factor codes.
    pub totp: Arc<dyn OneTimePasswords>,
    /// E-mail.
    pub mailer: Arc<dyn Mailer>,
}

/// Identity rules an operator sets.
#[derive(Debug, Clone)]
pub struct IdentitySettings {
    /// Whether anyone may register (`auth.open_registration`).
    pub open_registration: bool,
    /// Lifetime of an access token (15 minutes).
    pub access_ttl: Duration,
    /// Lifetime of a session, whatever its refreshes.
    pub session_ttl: Duration,
    /// Lifetime of an impersonation session (1 hour): a platform admin acting as a user gets
    /// this long, not a whole session's.
    pub impersonation_ttl: Duration,
    /// Lifetime of an e-mail verification token.
    pub verification_ttl: Duration,
    /// Lifetime of a password reset token (1 hour).
    pub reset_ttl: Duration,
    /// Lifetime of an invitation.
    pub invitation_ttl: Duration,
    /// Failed logins per e-mail address within [`IdentitySettings::failure_window`] before 429.
    pub max_failures_per_email: u32,
    /// Failed logins per client address within the window before 429.
    pub max_failures_per_ip: u32,
    /// The window failed logins are counted in (15 minutes).
    pub failure_window: Duration,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        Self {
            open_registration: true,
            access_ttl: Duration::minutes(15),
            session_ttl: Duration::days(30),
            impersonation_ttl: Duration::hours(1),
            verification_ttl: Duration::days(2),
            reset_ttl: Duration::hours(1),
            invitation_ttl: Duration::days(7),
            max_failures_per_email: 5,
            max_failures_per_ip: 50,
            failure_window: Duration::minutes(15),
        }
    }
}

/// Where a request came from, for the audit log and the login throttle.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The client's address.
    pub ip: Option<String>,
    /// The request's id.
    pub request_id: Option<String>,
}

/// How many recovery codes a user gets when enabling two-factor.
pub const RECOVERY_CODES: usize = 10;

impl crate::Tollgate {
    /// An audit event of `action` by `actor` on `target`, now.
    pub(crate) fn audit_event(
        &self,
        action: &str,
        actor: Actor,
        impersonator: Option<String>,
        target: AuditTarget,
        origin: &Origin,
    ) -> AuditEvent {
        AuditEvent {
            id: self.ports.ids.generate("aud"),
            at: self.now(),
            action: action.to_owned(),
            actor,
            impersonator,
            target,
            ip: origin.ip.clone(),
            request_id: origin.request_id.clone(),
        }
    }

    /// An audit event of `action` by `caller` on `target`, now: impersonated actions are recorded
    /// under both the user acted as and the admin acting.
    pub(crate) fn audit_by(
        &self,
        caller: &Caller,
        action: &str,
        target: AuditTarget,
        origin: &Origin,
    ) -> AuditEvent {
        let (kind, id) = caller.actor_id();
        let impersonator = match caller {
            Caller::User { impersonator, .. } => impersonator.as_ref().map(|u| u.as_str().to_owned()),
            _ => None,
        };
        self.audit_event(action, actor(kind, id), impersonator, target, origin)
    }
}

pub(crate) fn actor(kind: &str, id: &str) -> Actor {
    Actor { kind: kind.to_owned(), id: id.to_owned() }
}

pub(crate) fn target(kind: &str, id: &str) -> AuditTarget {
    AuditTarget { kind: kind.to_owned(), id: id.to_owned() }
}
