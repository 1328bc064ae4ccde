//! People and their access: users, passwords, memberships of accounts with a role, sessions,
//! one-time tokens sent by e-mail, the rights a caller holds on an account, and the audit trail.
//! Pure values and rules; storing, hashing and signing are ports.

mod access;
mod audit;
mod invitation;
mod member;
mod password;
mod session;
mod token;
mod user;

pub use access::{Caller, Denial, Right, authorize};
pub use audit::{Actor, AuditEvent, AuditTarget};
pub use invitation::InvitationAnswer;
pub use member::{MemberRole, Membership};
pub use password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, PasswordError, check_password};
pub use session::Session;
pub use token::{OneTimeToken, TokenPurpose};
pub use user::{TotpState, User, normalise_email};

#[cfg(test)]
mod tests;
