//! The audit trail: who did what to what, when, from where. Append-only; never a secret.

use serde::Serialize;
use time::OffsetDateTime;

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// `user`, `api_key` or `system`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The user's or key's id (`system` for the server itself).
    pub id: String,
}

/// What was acted on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditTarget {
    /// `user`, `account`, `api_key`, `session`, `plan`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its id or key.
    pub id: String,
}

/// One recorded action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// The event's id (`aud_…`).
    pub id: String,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// What happened, dotted snake_case (`user.login`, `api_key.created`, `account.suspended`).
    pub action: String,
    /// Who did it.
    pub actor: Actor,
    /// The platform admin acting as [`AuditEvent::actor`], when impersonating.
    pub impersonator: Option<String>,
    /// What it was done to.
    pub target: AuditTarget,
    /// The client's address.
    pub ip: Option<String>,
    /// The request's id (`X-Request-Id`).
    pub request_id: Option<String>,
}
