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

mod detail;

use std::fmt;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Map, Value};
use tollgate_app::AppError;
use tollgate_domain::{Locale, SubscriptionError};
use tollgate_ports::{GatewayError, StoreError};

pub use self::detail::Detail;
use crate::auth::Refusal;
use crate::extract::request_locale;

/// The media type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Where problem types are documented; a problem's `type` is this followed by its code.
pub const PROBLEM_TYPE_BASE: &str =
    "https://github.com/tollgate-billing/tollgate/blob/main/docs/problems.md#";

/// Every problem code the API answers, with its status and its title in English and in French,
/// for the responses, the documentation (the OpenAPI document lists them) and tests.
pub const PROBLEM_CODES: &[(&str, u16, &str, &str)] = &[
    ("malformed_json", 400, "Malformed JSON", "JSON malformé"),
    ("malformed_body", 400, "Unreadable request body", "Corps de requête illisible"),
    ("invalid_parameter", 400, "Invalid parameter", "Paramètre invalide"),
    ("idempotency_key_required", 400, "Idempotency key required", "Clé d'idempotence requise"),
    ("invalid_idempotency_key", 400, "Invalid idempotency key", "Clé d'idempotence invalide"),
    ("unauthorized", 401, "Unauthorized", "Non authentifié"),
    ("forbidden", 403, "Forbidden", "Interdit"),
    ("not_found", 404, "Not found", "Introuvable"),
    ("account_not_found", 404, "Account not found", "Compte introuvable"),
    ("plan_not_found", 404, "Plan not found", "Offre introuvable"),
    ("subscription_not_found", 404, "Subscription not found", "Abonnement introuvable"),
    ("api_key_not_found", 404, "API key not found", "Clé d'API introuvable"),
    ("method_not_allowed", 405, "Method not allowed", "Méthode non autorisée"),
    ("account_exists", 409, "Account exists", "Le compte existe déjà"),
    ("invalid_transition", 409, "Invalid subscription transition", "Transition d'abonnement invalide"),
    ("idempotency_key_in_use", 409, "Idempotency key in use", "Clé d'idempotence en cours d'utilisation"),
    ("conflict", 409, "Concurrent change", "Modification concurrente"),
    ("payload_too_large", 413, "Payload too large", "Corps trop volumineux"),
    ("unsupported_media_type", 415, "Unsupported media type", "Type de contenu non pris en charge"),
    ("invalid_body", 422, "Invalid request body", "Corps de requête invalide"),
    ("validation_failed", 422, "Validation failed", "Validation échouée"),
    ("plan_inactive", 422, "Plan inactive", "Offre inactive"),
    ("unknown_metric", 422, "Unknown metric", "Métrique inconnue"),
    ("unknown_feature", 422, "Unknown feature", "Fonctionnalité inconnue"),
    ("idempotency_key_reused", 422, "Idempotency key reused", "Clé d'idempotence déjà utilisée"),
    ("payment_declined", 402, "Payment declined", "Paiement refusé"),
    ("internal_error", 500, "Internal error", "Erreur interne"),
    ("service_unavailable", 503, "Service unavailable", "Service indisponible"),
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
    titles: (&'static str, &'static str),
    // Boxed: `Result<_, ApiError>` is the return type of every handler and extractor, and stays
    // small for their happy path.
    detail: Box<Detail>,
    extra: Map<String, Value>,
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail.render(Locale::En))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail.render(Locale::En))
    }
}

/// The problem a response was written from, kept in the response's extensions until
/// [`localize`] has written it in the request's language.
#[derive(Debug, Clone)]
struct Unlocalized(ApiError);

impl ApiError {
    /// A problem with `code` (one of [`PROBLEM_CODES`]) saying `detail`.
    pub fn new(code: &'static str, detail: Detail) -> Self {
        let (status, titles) = PROBLEM_CODES
            .iter()
            .find(|(c, ..)| *c == code)
            .map_or((500, ("Internal error", "Erreur interne")), |(_, status, en, fr)| (*status, (*en, *fr)));
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            titles,
            detail: Box::new(detail),
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

    /// The title in `locale`.
    pub fn title(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::En => self.titles.0,
            Locale::Fr => self.titles.1,
        }
    }

    /// The human detail in `locale`.
    pub fn detail(&self, locale: Locale) -> String {
        self.detail.render(locale)
    }

    /// Whether the request was rejected before any use case ran (malformed or invalid body,
    /// credential, route): nothing was applied, and nothing is recorded for its idempotency key.
    pub fn is_rejection(&self) -> bool {
        REJECTIONS.contains(&self.code)
    }

    /// The problem document as JSON, in `locale`.
    pub fn to_json(&self, locale: Locale) -> Value {
        let mut doc = Map::new();
        doc.insert("type".into(), format!("{PROBLEM_TYPE_BASE}{}", self.code).into());
        doc.insert("title".into(), self.title(locale).into());
        doc.insert("status".into(), self.status.as_u16().into());
        doc.insert("detail".into(), self.detail(locale).into());
        doc.insert("code".into(), self.code.into());
        for (name, value) in &self.extra {
            doc.entry(name.clone()).or_insert_with(|| value.clone());
        }
        Value::Object(doc)
    }

    /// The 401 answer for a missing or invalid credential.
    pub fn unauthorized(refusal: Refusal) -> Self {
        ApiError::new("unauthorized", Detail::Unauthorized(refusal))
    }

    /// A storage failure: 503 when the database is unreachable (fail closed), 500 otherwise.
    pub fn store(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(why) => {
                tracing::warn!(error = %why, "storage unavailable");
                ApiError::new("service_unavailable", Detail::Unavailable)
            }
            other => ApiError::internal(other),
        }
    }

    /// A 500 that says nothing internal; the cause is logged.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        ApiError::new("internal_error", Detail::Internal)
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
            AppError::AccountNotFound => ApiError::new("account_not_found", Detail::AccountNotFound),
            AppError::AccountExists => ApiError::new("account_exists", Detail::AccountExists).param("key"),
            AppError::PlanNotFound(code) => {
                let problem = ApiError::new("plan_not_found", Detail::PlanNotFound(Some(code)));
                match plan {
                    PlanRef::Path => problem,
                    PlanRef::Body => problem.status_422().param("plan"),
                }
            }
            AppError::PlanInactive(code) => {
                ApiError::new("plan_inactive", Detail::PlanInactive(code)).param("plan")
            }
            AppError::UnknownMetric(metric) => {
                ApiError::new("unknown_metric", Detail::UnknownMetric(metric)).param("metric")
            }
            AppError::UnknownFeature(feature) => {
                ApiError::new("unknown_feature", Detail::UnknownFeature(feature)).param("feature")
            }
            AppError::NoSubscription => ApiError::new("subscription_not_found", Detail::NoSubscription),
            AppError::Invalid(invalid) | AppError::Subscription(SubscriptionError::Invalid(invalid)) => {
                let field = invalid.field;
                ApiError::new("validation_failed", Detail::Rule(invalid)).param(field)
            }
            AppError::Subscription(SubscriptionError::IllegalTransition { from, .. }) => {
                ApiError::new("invalid_transition", Detail::IllegalTransition(from))
            }
            AppError::Subscription(SubscriptionError::NotScheduledForCancellation) => {
                ApiError::new("invalid_transition", Detail::NotScheduledForCancellation)
            }
            AppError::IdempotencyMismatch => {
                ApiError::new("idempotency_key_reused", Detail::IdempotencyKeyReused)
            }
            AppError::Conflict => ApiError::new("conflict", Detail::ConcurrentChange),
            AppError::Gateway(GatewayError::Declined(why)) => {
                ApiError::new("payment_declined", Detail::PaymentDeclined(why))
            }
            AppError::Gateway(error @ GatewayError::Unavailable(_)) => {
                tracing::warn!(%error, "payment gateway unavailable");
                ApiError::new("service_unavailable", Detail::GatewayUnavailable)
            }
            AppError::Gateway(error @ (GatewayError::InvalidSignature | GatewayError::Malformed(_))) => {
                ApiError::internal(error)
            }
            AppError::Unavailable(why) => ApiError::store(StoreError::Unavailable(why)),
            AppError::Internal(why) => ApiError::internal(why),
        }
    }

    /// 400 `malformed_json` for a document that is not JSON, saying where it stopped.
    pub fn malformed_json(error: &serde_json::Error) -> Self {
        let message = error.to_string();
        ApiError::new(
            "malformed_json",
            Detail::MalformedJson {
                message,
                eof: error.classify() == serde_json::error::Category::Eof,
                line: error.line(),
                column: error.column(),
            },
        )
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

/// Writes a problem response again in its request's language (`Accept-Language`), once; any other
/// response is returned as it is. Headers set since the problem was raised are kept.
pub fn localize(mut response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let Some(Unlocalized(problem)) = response.response_mut().extensions_mut().remove::<Unlocalized>() else {
        return response;
    };
    let locale = request_locale(response.request());
    if locale == Locale::En {
        return response;
    }
    let body = serde_json::to_vec(&problem.to_json(locale)).unwrap_or_default();
    response.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(locale.tag()));
    response.map_body(|_, _| BoxBody::new(body))
}

/// The middleware applying [`localize`] to every response of the application.
pub(crate) async fn localize_problems(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    next.call(req).await.map(localize)
}

/// Turns a JSON body error into its problem: syntax errors are 400 `malformed_json`; a wrong
/// type, an unknown or missing field, an invalid value are 422 `invalid_body` naming the field.
pub fn json_error(error: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = error.inner();
    match inner.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            ApiError::malformed_json(inner)
        }
        serde_json::error::Category::Io => ApiError::new("malformed_body", Detail::MalformedBody),
        serde_json::error::Category::Data => {
            let message = strip_position(&inner.to_string());
            let path = error.path().to_string();
            if path.starts_with('[') {
                // A struct read from an array: every body of this API is an object.
                return ApiError::new("invalid_body", Detail::NotAnObject);
            }
            let base = if path == "." { String::new() } else { path };
            let param = match named_field(&message) {
                // serde reports an unknown field at its own path, a missing one at its parent's.
                Some(field) if base.is_empty() => field.to_owned(),
                Some(field) if base == field || base.ends_with(&format!(".{field}")) => base,
                Some(field) => format!("{base}.{field}"),
                None => base,
            };
            let param = (!param.is_empty()).then_some(param);
            let problem =
                ApiError::new("invalid_body", Detail::InvalidField { param: param.clone(), message });
            match param {
                Some(param) => problem.param(param),
                None => problem,
            }
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
    use tollgate_domain::{InvalidValue, MetricName, PlanCode, Quantity, Status, Transition};

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
        for (i, (code, status, english, french)) in PROBLEM_CODES.iter().enumerate() {
            assert!(PROBLEM_CODES[i + 1..].iter().all(|(c, ..)| c != code), "{code} twice");
            let problem = ApiError::new(code, Detail::Internal);
            assert_eq!(problem.status().as_u16(), *status);
            assert_eq!((problem.title(Locale::En), problem.title(Locale::Fr)), (*english, *french));
            assert_ne!(english, french, "{code} has a French title");
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
            assert_eq!(problem.to_json(Locale::En).get("param").and_then(Value::as_str), param, "{json}");
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
        let internal = ApiError::app(AppError::Internal("secret detail".into()));
        for locale in [Locale::En, Locale::Fr] {
            assert!(!internal.to_json(locale).to_string().contains("secret detail"));
        }
    }

    #[test]
    fn problems_are_rfc9457_documents() {
        let metric = MetricName::parse("x").unwrap();
        let doc = ApiError::new("unknown_metric", Detail::UnknownMetric(metric))
            .param("metric")
            .to_json(Locale::En);
        assert_eq!(doc["status"], 422);
        assert_eq!(doc["code"], "unknown_metric");
        assert_eq!(doc["param"], "metric");
        assert!(doc["type"].as_str().unwrap().ends_with("#unknown_metric"));
        assert_eq!(doc["title"], "Unknown metric");
    }

    #[test]
    fn titles_and_details_speak_the_locale_and_nothing_else_changes() {
        let cases = [
            parse(r#"{"metric": "t", "quantity": "1"}"#),
            parse(r#"{"metric": "t", "quantity": 0}"#),
            parse(r#"{"metric": "t", "colour": 1, "quantity": 1}"#),
            parse(r#"{"metric": "t", "#),
            parse(r#"[1]"#),
            ApiError::app(AppError::AccountNotFound),
            ApiError::app_body(AppError::PlanNotFound(PlanCode::parse("gold").unwrap())),
            ApiError::app(AppError::Invalid(InvalidValue::new(
                "seats",
                "seats is a whole number from 1 to 1000000",
            ))),
            ApiError::app(AppError::Subscription(SubscriptionError::IllegalTransition {
                from: Status::PastDue,
                transition: Transition::Suspend,
            })),
            ApiError::app(AppError::Subscription(SubscriptionError::NotScheduledForCancellation)),
            ApiError::unauthorized(Refusal::Unknown),
            ApiError::new("not_found", Detail::NoRoute { method: "GET".into(), path: "/x".into() }),
            ApiError::new("payload_too_large", Detail::PayloadTooLarge(64)),
        ];
        for problem in cases {
            let (en, fr) = (problem.to_json(Locale::En), problem.to_json(Locale::Fr));
            for member in ["type", "status", "code", "param"] {
                assert_eq!(en.get(member), fr.get(member), "{member} of {en}");
            }
            assert_ne!(en["title"], fr["title"]);
            assert_ne!(en["detail"], fr["detail"]);
            let detail = fr["detail"].as_str().unwrap();
            for english in
                ["invalid type", "invalid value", "expected", "missing field", "unknown field", "The ", "No "]
            {
                assert!(!detail.contains(english), "{english:?} in {detail}");
            }
        }
        let quantity = parse(r#"{"metric": "t", "quantity": "1"}"#);
        assert_eq!(
            quantity.detail(Locale::Fr),
            "Champ quantity invalide : type invalide : chaîne \"1\" reçu, un entier positif ou nul attendu."
        );
        assert_eq!(
            quantity.detail(Locale::En),
            "Invalid quantity: invalid type: string \"1\", expected u64."
        );
        assert_eq!(
            parse(r#"{"metric": "t", "#).detail(Locale::Fr),
            "Le corps n'est pas du JSON valide : il s'arrête avant la fin (ligne 1, colonne 16)."
        );
    }

    #[actix_web::test]
    async fn a_problem_response_is_written_again_in_the_request_language() {
        use actix_web::body::MessageBody as _;
        use actix_web::test::TestRequest;

        let problem = ApiError::app(AppError::AccountNotFound);
        let respond = |accept_language: Option<&str>| {
            let mut request = TestRequest::default();
            if let Some(value) = accept_language {
                request = request.insert_header((header::ACCEPT_LANGUAGE, value));
            }
            let mut response = problem.error_response();
            response.headers_mut().insert(header::ETAG, HeaderValue::from_static("\"kept\""));
            localize(ServiceResponse::new(request.to_http_request(), response))
        };
        let body = |response: ServiceResponse<BoxBody>| -> (String, Value) {
            let headers = response.headers();
            let language = headers.get(header::CONTENT_LANGUAGE).unwrap().to_str().unwrap().to_owned();
            assert_eq!(headers.get(header::ETAG).unwrap(), "\"kept\"");
            assert_eq!(headers.get(header::CONTENT_TYPE).unwrap(), PROBLEM_JSON);
            assert_eq!(response.status(), StatusCode::NOT_FOUND);
            let bytes = response.into_body().try_into_bytes().ok().unwrap();
            (language, serde_json::from_slice(&bytes).unwrap())
        };
        let (language, fr) = body(respond(Some("fr-CA,fr;q=0.9,en;q=0.5")));
        assert_eq!((language.as_str(), fr["detail"].as_str()), ("fr", Some("Aucun compte n'a cette clé.")));
        assert_eq!(fr["title"], "Compte introuvable");
        for accept_language in [None, Some("en-US"), Some("de"), Some("fr;q=0")] {
            let (language, en) = body(respond(accept_language));
            assert_eq!((language.as_str(), en["detail"].as_str()), ("en", Some("No account has this key.")));
        }
        // Once written for its request, a response is not written again.
        let twice = localize(respond(Some("fr")));
        assert_eq!(body(twice).1["detail"], "Aucun compte n'a cette clé.");
        let other =
            ServiceResponse::new(TestRequest::default().to_http_request(), HttpResponse::Ok().finish());
        assert!(localize(other).headers().get(header::CONTENT_LANGUAGE).is_none());
    }
}
