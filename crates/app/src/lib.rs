//! # tollgate-app
//!
//! Tollgate's use cases over the ports only: provisioning accounts, changing and cancelling
//! subscriptions, checking, consuming and releasing quota, usage reports, plan publication,
//! checkout, API keys (creation, revocation, the operator's key, authenticating a caller),
//! identity, and the platform admins' back office. [`Tollgate`] is the one entry point; adapters
//! are injected through [`Ports`].
#![warn(missing_docs)]

mod addons;
mod admin;
mod api_keys;
mod authentication;
mod billing;
mod cache;
mod catalog;
mod context;
mod enforcement;
mod error;
mod identity;
mod plans;
mod rate_limits;
mod subscriptions;
mod tollgate;
mod views;

pub use admin::{Impersonation, NewOperator, OverLimits, Stats};
pub use api_keys::{API_KEY_PREFIX, MIN_OPERATOR_KEY_LEN, NewApiKey, OPERATOR_KEY_ID, OperatorKey};
pub use authentication::is_jwt;
pub use billing::{AccountAddOnView, AddOnOutcome, BillingRun, BillingSettings, ChangeOutcome, InvoiceView};
pub use error::AppError;
pub use identity::{
    IdentityPorts, IdentitySettings, Invite, Login, MemberView, Origin, RECOVERY_CODES, Registration,
    RegistrationAccount, SeatSweep, Tokens, TotpEnrolment,
};
pub use rate_limits::RateStatus;
pub use subscriptions::{ChangePlan, NewAccount};
pub use tollgate::{Ports, Settings, Tollgate};
pub use views::{AccountView, SubscriptionView, UsageReport};

#[cfg(test)]
mod tests;
