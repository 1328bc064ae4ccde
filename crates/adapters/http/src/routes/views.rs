//! The JSON of users and memberships.

use serde::Serialize;
use tollgate_domain::{AccountKey, MemberRole, Membership, Session, User};

/// A user as `GET /v1/me` shows them: never a hash nor a secret.
#[derive(Debug, Serialize)]
pub(crate) struct UserView {
    id: String,
    email: String,
    name: String,
    email_verified: bool,
    totp_enabled: bool,
    platform_admin: bool,
    memberships: Vec<AccountBrief>,
}

impl UserView {
    pub(crate) fn new(user: &User, memberships: Vec<AccountBrief>) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.to_string(),
            name: user.name.to_string(),
            email_verified: user.email_verified,
            totp_enabled: user.totp_enabled(),
            platform_admin: user.platform_admin,
            memberships,
        }
    }

    pub(crate) fn with(user: &User, memberships: &[Membership]) -> Self {
        Self::new(
            user,
            memberships.iter().map(|m| AccountBrief { account: m.account.clone(), role: m.role }).collect(),
        )
    }
}

/// A membership as a user sees it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AccountBrief {
    pub(crate) account: AccountKey,
    pub(crate) role: MemberRole,
}

impl AccountBrief {
    pub(crate) fn owner(account: &AccountKey) -> Self {
        Self { account: account.clone(), role: MemberRole::Owner }
    }
}

/// A session in the user's list.
#[derive(Debug, Serialize)]
pub(crate) struct SessionView {
    id: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    refreshed_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: time::OffsetDateTime,
    ip: Option<String>,
    impersonated: bool,
    current: bool,
}

impl SessionView {
    pub(crate) fn id(&self) -> String {
        self.id.clone()
    }

    pub(crate) fn new(session: &Session, current: bool) -> Self {
        Self {
            id: session.id.to_string(),
            created_at: session.created_at,
            refreshed_at: session.refreshed_at,
            expires_at: session.expires_at,
            ip: session.ip.clone(),
            impersonated: session.impersonator.is_some(),
            current,
        }
    }
}
