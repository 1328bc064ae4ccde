//! The vocabulary of the subscription state machine: statuses, transitions and their errors.

use serde::{Deserialize, Serialize};

use crate::ids::InvalidValue;
use crate::rule::Rule;

/// Where a subscription is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// In a free trial until `trial_ends_at`.
    Trialing,
    /// Paid up.
    Active,
    /// A payment failed; allowed during the grace period.
    PastDue,
    /// Stopped by an operator or by dunning.
    Suspended,
    /// Cancelled with immediate effect; nothing is allowed.
    Cancelled,
    /// Ended: a trial that was not converted, or a term that ran out after a cancellation at
    /// period end.
    Expired,
}

impl Status {
    /// The status as its snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Trialing => "trialing",
            Status::Active => "active",
            Status::PastDue => "past_due",
            Status::Suspended => "suspended",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
        }
    }

    /// Parses the snake_case name.
    ///
    /// # Errors
    /// [`InvalidValue`] for `status` on an unknown name.
    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        Ok(match value {
            "trialing" => Status::Trialing,
            "active" => Status::Active,
            "past_due" => Status::PastDue,
            "suspended" => Status::Suspended,
            "cancelled" => Status::Cancelled,
            "expired" => Status::Expired,
            _ => return Err(InvalidValue::new("status", Rule::SubscriptionStatus)),
        })
    }

    /// True for cancelled and expired: the end of the line.
    pub fn is_ended(self) -> bool {
        matches!(self, Status::Cancelled | Status::Expired)
    }
}

/// The operations of the state machine, named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// Trial converted, payment recovered or suspension lifted.
    Activate,
    /// A payment failed.
    MarkPastDue,
    /// Stopped by an operator or dunning.
    Suspend,
    /// Cancel now or at period end.
    Cancel,
    /// Undo a cancellation scheduled at period end.
    Resume,
    /// End a trial or a cancelled subscription.
    Expire,
    /// Move to another plan or seat count.
    ChangePlan,
}

/// Why a subscription operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    /// The operation is not allowed from the current status.
    #[error("cannot {transition:?} a subscription that is {}", from.as_str())]
    IllegalTransition {
        /// The current status.
        from: Status,
        /// The refused operation.
        transition: Transition,
    },
    /// `resume` without a cancellation scheduled at period end.
    #[error("the subscription is not scheduled for cancellation")]
    NotScheduledForCancellation,
    /// A value is invalid (seats out of range).
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
}
