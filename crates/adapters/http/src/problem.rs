//! RFC 9457 problem details, and the one table that maps every failure to a status and a code.
//!
//! Every error the API answers is `application/problem+json`:
//! `{"type", "title", "status", "detail", "code", ...}` where `code` is stable and extra members
//! carry specifics (`"param": "quantity"`). [`ApiError::from_app`] is the only place an
//! [`AppError`] becomes an HTTP status.
//!
//! A problem's `title` and `detail` follow the request's `Accept-Language` (English by default,
//! French). An [`ApiError`] keeps what it says as a [`Detail`] (a message and its arguments), and
//! is written in English wherever it is raised (handlers, extractors, middleware); on its way out,
//! [`localize`] writes it again in the request's language and sets `Content-Language`. A
//! middleware of [`crate::app`] does that for every response, and the idempotency middleware does
//! it before storing a response, so that a replay is the body first sent.

mod billing;
mod code;
mod detail;
mod french;
mod identity;
mod json;
mod localize;

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Map, Value};
use tollgate_app::AppError;
use tollgate_domain::{Decision, Locale, PasswordError, SubscriptionError};
use tollgate_ports::{GatewayError, StoreError};

pub use self::code::{ProblemCode, Spec};
pub use self::detail::Detail;
use self::identity::IdentityDetail;
pub use self::json::json_error;
pub use self::localize::localize;
pub(crate) use self::localize::localize_problems;
use crate::auth::Refusal;
use crate::decision::DecisionBody;

/// The media type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Where problem types are documented; a problem's `type` is this followed by its code.
pub const PROBLEM_TYPE_BASE: &str =
    "https://github.com/tollgate-billing/tollgate/blob/main/docs/problems.md#";

/// Marks a response whose request was rejected before any use case ran (see [`ApiError::is_rejection`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected;

/// Where a plan code came from, which decides the status of an unknown plan: a missing
/// resource in the path is 404, a bad reference in a body is 422.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanRef {
    /// The plan is the resource addressed by the path.
    Path,
    /// The plan is referenced by a field of the request body.
    Body,
}

/// An error response: a problem document with its status.
#[derive(Clone, PartialEq)]
pub struct ApiError {
    status: StatusCode,
    code: ProblemCode,
    // Boxed: `Result<_, ApiError>` is the return type of every handler and extractor, and stays
    // small for their happy path.
    detail: Box<Detail>,
    extra: Map<String, Value>,
    /// A decision the problem carries (`decision`), written in the problem's language like its
    /// detail, so its `message` follows `Accept-Language` as the enforcement routes' does.
    decision: Option<Box<Decision>>,
    /// Seconds for a `Retry-After` header (429, 503).
    retry_after: Option<u64>,
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code(), self.detail.render(Locale::En))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.detail.render(Locale::En))
    }
}

/// The problem a response was written from, kept in the response's extensions until
/// [`localize`] has written it in the request's language.
#[derive(Debug, Clone)]
struct Unlocalized(ApiError);

impl ApiError {
    /// A problem with `code` saying `detail`.
    pub fn new(code: ProblemCode, detail: Detail) -> Self {
        Self {
            status: StatusCode::from_u16(code.spec().status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            detail: Box::new(detail),
            extra: Map::new(),
            decision: None,
            retry_after: None,
        }
    }

    /// Carries `decision` as the `decision` member, in the language the problem is written in.
    #[must_use]
    pub fn with_decision(mut self, decision: Decision) -> Self {
        self.decision = Some(Box::new(decision));
        self
    }

    /// Tells the client to retry after `seconds` (`Retry-After`).
    #[must_use]
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Adds an extra member to the problem document.
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(name.to_owned(), value.into());
        self
    }

    /// Names the offending request field (`"param"`).
    #[must_use]
    pub fn param(self, param: impl Into<String>) -> Self {
        self.with("param", param.into())
    }

    /// The stable problem code.
    pub fn code(&self) -> &'static str {
        self.code.as_str()
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The title in `locale`.
    pub fn title(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::En => self.code.spec().en,
            Locale::Fr => self.code.spec().fr,
        }
    }

    /// The human detail in `locale`.
    pub fn detail(&self, locale: Locale) -> String {
        self.detail.render(locale)
    }

    /// Whether the request was rejected before any use case ran (malformed or invalid body,
    /// credential, route): nothing was applied, and nothing is recorded for its idempotency key.
    pub fn is_rejection(&self) -> bool {
        self.code.spec().rejection
    }

    /// The problem document as JSON, in `locale`.
    pub fn to_json(&self, locale: Locale) -> Value {
        let mut doc = Map::new();
        doc.insert("type".into(), format!("{PROBLEM_TYPE_BASE}{}", self.code()).into());
        doc.insert("title".into(), self.title(locale).into());
        doc.insert("status".into(), self.status.as_u16().into());
        doc.insert("detail".into(), self.detail(locale).into());
        doc.insert("code".into(), self.code().into());
        for (name, value) in &self.extra {
            doc.entry(name.clone()).or_insert_with(|| value.clone());
        }
        if let Some(decision) = &self.decision {
            let body = serde_json::to_value(DecisionBody::new(decision, locale)).unwrap_or(Value::Null);
            doc.insert("decision".into(), body);
        }
        Value::Object(doc)
    }

    /// The 401 answer for a missing or invalid credential.
    pub fn unauthorized(refusal: Refusal) -> Self {
        ApiError::new(ProblemCode::Unauthorized, Detail::Unauthorized(refusal))
    }

    /// A storage failure: 503 when the database is unreachable (fail closed), 500 otherwise.
    pub fn store(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(why) => {
                tracing::warn!(error = %why, "storage unavailable");
                ApiError::new(ProblemCode::ServiceUnavailable, Detail::Unavailable)
            }
            other => ApiError::internal(other),
        }
    }

    /// A 500 that says nothing internal; the cause is logged.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(ProblemCode::InternalError, Detail::Internal)
    }

    /// Maps a use-case error to its problem when the plan, if any, was addressed by the path.
    pub fn app(error: AppError) -> Self {
        Self::from_app(error, PlanRef::Path)
    }

    /// Maps a use-case error to its problem when the plan, if any, came from the body.
    pub fn app_body(error: AppError) -> Self {
        Self::from_app(error, PlanRef::Body)
    }

    /// The one mapping from [`AppError`] to a status and a stable code.
    pub fn from_app(error: AppError, plan: PlanRef) -> Self {
        if let Some(problem) = billing::problem(&error) {
            return problem;
        }
        match error {
            AppError::AccountNotFound => ApiError::new(ProblemCode::AccountNotFound, Detail::AccountNotFound),
            AppError::AccountExists => {
                ApiError::new(ProblemCode::AccountExists, Detail::AccountExists).param("key")
            }
            AppError::PlanNotFound(code) => {
                let problem = ApiError::new(ProblemCode::PlanNotFound, Detail::PlanNotFound(Some(code)));
                match plan {
                    PlanRef::Path => problem,
                    PlanRef::Body => problem.status_422().param("plan"),
                }
            }
            AppError::PlanInactive(code) => {
                ApiError::new(ProblemCode::PlanInactive, Detail::PlanInactive(code)).param("plan")
            }
            AppError::UnknownMetric(metric) => {
                ApiError::new(ProblemCode::UnknownMetric, Detail::UnknownMetric(metric)).param("metric")
            }
            AppError::UnknownFeature(feature) => {
                ApiError::new(ProblemCode::UnknownFeature, Detail::UnknownFeature(feature)).param("feature")
            }
            AppError::NoSubscription => {
                ApiError::new(ProblemCode::SubscriptionNotFound, Detail::NoSubscription)
            }
            AppError::Invalid(invalid) | AppError::Subscription(SubscriptionError::Invalid(invalid)) => {
                let field = invalid.field;
                ApiError::new(ProblemCode::ValidationFailed, Detail::Rule(invalid)).param(field)
            }
            AppError::LimitOutOfRange => {
                ApiError::new(ProblemCode::ValidationFailed, Detail::LimitOutOfRange).param("limit")
            }
            AppError::PlanRequired => {
                ApiError::new(ProblemCode::ValidationFailed, Detail::PlanRequired).param("plan")
            }
            AppError::Subscription(SubscriptionError::IllegalTransition { from, .. }) => {
                ApiError::new(ProblemCode::InvalidTransition, Detail::IllegalTransition(from))
            }
            AppError::Subscription(SubscriptionError::NotScheduledForCancellation) => {
                ApiError::new(ProblemCode::InvalidTransition, Detail::NotScheduledForCancellation)
            }
            AppError::ApiKeyNotFound => ApiError::new(ProblemCode::ApiKeyNotFound, Detail::ApiKeyNotFound),
            AppError::IdempotencyMismatch => {
                ApiError::new(ProblemCode::IdempotencyKeyReused, Detail::IdempotencyKeyReused)
            }
            AppError::Conflict => ApiError::new(ProblemCode::Conflict, Detail::ConcurrentChange),
            AppError::Gateway(error @ GatewayError::Unavailable(_)) => {
                tracing::warn!(%error, "payment gateway unavailable");
                ApiError::new(ProblemCode::ServiceUnavailable, Detail::GatewayUnavailable)
            }
            // Every other billing failure has its problem in `billing::problem`, asked first.
            error @ (AppError::Gateway(_)
            | AppError::Billing(_)
            | AppError::PaymentFailed(_)
            | AppError::PaymentMethodRequired
            | AppError::PaymentMethodRejected(_)
            | AppError::InvoiceNotPayable) => ApiError::internal(error),
            AppError::Unavailable(why) => ApiError::store(StoreError::Unavailable(why)),
            AppError::RegistrationClosed => {
                identity(ProblemCode::RegistrationClosed, IdentityDetail::RegistrationClosed)
            }
            AppError::EmailTaken => {
                identity(ProblemCode::EmailTaken, IdentityDetail::EmailTaken).param("email")
            }
            AppError::Password(error) => {
                let code = match error {
                    PasswordError::TooShort => ProblemCode::PasswordTooShort,
                    PasswordError::TooLong => ProblemCode::PasswordTooLong,
                };
                identity(code, IdentityDetail::Password(error)).param("password")
            }
            AppError::InvalidCredentials => {
                identity(ProblemCode::InvalidCredentials, IdentityDetail::InvalidCredentials)
            }
            AppError::TotpRequired => {
                identity(ProblemCode::TotpRequired, IdentityDetail::TotpRequired).param("totp")
            }
            AppError::InvalidTotp => {
                identity(ProblemCode::InvalidTotp, IdentityDetail::InvalidTotp).param("totp")
            }
            AppError::TooManyAttempts(seconds) => {
                identity(ProblemCode::TooManyAttempts, IdentityDetail::TooManyAttempts(seconds))
                    .retry_after(seconds)
            }
            AppError::RefreshTokenReused => {
                identity(ProblemCode::RefreshTokenReused, IdentityDetail::RefreshTokenReused)
            }
            AppError::InvalidRefreshToken => {
                identity(ProblemCode::InvalidRefreshToken, IdentityDetail::InvalidRefreshToken)
            }
            AppError::InvalidToken => {
                identity(ProblemCode::InvalidToken, IdentityDetail::InvalidToken).param("token")
            }
            AppError::Unauthenticated => {
                identity(ProblemCode::Unauthorized, IdentityDetail::CredentialRevoked)
            }
            AppError::Forbidden => identity(ProblemCode::Forbidden, IdentityDetail::Forbidden),
            AppError::NotFound(kind) => {
                // Invoices and gateways are answered by `billing::problem`, asked first.
                let code = match kind {
                    "member" => ProblemCode::MemberNotFound,
                    "session" => ProblemCode::SessionNotFound,
                    "api key" => ProblemCode::ApiKeyNotFound,
                    _ => ProblemCode::UserNotFound,
                };
                identity(code, IdentityDetail::NotFound(kind))
            }
            AppError::LastOwner => identity(ProblemCode::LastOwner, IdentityDetail::LastOwner),
            AppError::MemberExists => identity(ProblemCode::MemberExists, IdentityDetail::MemberExists),
            AppError::SeatLimitReached(decision) => {
                identity(ProblemCode::SeatLimitReached, IdentityDetail::SeatLimitReached)
                    .with_decision(*decision)
            }
            AppError::TotpState(state) => {
                identity(ProblemCode::InvalidTotpState, IdentityDetail::TotpState(state))
            }
            AppError::Internal(why) => ApiError::internal(why),
        }
    }

    /// The whole response in `locale`.
    fn response(&self, locale: Locale) -> HttpResponse {
        let body = serde_json::to_vec(&self.to_json(locale)).unwrap_or_default();
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        response.insert_header((header::CONTENT_LANGUAGE, HeaderValue::from_static(locale.tag())));
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        let mut response = response.body(body);
        if self.is_rejection() {
            response.extensions_mut().insert(Rejected);
        }
        response
    }

    fn status_422(mut self) -> Self {
        self.status = StatusCode::UNPROCESSABLE_ENTITY;
        self
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError::app(error)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    /// The response in English, the one language needing no request to choose it; [`localize`]
    /// rewrites it for the request.
    fn error_response(&self) -> HttpResponse {
        let mut response = self.response(Locale::En);
        response.extensions_mut().insert(Unlocalized(self.clone()));
        response
    }
}

fn identity(code: ProblemCode, detail: IdentityDetail) -> ApiError {
    ApiError::new(code, Detail::Identity(detail))
}

#[cfg(test)]
mod tests;
