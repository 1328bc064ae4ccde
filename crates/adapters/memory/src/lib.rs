//! # tollgate-memory
//!
//! In-process adapters of every Tollgate port. [`MemoryStore`] implements the repositories with
//! exactly the semantics the database store has (atomic conditional consume, idempotent replay,
//! release floored at zero, all-or-nothing), so use cases can be tested, or embedded, without a
//! database; [`MemoryAddOns`], [`MemoryIdentity`] and [`MemoryLoginAttempts`] do the same for
//! the add-on catalog and the identity records. [`ManualClock`], [`SequentialIds`], [`ScriptedGateway`], [`RecordingNotifier`],
//! [`FakePasswordHasher`], [`MemoryTokenCodec`], [`SequentialSecrets`], [`MemoryMailer`] and
//! [`FakeTotp`] complete the set; [`SystemClock`] is the real
//! clock, and [`OffsetClock`] the real clock shifted (to rehearse a later date on staging).
#![warn(missing_docs)]

mod access;
mod addons;
mod attempts;
mod billing;
mod clock;
mod gateway;
mod identity;
mod mailer;
mod secrets;
mod security;
mod store;
mod totp;

pub use access::{MemoryApiKeys, MemoryIdempotency};
pub use addons::MemoryAddOns;
pub use attempts::MemoryLoginAttempts;
pub use billing::MemoryBilling;
pub use clock::{ManualClock, OffsetClock, SequentialIds, SystemClock};
pub use gateway::{Behaviour, RecordingNotifier, ScriptedGateway};
pub use identity::MemoryIdentity;
pub use mailer::MemoryMailer;
pub use secrets::SequentialSecrets;
pub use security::{FakePasswordHasher, MemoryTokenCodec};
pub use store::MemoryStore;
pub use totp::FakeTotp;
