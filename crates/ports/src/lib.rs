//! # tollgate-ports
//!
//! The traits Tollgate's use cases need from the world, written as contracts: each method's
//! docs say what an adapter MUST do, including the atomicity and idempotency promises of
//! [`UsageRepository`]. Adapters: `tollgate-memory` (in-process, for tests and embedding) and
//! `tollgate-store` (sea-orm on SQLite and PostgreSQL). With the `conformance` feature, the
//! `conformance` module holds the one test suite every repository adapter must pass; with
//! `mocks`, every trait has a mockall `Mock…` type.
#![warn(missing_docs)]

mod access;
mod addons;
mod admin;
mod billing;
mod error;
mod identity;
mod payments;
mod repositories;
mod retention;
mod secret;
mod services;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use access::{ApiKeyStore, Begin, IdempotencyStore};
pub use addons::*;
pub use admin::{AccountFilter, SubscriptionTally};
pub use billing::*;
pub use error::StoreError;
pub use identity::{AuditFilter, Change, Failures, IdentityStore, LoginAttempts, Rotation};
pub use payments::*;
pub use repositories::*;
pub use retention::{IDEMPOTENCY_RETENTION, LedgerRetention, RetentionBatch};
pub use secret::Secret;
pub use services::*;
