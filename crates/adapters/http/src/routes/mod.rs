//! Route registration and the middleware around it.

mod accounts;
mod api_keys;
mod enforcement;
mod ops;
mod plans;

use std::rc::Rc;
use std::time::Instant;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpMessage, Route, web};
use tracing::Instrument;

use crate::auth::{AuthError, random_hex};
use crate::metrics::UNMATCHED;
use crate::problem::ApiError;
use crate::{HttpState, idempotency};

/// The request id header, echoed when valid, generated otherwise.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being served (in the request's extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

fn valid_request_id(value: &HeaderValue) -> Option<String> {
    let value = value.to_str().ok()?;
    ((1..=128).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':')))
    .then(|| value.to_owned())
}

/// The route pattern a request matched, resolved once per request: resolving walks the route
/// table matching every pattern, which cost a third of a check's CPU when each middleware did it.
#[derive(Clone)]
struct MatchedRoute(Option<Rc<str>>);

/// The matched route pattern (`/v1/accounts/{key}/check`), or `None` when no route matches.
pub(crate) fn matched_route(req: &ServiceRequest) -> Option<Rc<str>> {
    if let Some(MatchedRoute(route)) = req.extensions().get::<MatchedRoute>() {
        return route.clone();
    }
    let route: Option<Rc<str>> = req.match_pattern().map(Into::into);
    req.extensions_mut().insert(MatchedRoute(route.clone()));
    route
}

/// The outermost middleware: request id, tracing span, metrics and the access log.
pub(crate) async fn observe(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(valid_request_id)
        .unwrap_or_else(|| random_hex(16).unwrap_or_else(|_| "unknown".to_owned()));
    let method = req.method().clone();
    let route = matched_route(&req);
    let state = req.app_data::<web::Data<HttpState>>().cloned();
    let span = tracing::info_span!(
        "request",
        %method,
        route = route.as_deref().unwrap_or(UNMATCHED),
        request_id = %request_id,
        status = tracing::field::Empty,
    );
    req.extensions_mut().insert(RequestId(request_id.clone()));
    // (No clone of the request may live across `next.call`: routing needs it unshared.)
    let result = next.call(req).instrument(span.clone()).await;
    let status = match &result {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    };
    let elapsed = started.elapsed();
    if let Some(state) = state {
        state.metrics.observe(&method, route.as_deref(), status.as_u16(), elapsed);
    }
    span.record("status", status.as_u16());
    let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::warn!(latency_us = micros, "request failed");
        } else {
            tracing::debug!(latency_us = micros, "request served");
        }
    });
    let mut response = result?;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}

/// Authenticates the protected routes: 401 without a valid key, the [`crate::Principal`] in the
/// request's extensions otherwise. Unknown routes pass through to their 404.
pub(crate) async fn authenticate(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if matched_route(&req).is_none() {
        return next.call(req).await;
    }
    let Some(state) = req.app_data::<web::Data<HttpState>>().cloned() else {
        return Ok(req.error_response(ApiError::internal("the HTTP state is not registered")));
    };
    let authorization = req.headers().get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or(""));
    match state.auth.authenticate(authorization).await {
        Ok(principal) => {
            req.extensions_mut().insert(principal);
            next.call(req).await
        }
        Err(AuthError::Invalid(refusal)) => Ok(req.error_response(ApiError::unauthorized(refusal))),
        Err(AuthError::Store(error)) => Ok(req.error_response(ApiError::store(error))),
    }
}

/// The methods [`crate::openapi::ROUTES`] declares for a route pattern, uppercase.
pub(crate) fn declared_methods(pattern: Option<&str>) -> Vec<String> {
    crate::openapi::ROUTES
        .iter()
        .filter(|route| Some(route.path) == pattern)
        .map(|route| route.method.to_ascii_uppercase())
        .collect()
}

/// Whether [`crate::openapi::ROUTES`] declares `method` on the route pattern: when it does not,
/// the request is a 405 and nothing else about it (such as its `Idempotency-Key`) matters.
pub(crate) fn declares(pattern: &str, method: &actix_web::http::Method) -> bool {
    crate::openapi::ROUTES
        .iter()
        .any(|route| route.path == pattern && route.method.eq_ignore_ascii_case(method.as_str()))
}

/// A resource whose other methods answer 405 as a problem.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(ops::method_not_allowed))
}

fn get() -> Route {
    web::get()
}

fn post() -> Route {
    web::post()
}

/// Registers every route of [`crate::openapi::ROUTES`] with its middleware.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/health/live").route(get().to(ops::live)))
        .service(resource("/health/ready").route(get().to(ops::ready)))
        .service(resource("/metrics").route(get().to(ops::metrics)))
        .service(resource("/openapi.json").route(get().to(ops::openapi)))
        .service(resource("/v1/plans").route(get().to(plans::list)))
        .service(resource("/v1/plans/{code}").route(get().to(plans::get)))
        .service(
            web::scope("/v1")
                .wrap(from_fn(idempotency::middleware))
                .wrap(from_fn(authenticate))
                .service(resource("/accounts").route(post().to(accounts::create)))
                .service(resource("/accounts/{key}").route(get().to(accounts::get)))
                .service(
                    resource("/accounts/{key}/subscription")
                        .route(get().to(accounts::subscription))
                        .route(web::put().to(accounts::change_subscription)),
                )
                .service(resource("/accounts/{key}/subscription/cancel").route(post().to(accounts::cancel)))
                .service(resource("/accounts/{key}/subscription/resume").route(post().to(accounts::resume)))
                .service(resource("/accounts/{key}/check").route(post().to(enforcement::check)))
                .service(resource("/accounts/{key}/consume").route(post().to(enforcement::consume)))
                .service(resource("/accounts/{key}/release").route(post().to(enforcement::release)))
                .service(resource("/accounts/{key}/usage").route(get().to(enforcement::usage)))
                .service(
                    resource("/api-keys").route(post().to(api_keys::create)).route(get().to(api_keys::list)),
                )
                .service(resource("/api-keys/{id}").route(web::delete().to(api_keys::revoke)))
                .service(resource("/admin/accounts/{key}/suspend").route(post().to(accounts::suspend)))
                .service(resource("/admin/accounts/{key}/activate").route(post().to(accounts::activate)))
                .service(resource("/admin/accounts/{key}/past_due").route(post().to(accounts::past_due))),
        )
        .default_service(web::to(ops::not_found));
}
