//! # tollgate-app
//!
//! Tollgate's use cases over the ports only: provisioning accounts, changing and cancelling
//! subscriptions, checking, consuming and releasing quota, usage reports, plan publication and
//! checkout. [`Tollgate`] is the one entry point; adapters are injected through [`Ports`].
#![warn(missing_docs)]

mod cache;
mod catalog;
mod error;
mod service;
mod views;

pub use error::AppError;
pub use service::{ChangePlan, NewAccount, Ports, Settings, Tollgate};
pub use views::{AccountView, SubscriptionView, UsageReport};

#[cfg(test)]
mod tests;
