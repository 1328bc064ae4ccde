//! Membership: a user's role on one account.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::{AccountKey, UserId};

/// A member's role on an account, from least to most powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// Reads the account.
    Member,
    /// Also changes the plan, members, API keys and invoices.
    Admin,
    /// Everything of the account.
    Owner,
}

impl MemberRole {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Member => "member",
            MemberRole::Admin => "admin",
            MemberRole::Owner => "owner",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(value: &str) -> Option<MemberRole> {
        match value {
            "member" => Some(MemberRole::Member),
            "admin" => Some(MemberRole::Admin),
            "owner" => Some(MemberRole::Owner),
            _ => None,
        }
    }
}

/// A user's membership of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    /// The account.
    pub account: AccountKey,
    /// The user.
    pub user: UserId,
    /// The role.
    pub role: MemberRole,
    /// When the user joined.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}
