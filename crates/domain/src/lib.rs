//! # tollgate-domain
//!
//! The pure rules of Tollgate: plans, limits, subscriptions, billing periods, quota decisions and
//! money. No IO, no async, no clock: every function takes `now`, so any instant can be tested and
//! any service can link this crate to decide in-process exactly as the Tollgate server does.
//!
//! ```
//! use tollgate_domain::{DecisionCode, Locale, Plan, PlanDraft, Request, Subscription};
//! use time::macros::datetime;
//!
//! let draft: PlanDraft = serde_json::from_str(r#"{
//!     "code": "pro", "name": "Pro",
//!     "price": {"amount": "45.00", "currency": "USD"}, "interval": "month",
//!     "limits": {"tickets": {"max": 2000, "reset": "month"}}
//! }"#)?;
//! let plan = Plan::new(draft, 1)?;
//! let now = datetime!(2026-11-23 10:00 UTC);
//! let subscription = Subscription::start(&plan, 1, now)?;
//!
//! let decision = plan.evaluate(&subscription, &Request::metric("tickets", 1)?, 2000, now);
//! assert!(!decision.allowed);
//! assert_eq!(decision.code, DecisionCode::LimitReached);
//! assert_eq!(
//!     decision.message(Locale::En),
//!     "Monthly tickets limit reached (2000/2000). Wait until 2026-12-01."
//! );
//! assert!(decision.message(Locale::Fr).starts_with("Limite mensuelle de tickets atteinte"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Counting itself (the atomic "add only if it stays within the limit") belongs to a store; this
//! crate says what to count ([`Evaluation::intent`]: the window and the cap) and what the outcome
//! means ([`Evaluation::consumed`]).
#![warn(missing_docs)]

mod addon;
mod api_key;
pub mod billing;
mod currency;
mod decision;
mod entitlements;
mod identity;
mod ids;
mod limit;
mod locale;
mod messages;
mod money;
mod payment_input;
pub mod period;
mod plan;
mod quantity;
mod request;
mod rule;
mod subscription;
pub mod text;
mod upgrade;
mod usage;
mod window;

pub use addon::{AddOnDraft, AddOnLimit, AddOnTerms};
pub use api_key::{ApiKey, Role, Scope};
pub use billing::{
    AddOnPurchase, BillingError, ChangeQuote, ChangeTiming, DunningAction, DunningPolicy, Invoice,
    InvoiceLine, InvoiceNumber, InvoiceParts, InvoiceReason, InvoiceStatus, MAX_ADD_ON_QUANTITY, buy_add_on,
    catalog_add_on, check_add_on_quantity, period_lines, plan_line_description, prorate, quote_change,
    recurring_amount,
};
pub use currency::Currency;
pub use decision::{ConsumeIntent, Decision, DecisionCode, Evaluation, Policy};
pub use entitlements::{AddOn, Entitlements, Overrides};
pub use identity::{
    Actor, AuditEvent, AuditTarget, Caller, Denial, InvitationAnswer, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS,
    MemberRole, Membership, OneTimeToken, PasswordError, Right, Session, TokenPurpose, TotpState, User,
    authorize, check_password, normalise_email,
};
pub use ids::{
    AccountKey, AddOnCode, ApiKeyId, Email, FeatureName, IdempotencyKey, InvalidValue, MetricName, PlanCode,
    SessionId, UserId, WindowKey,
};
pub use limit::{Enforcement, Limit, MAX_RATE, RateLimit, Reset};
pub use locale::Locale;
pub use money::{Money, MoneyError};
pub use payment_input::{PaymentToken, ReturnUrl};
pub use period::{Interval, Period};
pub use plan::{MAX_TRIAL_DAYS, Plan, PlanDraft, PlanError};
pub use quantity::{MAX_QUANTITY, Quantity};
pub use request::Request;
pub use rule::Rule;
pub use subscription::{
    MAX_SEATS, ScheduledChange, Status, Subscription, SubscriptionError, SubscriptionParts, Transition,
};
pub use text::Name;
pub use upgrade::{Upgrade, suggest_upgrade};
pub use usage::UsageLine;
pub use window::Window;

#[cfg(test)]
mod tests;
