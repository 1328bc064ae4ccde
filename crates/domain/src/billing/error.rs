//! Why a billing operation was refused.

use super::status::InvoiceStatus;
use crate::ids::{AddOnCode, InvalidValue};
use crate::money::MoneyError;

/// Why a billing operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    /// The invoice's state machine does not allow `action` from `from`.
    #[error("cannot {action} an invoice that is {}", from.as_str())]
    IllegalTransition {
        /// The invoice's status.
        from: InvoiceStatus,
        /// The refused operation (`pay`, `void`, `finalize`…).
        action: &'static str,
    },
    /// Amounts in different currencies, or out of the decimal range.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// A value is invalid (seats or an add-on quantity out of range).
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    /// The change asked for is the plan, seats and interval the subscription already has.
    #[error("the subscription already has this plan, seats and interval")]
    NotAChange,
    /// The account's plan does not list the add-on among those it allows.
    #[error("the plan does not allow the add-on {0}")]
    AddOnNotAllowed(AddOnCode),
}
