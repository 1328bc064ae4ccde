//! # tollgate-stripe
//!
//! The payment gateways of `tollgate-ports`: [`FakeGateway`] answers like Stripe's test mode
//! (`pm_card_visa` pays, `pm_card_chargeDeclined` is declined) for development and tests. It
//! receives events in Stripe's shape ([`parse_event`]) signed with Stripe's scheme
//! ([`signature`]), which Tollgate's outgoing webhooks use too.
#![warn(missing_docs)]

mod event;
mod fake;
pub mod signature;

pub use event::{REFERENCE_KEY, parse_event};
pub use fake::FakeGateway;
pub use signature::{SignatureError, TOLERANCE, sign, verify};
