//! The closed set of problem codes, with one table: each code's status, its title in English and
//! in French, and whether it rejects a request before any use case runs. The table is a `match`
//! over the enum (in `table.rs`), so a code without its French title (or its status) does not
//! compile.

mod table;

/// A stable problem `code` of the API (documented in `docs/problems.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemCode {
    /// `malformed_json` (400).
    MalformedJson,
    /// `malformed_body` (400).
    MalformedBody,
    /// `invalid_parameter` (400).
    InvalidParameter,
    /// `idempotency_key_required` (400).
    IdempotencyKeyRequired,
    /// `invalid_idempotency_key` (400).
    InvalidIdempotencyKey,
    /// `unauthorized` (401).
    Unauthorized,
    /// `forbidden` (403).
    Forbidden,
    /// `not_found` (404).
    NotFound,
    /// `account_not_found` (404).
    AccountNotFound,
    /// `plan_not_found` (404).
    PlanNotFound,
    /// `subscription_not_found` (404).
    SubscriptionNotFound,
    /// `api_key_not_found` (404).
    ApiKeyNotFound,
    /// `method_not_allowed` (405).
    MethodNotAllowed,
    /// `account_exists` (409).
    AccountExists,
    /// `invalid_transition` (409).
    InvalidTransition,
    /// `idempotency_key_in_use` (409).
    IdempotencyKeyInUse,
    /// `conflict` (409).
    Conflict,
    /// `payload_too_large` (413).
    PayloadTooLarge,
    /// `unsupported_media_type` (415).
    UnsupportedMediaType,
    /// `invalid_body` (422).
    InvalidBody,
    /// `validation_failed` (422).
    ValidationFailed,
    /// `plan_inactive` (422).
    PlanInactive,
    /// `unknown_metric` (422).
    UnknownMetric,
    /// `unknown_feature` (422).
    UnknownFeature,
    /// `idempotency_key_reused` (422).
    IdempotencyKeyReused,
    /// `payment_failed` (402).
    PaymentFailed,
    /// `payment_method_required` (402).
    PaymentMethodRequired,
    /// `invalid_payment_method` (422).
    InvalidPaymentMethod,
    /// `invoice_not_found` (404).
    InvoiceNotFound,
    /// `invoice_not_payable` (409).
    InvoiceNotPayable,
    /// `invalid_signature` (400).
    InvalidSignature,
    /// `currency_mismatch` (422).
    CurrencyMismatch,
    /// `addon_not_allowed` (422).
    AddonNotAllowed,
    /// `registration_closed` (403).
    RegistrationClosed,
    /// `email_taken` (409).
    EmailTaken,
    /// `password_too_short` (422).
    PasswordTooShort,
    /// `password_too_long` (422).
    PasswordTooLong,
    /// `invalid_credentials` (401).
    InvalidCredentials,
    /// `totp_required` (401).
    TotpRequired,
    /// `invalid_totp` (401).
    InvalidTotp,
    /// `too_many_attempts` (429).
    TooManyAttempts,
    /// `rate_limited` (429).
    RateLimited,
    /// `refresh_token_reused` (401).
    RefreshTokenReused,
    /// `invalid_refresh_token` (401).
    InvalidRefreshToken,
    /// `invalid_token` (400).
    InvalidToken,
    /// `member_not_found` (404).
    MemberNotFound,
    /// `session_not_found` (404).
    SessionNotFound,
    /// `user_not_found` (404).
    UserNotFound,
    /// `last_owner` (409).
    LastOwner,
    /// `member_exists` (409).
    MemberExists,
    /// `seat_limit_reached` (409).
    SeatLimitReached,
    /// `invalid_totp_state` (409).
    InvalidTotpState,
    /// `internal_error` (500).
    InternalError,
    /// `service_unavailable` (503).
    ServiceUnavailable,
}

/// What the table says of a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The snake_case code clients read.
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The title in English.
    pub en: &'static str,
    /// The title in French.
    pub fr: &'static str,
    /// Whether the problem rejects the request before any use case ran (its shape, its
    /// credential, its route): an idempotency key used with it stays free, so the corrected
    /// request runs.
    pub rejection: bool,
}

impl Spec {
    const fn row(
        code: &'static str,
        status: u16,
        en: &'static str,
        fr: &'static str,
        rejection: bool,
    ) -> Spec {
        Spec { code, status, en, fr, rejection }
    }
}

impl ProblemCode {
    /// Every code, in the order of the documentation.
    pub const ALL: [ProblemCode; 54] = [
        ProblemCode::MalformedJson,
        ProblemCode::MalformedBody,
        ProblemCode::InvalidParameter,
        ProblemCode::IdempotencyKeyRequired,
        ProblemCode::InvalidIdempotencyKey,
        ProblemCode::Unauthorized,
        ProblemCode::Forbidden,
        ProblemCode::NotFound,
        ProblemCode::AccountNotFound,
        ProblemCode::PlanNotFound,
        ProblemCode::SubscriptionNotFound,
        ProblemCode::ApiKeyNotFound,
        ProblemCode::MethodNotAllowed,
        ProblemCode::AccountExists,
        ProblemCode::InvalidTransition,
        ProblemCode::IdempotencyKeyInUse,
        ProblemCode::Conflict,
        ProblemCode::PayloadTooLarge,
        ProblemCode::UnsupportedMediaType,
        ProblemCode::InvalidBody,
        ProblemCode::ValidationFailed,
        ProblemCode::PlanInactive,
        ProblemCode::UnknownMetric,
        ProblemCode::UnknownFeature,
        ProblemCode::IdempotencyKeyReused,
        ProblemCode::PaymentFailed,
        ProblemCode::PaymentMethodRequired,
        ProblemCode::InvalidPaymentMethod,
        ProblemCode::InvoiceNotFound,
        ProblemCode::InvoiceNotPayable,
        ProblemCode::InvalidSignature,
        ProblemCode::CurrencyMismatch,
        ProblemCode::AddonNotAllowed,
        ProblemCode::RegistrationClosed,
        ProblemCode::EmailTaken,
        ProblemCode::PasswordTooShort,
        ProblemCode::PasswordTooLong,
        ProblemCode::InvalidCredentials,
        ProblemCode::TotpRequired,
        ProblemCode::InvalidTotp,
        ProblemCode::TooManyAttempts,
        ProblemCode::RateLimited,
        ProblemCode::RefreshTokenReused,
        ProblemCode::InvalidRefreshToken,
        ProblemCode::InvalidToken,
        ProblemCode::MemberNotFound,
        ProblemCode::SessionNotFound,
        ProblemCode::UserNotFound,
        ProblemCode::LastOwner,
        ProblemCode::MemberExists,
        ProblemCode::SeatLimitReached,
        ProblemCode::InvalidTotpState,
        ProblemCode::InternalError,
        ProblemCode::ServiceUnavailable,
    ];

    /// The snake_case code.
    pub const fn as_str(self) -> &'static str {
        self.spec().code
    }
}
