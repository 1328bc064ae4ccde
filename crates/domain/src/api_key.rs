//! API keys as stored: what a key may do, and never its secret.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::ApiKeyId;

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

/// A stored API key: never the secret, only its hash and a short displayable prefix.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The key's id (`key_…`).
    pub id: ApiKeyId,
    /// A label chosen by its creator.
    pub name: String,
    /// What the key may do.
    pub role: Role,
    /// The first characters of the secret (`tg_1a2b3c4d`), to recognise it in lists.
    pub prefix: String,
    /// Lowercase hex SHA-256 of the secret.
    pub secret_hash: String,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it was revoked.
    pub revoked_at: Option<OffsetDateTime>,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("prefix", &self.prefix)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}
