//! API keys as stored: whose key it is, what it may do, until when, and never its secret.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::{AccountKey, ApiKeyId, InvalidValue};
use crate::rule::Rule;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including managing API keys.
    Admin,
    /// Every account route; not platform API keys nor admin routes.
    Service,
    /// Only check, consume, release and usage, on every account.
    Enforce,
}

impl Role {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Service => "service",
            Role::Enforce => "enforce",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(value: &str) -> Option<Role> {
        match value {
            "admin" => Some(Role::Admin),
            "service" => Some(Role::Service),
            "enforce" => Some(Role::Enforce),
            _ => None,
        }
    }
}

/// What an account API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Check, consume, release and read usage.
    Enforce,
    /// Every read of the account.
    Read,
    /// What an account admin may do.
    Manage,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 3] = [Scope::Enforce, Scope::Read, Scope::Manage];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Enforce => "enforce",
            Scope::Read => "read",
            Scope::Manage => "manage",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(value: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// The scopes of an account key as stored: sorted, each once.
    ///
    /// # Errors
    /// [`Rule::Scopes`] (field `scopes`) when there are none: a key that may do nothing.
    pub fn set(mut scopes: Vec<Scope>) -> Result<Vec<Scope>, InvalidValue> {
        scopes.sort_unstable();
        scopes.dedup();
        if scopes.is_empty() { Err(InvalidValue::new("scopes", Rule::Scopes)) } else { Ok(scopes) }
    }
}

/// A stored API key: never the secret, only its hash and a short displayable prefix.
///
/// A platform key (`account` is `None`) may do what its `role` says on every account; an account
/// key only what its `scopes` say, on its account (its `role` means nothing).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The key's id (`key_…`).
    pub id: ApiKeyId,
    /// A label chosen by its creator.
    pub name: String,
    /// What a platform key may do.
    pub role: Role,
    /// The one account an account key belongs to; `None` for a platform key.
    pub account: Option<AccountKey>,
    /// What an account key may do there, sorted, without repeats; empty for a platform key.
    pub scopes: Vec<Scope>,
    /// The first characters of the secret (`tg_1a2b3c4d`), to recognise it in lists.
    pub prefix: String,
    /// Lowercase hex SHA-256 of the secret.
    pub secret_hash: String,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it stops opening anything; `None`: never.
    pub expires_at: Option<OffsetDateTime>,
    /// When it was revoked.
    pub revoked_at: Option<OffsetDateTime>,
    /// When it was last used, to about a minute.
    pub last_used_at: Option<OffsetDateTime>,
}

impl ApiKey {
    /// Checks the expiry a new key is given at `now`: none, or a time after `now`.
    ///
    /// # Errors
    /// [`Rule::FutureExpiry`] (field `expires_at`) for a time at or before `now`.
    pub fn check_expiry(expires_at: Option<OffsetDateTime>, now: OffsetDateTime) -> Result<(), InvalidValue> {
        match expires_at {
            Some(end) if end <= now => Err(InvalidValue::new("expires_at", Rule::FutureExpiry)),
            _ => Ok(()),
        }
    }

    /// Whether the key opens anything at `now`: neither revoked nor expired.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|end| now < end)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("account", &self.account)
            .field("scopes", &self.scopes)
            .field("prefix", &self.prefix)
            .field("expires_at", &self.expires_at)
            .field("revoked_at", &self.revoked_at)
            .field("last_used_at", &self.last_used_at)
            .finish_non_exhaustive()
    }
}
