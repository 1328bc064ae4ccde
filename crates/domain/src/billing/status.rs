//! The vocabulary of invoices: where one is in its life, and why it was issued.

use serde::{Deserialize, Serialize};

/// Where an invoice is in its life: draft → open → paid | void | uncollectible, and
/// uncollectible → paid | void.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Being prepared; not yet owed.
    Draft,
    /// Issued and owed.
    Open,
    /// Settled: paid, or nothing was left to charge.
    Paid,
    /// Cancelled; nothing is owed.
    Void,
    /// Given up on by dunning; still payable.
    Uncollectible,
}

impl InvoiceStatus {
    /// Every status, for exhaustive tests and tables.
    pub const ALL: [InvoiceStatus; 5] = [
        InvoiceStatus::Draft,
        InvoiceStatus::Open,
        InvoiceStatus::Paid,
        InvoiceStatus::Void,
        InvoiceStatus::Uncollectible,
    ];

    /// The status as its snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Open => "open",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Void => "void",
            InvoiceStatus::Uncollectible => "uncollectible",
        }
    }

    /// The status named `value`, `None` for an unknown name.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == value)
    }
}

/// Why an invoice was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceReason {
    /// A subscription's first period or a renewal.
    Subscription,
    /// A change of plan or seats applied at once (credit and charge for the rest of the period).
    Proration,
    /// An add-on bought during a period.
    AddOn,
    /// A payment confirmed through the gateway's checkout.
    Checkout,
    /// Issued by an operator.
    Manual,
}

impl InvoiceReason {
    /// Every reason, for exhaustive tests and tables.
    pub const ALL: [InvoiceReason; 5] = [
        InvoiceReason::Subscription,
        InvoiceReason::Proration,
        InvoiceReason::AddOn,
        InvoiceReason::Checkout,
        InvoiceReason::Manual,
    ];

    /// The reason as its snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceReason::Subscription => "subscription",
            InvoiceReason::Proration => "proration",
            InvoiceReason::AddOn => "add_on",
            InvoiceReason::Checkout => "checkout",
            InvoiceReason::Manual => "manual",
        }
    }

    /// The reason named `value`, `None` for an unknown name.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reason| reason.as_str() == value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_reasons_have_one_name_for_serde_and_for_storage() {
        for status in InvoiceStatus::ALL {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
            assert_eq!(InvoiceStatus::parse(status.as_str()), Some(status));
        }
        for reason in InvoiceReason::ALL {
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
            assert_eq!(InvoiceReason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(InvoiceReason::AddOn.as_str(), "add_on");
        assert_eq!(InvoiceStatus::parse("Paid"), None);
        assert_eq!(InvoiceReason::parse(""), None);
    }
}
