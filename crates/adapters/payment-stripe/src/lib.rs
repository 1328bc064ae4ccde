//! # tollgate-stripe
//!
//! The payment gateways of `tollgate-ports`: [`StripeGateway`] speaks Stripe's REST API
//! (customers, payment methods, payment intents, checkout sessions, refunds); [`FakeGateway`]
//! answers like Stripe's test mode (`pm_card_visa` pays, `pm_card_chargeDeclined` is declined)
//! for development and tests. Both receive events in Stripe's shape ([`parse_event`]) signed with
//! Stripe's scheme ([`signature`]), which Tollgate's outgoing webhooks use too.
#![warn(missing_docs)]

mod client;
mod event;
mod fake;
pub mod signature;

pub use client::{API_BASE, STRIPE_VERSION, SetupError, StripeGateway, StripeSettings, TIMEOUT};
pub use event::{REFERENCE_KEY, parse_event};
pub use fake::FakeGateway;
pub use signature::{SignatureError, TOLERANCE, sign, verify};
