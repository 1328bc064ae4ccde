//! Operations: liveness, readiness, metrics, the OpenAPI document, and the problems of unknown
//! routes and methods.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::HttpState;
use crate::problem::{ApiError, Detail, ProblemCode};

pub(crate) async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub(crate) async fn ready(state: web::Data<HttpState>) -> HttpResponse {
    match state.health.ready().await {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ok", "checks": { "database": "ok" } })),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            let problem = ApiError::new(ProblemCode::ServiceUnavailable, Detail::DatabaseUnreachable)
                .with("checks", json!({ "database": "unavailable" }));
            actix_web::ResponseError::error_response(&problem)
        }
    }
}

pub(crate) async fn metrics(state: web::Data<HttpState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        ))
        .body(state.metrics.render())
}

pub(crate) async fn openapi(state: web::Data<HttpState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static("application/json")))
        .body(state.openapi.clone())
}

pub(crate) async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let (method, path) = (req.method().to_string(), req.path().to_owned());
    Err(ApiError::new(ProblemCode::NotFound, Detail::NoRoute { method, path }))
}

pub(crate) async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let (method, path) = (req.method().to_string(), req.path().to_owned());
    let problem = ApiError::new(ProblemCode::MethodNotAllowed, Detail::MethodNotAllowed { method, path });
    let mut response = actix_web::ResponseError::error_response(&problem);
    // RFC 9110 (15.5.6): a 405 lists the methods the resource supports.
    // The route as the router matched it (the decoded path), resolved once by the middleware.
    let pattern = req.extensions().get::<crate::middleware::Matched>().and_then(|m| m.pattern.clone());
    let allowed = super::declared_methods(pattern.as_deref()).join(", ");
    if let Ok(value) = HeaderValue::from_str(&allowed) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}
