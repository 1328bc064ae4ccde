//! A queued usage command, and the conversions between port quantities and counter columns.
//!
//! Every other module of the writer depends on this one, and it depends on none of them.

use tokio::sync::oneshot;
use tollgate_ports::{StoreError, UsageCommand, UsageKind, UsageOutcome};

/// Counters are signed 64-bit columns.
pub(super) const COUNTER_MAX: i64 = i64::MAX;

/// A command waiting for a writer, with the channel its requester awaits the outcome on.
pub(super) struct Job {
    pub(super) kind: UsageKind,
    pub(super) account_id: i64,
    pub(super) command: UsageCommand,
    pub(super) reply: oneshot::Sender<Result<UsageOutcome, StoreError>>,
}

/// A quantity as a counter column value (saturating: a counter never holds more than
/// [`COUNTER_MAX`]).
pub(super) fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(COUNTER_MAX)
}

/// A counter column value as a quantity (a negative value, which no write produces, reads as 0).
pub(super) fn uint(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}
