//! Billing: plan changes priced by proration, invoices and their payment, payment methods,
//! hosted checkouts and the gateway's webhooks. Every effect that belongs together (a plan change
//! and its invoice; a payment, its invoice and the reactivated subscription; a gateway event and
//! its effect) is one [`tollgate_ports::BillingStore::apply`].

mod addons;
mod changes;
mod checkout;
mod invoices;
mod run;
mod views;
mod webhooks;

use tollgate_domain::{DunningPolicy, PlanCode};

pub use addons::{AccountAddOnView, AddOnOutcome};
pub use changes::ChangeOutcome;
pub use run::BillingRun;
pub use views::InvoiceView;

/// Billing rules an operator sets.
#[derive(Debug, Clone, Default)]
pub struct BillingSettings {
    /// Reminder days, suspension day, payment retries.
    pub dunning: DunningPolicy,
    /// Where a trial that ends without a payment method goes (`billing.trial_fallback_plan`);
    /// `None`: the subscription expires.
    pub trial_fallback_plan: Option<PlanCode>,
}
