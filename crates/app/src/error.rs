use tollgate_domain::{
    BillingError, Decision, FeatureName, InvalidValue, MetricName, PasswordError, PlanCode, SubscriptionError,
};
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
    /// Registration is closed (`auth.open_registration = false`).
    #[error("registration is closed")]
    RegistrationClosed,
    /// A user (not deleted) has this e-mail address.
    #[error("a user with this email exists")]
    EmailTaken,
    /// The password breaks the length rule.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// Unknown e-mail or wrong password (never says which).
    #[error("invalid email or password")]
    InvalidCredentials,
    /// The user has two-factor authentication and no code was given.
    #[error("a two-factor code is required")]
    TotpRequired,
    /// The two-factor code (or recovery code) is wrong or was already used.
    #[error("invalid two-factor code")]
    InvalidTotp,
    /// Too many failed logins for the e-mail or from the address; retry after this many seconds.
    #[error("too many failed attempts; retry in {0} s")]
    TooManyAttempts(u64),
    /// A spent refresh token was presented again: its session is now revoked.
    #[error("refresh token reused; the session is revoked")]
    RefreshTokenReused,
    /// The refresh token is unknown, or its session is revoked or expired.
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// A one-time token (verification, reset, invitation) is unknown, used or expired.
    #[error("invalid or expired token")]
    InvalidToken,
    /// The credential is no longer valid (its session was revoked, its user deleted).
    #[error("the credential is no longer valid")]
    Unauthenticated,
    /// The caller sees the resource but may not do this.
    #[error("forbidden")]
    Forbidden,
    /// A resource other than an account was not found (`user`, `member`, `session`, `api key`).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The change would leave the account without an owner.
    #[error("the account must keep an owner")]
    LastOwner,
    /// The user is already a member of the account, or already invited.
    #[error("already a member")]
    MemberExists,
    /// The plan's seat limit is reached; the decision says which plan would allow one more.
    #[error("seat limit reached")]
    SeatLimitReached(Box<Decision>),
    /// The two-factor state does not allow the operation (not started, already on, not on).
    #[error("two-factor authentication is {0}")]
    TotpState(&'static str),
    /// A billing rule refused the operation (currencies that differ, an illegal invoice
    /// transition); an invalid value of a billing rule is [`AppError::Invalid`].
    #[error(transparent)]
    Billing(BillingError),
    /// The gateway declined the payment; carries its code (`card_declined`…).
    #[error("payment failed: {0}")]
    PaymentFailed(String),
    /// The account has no saved payment method to charge.
    #[error("no payment method on file")]
    PaymentMethodRequired,
    /// The gateway refused the payment method token; carries its explanation.
    #[error("payment method refused: {0}")]
    PaymentMethodRejected(String),
    /// The invoice is paid, void, or has nothing to pay.
    #[error("the invoice cannot be paid")]
    InvoiceNotPayable,
    /// An internal fault; details are logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<BillingError> for AppError {
    fn from(error: BillingError) -> Self {
        match error {
            BillingError::Invalid(invalid) => AppError::Invalid(invalid),
            other => AppError::Billing(other),
        }
    }
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
