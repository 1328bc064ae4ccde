//! Housekeeping contracts: how long replay records are kept.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use crate::StoreError;

/// How long an idempotency key replays its first outcome (API: "within 24 h"); after that it
/// may be forgotten, and a command with it is applied as new.
pub const IDEMPOTENCY_RETENTION: Duration = Duration::hours(24);

/// What one bounded retention batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionBatch {
    /// Idempotency keys forgotten by this batch.
    pub forgotten: u64,
    /// Whether keys recorded before the cut-off may remain: call again.
    pub more: bool,
}

/// The retention of the usage ledger's idempotency keys.
///
/// Every adapter MUST keep these promises:
/// - **Lines are kept.** Forgetting a key only clears the key of its ledger line; the line, its
///   outcome and the counters stay as they were (the ledger still sums to the counters).
/// - **Young keys are kept.** A key whose line was recorded at or after `before` is never
///   forgotten, so its command keeps replaying.
/// - **Forgotten means new.** After its key is forgotten, a command with that key is applied
///   as a new command (and records the key again).
/// - **Bounded.** One call forgets at most `limit` keys, oldest first (approximately: lines
///   recorded around the same instant may be taken in any order), and holds its locks only
///   for that batch.
/// - **Concurrent-safe.** Several processes may run it at once on one database: a key is
///   forgotten once, and the only cost of the overlap is wasted work.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LedgerRetention: Send + Sync {
    /// Forgets the idempotency keys of at most `limit` ledger lines recorded before `before`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only; a failed batch changed
    /// nothing.
    async fn forget_idempotency_keys(
        &self,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<RetentionBatch, StoreError>;
}
