use tollgate_domain::{FeatureName, InvalidValue, MetricName, PlanCode, SubscriptionError};
use tollgate_ports::{GatewayError, StoreError};

/// Why a use case failed. Each variant maps to one stable problem code at the HTTP edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    /// No account has this key.
    #[error("account not found")]
    AccountNotFound,
    /// An account with this key exists.
    #[error("an account with this key already exists")]
    AccountExists,
    /// No plan has this code (or version).
    #[error("plan {0} not found")]
    PlanNotFound(PlanCode),
    /// The plan is archived: no new subscriptions.
    #[error("plan {0} is not available")]
    PlanInactive(PlanCode),
    /// No plan (nor the account's overrides) defines the metric.
    #[error("no plan defines the metric {0}")]
    UnknownMetric(MetricName),
    /// No plan (nor the account's overrides) defines the feature.
    #[error("no plan defines the feature {0}")]
    UnknownFeature(FeatureName),
    /// The account has no subscription to act on.
    #[error("the account has no subscription")]
    NoSubscription,
    /// A value is invalid.
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    /// A list's `limit` is out of 1 to 100.
    #[error("limit is from 1 to 100")]
    LimitOutOfRange,
    /// The account has no subscription and the change names no plan to start one with.
    #[error("the account has no subscription: name a plan to start one")]
    PlanRequired,
    /// The subscription's state machine refused the operation.
    #[error(transparent)]
    Subscription(#[from] SubscriptionError),
    /// No API key has this id.
    #[error("api key not found")]
    ApiKeyNotFound,
    /// The idempotency key was used for a different request.
    #[error("the idempotency key was already used for a different request")]
    IdempotencyMismatch,
    /// The account kept changing while the request was decided (each attempt found its state
    /// moved by a concurrent change); nothing was applied, and the request may be retried.
    #[error("the account changed concurrently; nothing was applied")]
    Conflict,
    /// The payment gateway refused or failed.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// Storage is unreachable or timed out: nothing was decided (fail closed).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// An internal fault; details are logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(_) => AppError::AccountNotFound,
            StoreError::Conflict(_) => AppError::AccountExists,
            StoreError::IdempotencyMismatch => AppError::IdempotencyMismatch,
            StoreError::Stale => AppError::Conflict,
            StoreError::Unavailable(why) => AppError::Unavailable(why),
            StoreError::Internal(why) => AppError::Internal(why),
        }
    }
}
