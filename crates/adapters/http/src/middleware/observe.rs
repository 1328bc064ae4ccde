//! The outermost middleware: request id, tracing span, metrics and the access log.

use std::time::Instant;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use tracing::Instrument;

use super::route::matched_route;
use crate::HttpState;
use crate::metrics::UNMATCHED;
use crate::request::random_hex;

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
