/// What a repository adapter reports. Adapters translate their driver's errors into these at
/// the seam; no driver type crosses a port.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The addressed record (usually the account) does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A record with the same identity already exists (`account` for a duplicate key).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The account's state (plan, seats, status, add-ons, overrides) changed since the caller
    /// read it: its state version moved. Nothing was written; the caller reloads the state and
    /// decides again.
    #[error("the account changed since it was read")]
    Stale,
    /// The idempotency key was already used for a different request.
    #[error("the idempotency key was already used for a different request")]
    IdempotencyMismatch,
    /// The storage could not be reached or timed out. Nothing was written; callers fail closed.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else the storage reported (corrupt row, violated invariant). Nothing was written.
    #[error("storage error: {0}")]
    Internal(String),
}
