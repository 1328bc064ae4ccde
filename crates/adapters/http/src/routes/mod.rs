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
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, Route, web};
use tracing::Instrument;

use crate::HttpState;
use crate::auth::{AuthError, random_hex};
use crate::metrics::UNMATCHED;
use crate::openapi::{self, Access, ROUTES, RouteDoc};
use crate::problem::{ApiError, Detail, ProblemCode};

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

/// The route a request matched, resolved once per request (resolving walks the route table;
/// when each middleware did it, it cost a third of a check's CPU).
///
/// It is resolved on the percent-decoded path the router dispatches on, not the raw one: a
/// request whose raw path names no route (`/v1/%61ccounts`) must not pass for unmatched while
/// the router sends it to a handler.
#[derive(Clone)]
pub(crate) struct Matched {
    /// The pattern (`/v1/accounts/{key}/check`), or `None` when no route matches.
    pub(crate) pattern: Option<Rc<str>>,
    /// The route's entry in [`ROUTES`](crate::openapi::ROUTES) for this method, when the pattern
    /// serves it.
    pub(crate) doc: Option<&'static RouteDoc>,
}

/// The route `req` matched (see [`Matched`]).
pub(crate) fn matched_route(req: &ServiceRequest) -> Matched {
    if let Some(matched) = req.extensions().get::<Matched>() {
        return matched.clone();
    }
    let pattern: Option<Rc<str>> =
        req.resource_map().match_pattern(req.match_info().as_str()).map(Into::into);
    let doc = pattern.as_deref().and_then(|p| openapi::policy(req.method().as_str(), p));
    let matched = Matched { pattern, doc };
    req.extensions_mut().insert(matched.clone());
    matched
}

/// Whether `path` (percent-decoded) is under the versioned API, where nothing is public unless
/// its route says so.
fn under_api(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
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
    let route = matched_route(&req).pattern;
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

/// Authenticates every request that is not explicitly public, failing closed. A request goes
/// through without a credential only when its route's entry says `Public` (or, for a method its
/// path does not serve, when every route of the path is public: the answer is a 405), or when it
/// matches no route outside `/v1` (the answer is a 404). Everything else needs a valid key (401
/// otherwise), and an admin key where its entry says `Admin` (403 otherwise); the
/// [`crate::Principal`] goes into the request's extensions, where handlers take it from.
pub(crate) async fn authenticate(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Matched { pattern, doc } = matched_route(&req);
    let public = match (doc, pattern.as_deref()) {
        (Some(doc), _) => doc.access == Access::Public,
        // A method the path does not serve: its answer is a 405, public where the path is.
        (None, Some(pattern)) => openapi::public_path(pattern),
        (None, None) => !under_api(req.match_info().as_str()),
    };
    if public {
        return next.call(req).await;
    }
    let Some(state) = req.app_data::<web::Data<HttpState>>().cloned() else {
        return Ok(req.error_response(ApiError::internal("the HTTP state is not registered")));
    };
    let authorization = req.headers().get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or(""));
    match state.auth.authenticate(authorization).await {
        Ok(principal) if doc.is_some_and(|d| d.access == Access::Admin) && !principal.is_admin() => {
            Ok(req.error_response(ApiError::new(ProblemCode::Forbidden, Detail::AdminOnly)))
        }
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

/// A resource whose other methods answer 405 as a problem.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(ops::method_not_allowed))
}

/// The handler of an operation of [`ROUTES`], by its id; `None` for an id without one (a test
/// requests every route of the table, so a missing handler cannot go unnoticed).
fn endpoint(doc: &RouteDoc) -> Option<Route> {
    let method = Method::from_bytes(doc.method.to_ascii_uppercase().as_bytes()).ok()?;
    let route = web::method(method);
    Some(match doc.operation_id {
        "live" => route.to(ops::live),
        "ready" => route.to(ops::ready),
        "metrics" => route.to(ops::metrics),
        "openapi" => route.to(ops::openapi),
        "list_plans" => route.to(plans::list),
        "get_plan" => route.to(plans::get),
        "create_account" => route.to(accounts::create),
        "get_account" => route.to(accounts::get),
        "get_subscription" => route.to(accounts::subscription),
        "change_subscription" => route.to(accounts::change_subscription),
        "cancel_subscription" => route.to(accounts::cancel),
        "resume_subscription" => route.to(accounts::resume),
        "check" => route.to(enforcement::check),
        "consume" => route.to(enforcement::consume),
        "release" => route.to(enforcement::release),
        "usage" => route.to(enforcement::usage),
        "create_api_key" => route.to(api_keys::create),
        "list_api_keys" => route.to(api_keys::list),
        "revoke_api_key" => route.to(api_keys::revoke),
        "suspend_account" => route.to(accounts::suspend),
        "activate_account" => route.to(accounts::activate),
        "mark_account_past_due" => route.to(accounts::past_due),
        _ => return None,
    })
}

/// Registers every route of [`ROUTES`], one resource per path with a route per method; what
/// each route requires is applied by the middleware from the same table.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    let mut paths: Vec<&str> = Vec::new();
    for doc in ROUTES {
        if !paths.contains(&doc.path) {
            paths.push(doc.path);
        }
    }
    for path in paths {
        let mut resource = resource(path);
        for doc in ROUTES.iter().filter(|d| d.path == path) {
            match endpoint(doc) {
                Some(route) => resource = resource.route(route),
                None => tracing::error!(operation = doc.operation_id, "a route of the table has no handler"),
            }
        }
        cfg.service(resource);
    }
    cfg.default_service(web::to(ops::not_found));
}
