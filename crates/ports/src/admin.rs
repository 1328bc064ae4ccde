//! What the admin back office reads across accounts: the account search's filter and the
//! subscription tally behind the statistics.

use tollgate_domain::{PlanCode, Status};

/// Which accounts an account search answers ([`crate::AccountRepository::search`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFilter {
    /// Only accounts whose key, name or e-mail contains this text, case-insensitively.
    pub query: Option<String>,
    /// Only accounts whose subscription has this stored status.
    pub status: Option<Status>,
    /// Only accounts subscribed to this plan (any version).
    pub plan: Option<PlanCode>,
}

/// Subscriptions counted by plan version and stored status ([`crate::AccountRepository::tally`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionTally {
    /// The plan and version; `None` for the accounts without a subscription.
    pub plan: Option<(PlanCode, u32)>,
    /// The stored status; `None` for the accounts without a subscription.
    pub status: Option<Status>,
    /// How many accounts.
    pub accounts: u64,
    /// Their seats, summed (0 without a subscription).
    pub seats: u64,
}
