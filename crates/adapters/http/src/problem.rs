//! RFC 9457 problem details, and the one table that maps every failure to a status and a code.
//!
//! Every error the API answers is `application/problem+json`:
//! `{"type", "title", "status", "detail", "code", ...}` where `code` is stable and extra members
//! carry specifics (`"param": "quantity"`). [`ApiError::from_app`] is the only place an
//! [`AppError`] becomes an HTTP status.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Map, Value};
use tollgate_app::AppError;
use tollgate_domain::SubscriptionError;
use tollgate_ports::{GatewayError, StoreError};

/// The media type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Where problem types are documented; a problem's `type` is this followed by its code.
pub const PROBLEM_TYPE_BASE: &str =
    "https://github.com/tollgate-billing/tollgate/blob/main/docs/problems.md#";

/// Every problem code the API answers, with its status and title, for documentation (the
/// OpenAPI document lists them) and tests.
pub const PROBLEM_CODES: &[(&str, u16, &str)] = &[
    ("malformed_json", 400, "Malformed JSON"),
    ("malformed_body", 400, "Unreadable request body"),
    ("invalid_parameter", 400, "Invalid parameter"),
    ("idempotency_key_required", 400, "Idempotency key required"),
    ("invalid_idempotency_key", 400, "Invalid idempotency key"),
    ("unauthorized", 401, "Unauthorized"),
    ("forbidden", 403, "Forbidden"),
    ("not_found", 404, "Not found"),
    ("account_not_found", 404, "Account not found"),
    ("plan_not_found", 404, "Plan not found"),
    ("subscription_not_found", 404, "Subscription not found"),
    ("api_key_not_found", 404, "API key not found"),
    ("method_not_allowed", 405, "Method not allowed"),
    ("account_exists", 409, "Account exists"),
    ("invalid_transition", 409, "Invalid subscription transition"),
    ("idempotency_key_in_use", 409, "Idempotency key in use"),
    ("payload_too_large", 413, "Payload too large"),
    ("unsupported_media_type", 415, "Unsupported media type"),
    ("invalid_body", 422, "Invalid request body"),
    ("validation_failed", 422, "Validation failed"),
    ("plan_inactive", 422, "Plan inactive"),
    ("unknown_metric", 422, "Unknown metric"),
    ("unknown_feature", 422, "Unknown feature"),
    ("idempotency_key_reused", 422, "Idempotency key reused"),
    ("payment_declined", 402, "Payment declined"),
    ("internal_error", 500, "Internal error"),
    ("service_unavailable", 503, "Service unavailable"),
];

/// Problems that reject a request before any use case runs (its shape, its credential, its
/// route): an idempotency key used with such a request stays free, so the corrected request runs.
const REJECTIONS: &[&str] = &[
    "malformed_json",
    "malformed_body",
    "invalid_parameter",
    "invalid_body",
    "payload_too_large",
    "unsupported_media_type",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
];

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
    code: &'static str,
    title: &'static str,
    detail: String,
    extra: Map<String, Value>,
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl ApiError {
    /// A problem with `code` (one of [`PROBLEM_CODES`]) and a human `detail`.
    pub fn new(code: &'static str, detail: impl Into<String>) -> Self {
        let (status, title) = PROBLEM_CODES
            .iter()
            .find(|(c, _, _)| *c == code)
            .map_or((500, "Internal error"), |(_, status, title)| (*status, *title));
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            title,
            detail: detail.into(),
            extra: Map::new(),
        }
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
        self.code
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The human detail.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// Whether the request was rejected before any use case ran (malformed or invalid body,
    /// credential, route): nothing was applied, and nothing is recorded for its idempotency key.
    pub fn is_rejection(&self) -> bool {
        REJECTIONS.contains(&self.code)
    }

    /// The problem document as JSON.
    pub fn to_json(&self) -> Value {
        let mut doc = Map::new();
        doc.insert("type".into(), format!("{PROBLEM_TYPE_BASE}{}", self.code).into());
        doc.insert("title".into(), self.title.into());
        doc.insert("status".into(), self.status.as_u16().into());
        doc.insert("detail".into(), self.detail.clone().into());
        doc.insert("code".into(), self.code.into());
        for (name, value) in &self.extra {
            doc.entry(name.clone()).or_insert_with(|| value.clone());
        }
        Value::Object(doc)
    }

    /// The 401 answer for a missing or invalid credential.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ApiError::new("unauthorized", detail)
    }

    /// A storage failure: 503 when the database is unreachable (fail closed), 500 otherwise.
    pub fn store(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(why) => {
                tracing::warn!(error = %why, "storage unavailable");
                ApiError::new("service_unavailable", "The service is temporarily unavailable; retry later.")
            }
            other => ApiError::internal(other),
        }
    }

    /// A 500 that says nothing internal; the cause is logged.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        ApiError::new("internal_error", "An internal error occurred; it has been logged.")
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
        match error {
            AppError::AccountNotFound => ApiError::new("account_not_found", "No account has this key."),
            AppError::AccountExists => {
                ApiError::new("account_exists", "An account with this key already exists.").param("key")
            }
            AppError::PlanNotFound(code) => {
                let problem = ApiError::new("plan_not_found", format!("No plan has the code {code}."));
                match plan {
                    PlanRef::Path => problem,
                    PlanRef::Body => problem.status_422().param("plan"),
                }
            }
            AppError::PlanInactive(code) => {
                ApiError::new("plan_inactive", format!("The plan {code} is not open to new subscriptions."))
                    .param("plan")
            }
            AppError::UnknownMetric(metric) => {
                ApiError::new("unknown_metric", format!("No plan defines the metric {metric}."))
                    .param("metric")
            }
            AppError::UnknownFeature(feature) => {
                ApiError::new("unknown_feature", format!("No plan defines the feature {feature}."))
                    .param("feature")
            }
            AppError::NoSubscription => {
                ApiError::new("subscription_not_found", "The account has no subscription.")
            }
            AppError::Invalid(invalid) => {
                ApiError::new("validation_failed", invalid.reason).param(invalid.field)
            }
            AppError::Subscription(SubscriptionError::Invalid(invalid)) => {
                ApiError::new("validation_failed", invalid.reason).param(invalid.field)
            }
            AppError::Subscription(error) => {
                let detail = match &error {
                    SubscriptionError::IllegalTransition { from, .. } => format!(
                        "The subscription is {}: this change is not possible from that status.",
                        from.as_str()
                    ),
                    _ => format!("{error}."),
                };
                ApiError::new("invalid_transition", detail)
            }
            AppError::IdempotencyMismatch => ApiError::new(
                "idempotency_key_reused",
                "This idempotency key was already used for a different request.",
            ),
            AppError::Gateway(GatewayError::Declined(why)) => {
                ApiError::new("payment_declined", format!("The payment was declined: {why}."))
            }
            AppError::Gateway(error @ GatewayError::Unavailable(_)) => {
                tracing::warn!(%error, "payment gateway unavailable");
                ApiError::new("service_unavailable", "The payment gateway is unavailable; retry later.")
            }
            AppError::Gateway(error @ (GatewayError::InvalidSignature | GatewayError::Malformed(_))) => {
                ApiError::internal(error)
            }
            AppError::Unavailable(why) => ApiError::store(StoreError::Unavailable(why)),
            AppError::Internal(why) => ApiError::internal(why),
        }
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

    fn error_response(&self) -> HttpResponse {
        let body = serde_json::to_vec(&self.to_json()).unwrap_or_default();
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        let mut response = response.body(body);
        if self.is_rejection() {
            response.extensions_mut().insert(Rejected);
        }
        response
    }
}

/// Turns a JSON body error into its problem: syntax errors are 400 `malformed_json`; a wrong
/// type, an unknown or missing field, an invalid value are 422 `invalid_body` naming the field.
pub fn json_error(error: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = error.inner();
    match inner.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            ApiError::new("malformed_json", format!("The body is not valid JSON: {inner}."))
        }
        serde_json::error::Category::Io => ApiError::new("malformed_body", "The body could not be read."),
        serde_json::error::Category::Data => {
            let message = strip_position(&inner.to_string());
            let path = error.path().to_string();
            if path.starts_with('[') {
                // A struct read from an array: every body of this API is an object.
                return ApiError::new("invalid_body", "The body must be a JSON object.");
            }
            let base = if path == "." { String::new() } else { path };
            let param = match named_field(&message) {
                // serde reports an unknown field at its own path, a missing one at its parent's.
                Some(field) if base.is_empty() => field.to_owned(),
                Some(field) if base == field || base.ends_with(&format!(".{field}")) => base,
                Some(field) => format!("{base}.{field}"),
                None => base,
            };
            let detail = if param.is_empty() {
                format!("The body is invalid: {message}.")
            } else {
                format!("Invalid {param}: {message}.")
            };
            let problem = ApiError::new("invalid_body", detail);
            if param.is_empty() { problem } else { problem.param(param) }
        }
    }
}

/// serde_json appends " at line L column C"; the detail reads better without it.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// The field named by "unknown field `x`" and "missing field `x`" messages, whose path is the
/// enclosing object.
fn named_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `").or_else(|| message.strip_prefix("missing field `"))?;
    rest.split('`').next()
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use tollgate_domain::{InvalidValue, PlanCode, Quantity, Status, Transition};

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        metric: String,
        quantity: Quantity,
    }

    fn parse(json: &str) -> ApiError {
        crate::body::parse::<Body>(json.as_bytes()).unwrap_err()
    }

    #[test]
    fn every_code_has_one_status() {
        for (i, (code, status, _)) in PROBLEM_CODES.iter().enumerate() {
            assert!(PROBLEM_CODES[i + 1..].iter().all(|(c, _, _)| c != code), "{code} twice");
            assert_eq!(ApiError::new(code, "x").status().as_u16(), *status);
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        let cases = [
            (r#"{"metric": "t", "quantity": "1"}"#, "invalid_body", Some("quantity")),
            (r#"{"metric": "t", "quantity": 0}"#, "invalid_body", Some("quantity")),
            (r#"{"metric": "t", "quantity": -1}"#, "invalid_body", Some("quantity")),
            (r#"{"metric": "t", "quantity": 1.5}"#, "invalid_body", Some("quantity")),
            (r#"{"metric": "t", "quantity": 1000000000001}"#, "invalid_body", Some("quantity")),
            (r#"{"metric": "t"}"#, "invalid_body", Some("quantity")),
            (r#"{"metric": "t", "quantity": 1, "colour": 1}"#, "invalid_body", Some("colour")),
            (r#"{"metric": 5, "quantity": 1}"#, "invalid_body", Some("metric")),
            (r#"{"metric": "t", "#, "malformed_json", None),
            (r#"{} {}"#, "malformed_json", None),
            (r#"{"metric": "t", "quantity": null}"#, "invalid_body", Some("quantity")),
            (r#"{"metric": "t", "quantity": 99999999999999999999999}"#, "invalid_body", Some("quantity")),
            (r#"[1, 2]"#, "invalid_body", None),
        ];
        for (json, code, param) in cases {
            let problem = parse(json);
            assert_eq!(problem.code(), code, "{json}: {problem:?}");
            assert_eq!(problem.to_json().get("param").and_then(Value::as_str), param, "{json}");
        }
    }

    #[test]
    fn app_errors_map_to_one_status_and_code() {
        let plan = PlanCode::parse("gold").unwrap();
        let cases = [
            (ApiError::app(AppError::AccountNotFound), 404, "account_not_found"),
            (ApiError::app(AppError::AccountExists), 409, "account_exists"),
            (ApiError::app(AppError::PlanNotFound(plan.clone())), 404, "plan_not_found"),
            (ApiError::app_body(AppError::PlanNotFound(plan.clone())), 422, "plan_not_found"),
            (ApiError::app(AppError::PlanInactive(plan)), 422, "plan_inactive"),
            (ApiError::app(AppError::NoSubscription), 404, "subscription_not_found"),
            (ApiError::app(AppError::Invalid(InvalidValue::new("name", "bad"))), 422, "validation_failed"),
            (
                ApiError::app(AppError::Subscription(SubscriptionError::IllegalTransition {
                    from: Status::Cancelled,
                    transition: Transition::Resume,
                })),
                409,
                "invalid_transition",
            ),
            (ApiError::app(AppError::IdempotencyMismatch), 422, "idempotency_key_reused"),
            (ApiError::app(AppError::Unavailable("down".into())), 503, "service_unavailable"),
            (ApiError::app(AppError::Internal("boom".into())), 500, "internal_error"),
        ];
        for (problem, status, code) in cases {
            assert_eq!((problem.status().as_u16(), problem.code()), (status, code));
        }
        let internal = ApiError::app(AppError::Internal("secret detail".into())).to_json();
        assert!(!internal.to_string().contains("secret detail"));
    }

    #[test]
    fn problems_are_rfc9457_documents() {
        let doc = ApiError::new("unknown_metric", "No plan defines the metric x.").param("metric").to_json();
        assert_eq!(doc["status"], 422);
        assert_eq!(doc["code"], "unknown_metric");
        assert_eq!(doc["param"], "metric");
        assert!(doc["type"].as_str().unwrap().ends_with("#unknown_metric"));
        assert_eq!(doc["title"], "Unknown metric");
    }
}
