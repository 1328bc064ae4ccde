//! # tollgate-http
//!
//! Tollgate's HTTP API (v1) on actix-web: the routes of the contract, API-key authentication,
//! RFC 9457 problem errors mapped from the use cases' errors in one place ([`ApiError`]),
//! idempotent retries of mutations ([`tollgate_ports::IdempotencyStore`]), request ids and tracing spans,
//! Prometheus metrics ([`Metrics`]) and the OpenAPI document ([`openapi::document`]).
//!
//! ```no_run
//! # use std::sync::Arc;
//! # async fn run(services: tollgate_http::Services) -> std::io::Result<()> {
//! let state = tollgate_http::HttpState::new(services);
//! actix_web::HttpServer::new(move || tollgate_http::app(state.clone()))
//!     .bind(("127.0.0.1", 8080))?
//!     .run()
//!     .await
//! # }
//! ```
#![warn(missing_docs)]

pub mod auth;
pub mod body;
mod client_ip;
mod decision;
mod extract;
pub mod idempotency;
pub mod metrics;
mod middleware;
pub mod openapi;
pub mod problem;
mod request;
mod routes;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::web::{self, Bytes};
use actix_web::{App, Error};
use async_trait::async_trait;
use tollgate_app::Tollgate;
use tollgate_ports::{Clock, IdempotencyStore};

pub use crate::auth::Principal;
pub use crate::body::MAX_BODY;
pub use crate::client_ip::TrustedProxies;
pub use crate::extract::{AccountPath, Admin, Lang, PlanPath, RequiredIdempotencyKey};
pub use crate::metrics::Metrics;
pub use crate::middleware::{REQUEST_ID, RequestId};
pub use crate::problem::{ApiError, Detail, ProblemCode};

/// What `/health/ready` asks: whether the service's dependencies (the database) answer.
#[async_trait]
pub trait HealthCheck: Send + Sync {
    /// `Ok` when ready to serve.
    ///
    /// # Errors
    /// A sentence saying what is not ready (logged, not shown).
    async fn ready(&self) -> Result<(), String>;
}

/// A dependency-free service: always ready.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysReady;

#[async_trait]
impl HealthCheck for AlwaysReady {
    async fn ready(&self) -> Result<(), String> {
        Ok(())
    }
}

/// What the HTTP adapter is wired to.
#[allow(missing_debug_implementations)]
pub struct Services {
    /// The use cases.
    pub tollgate: Arc<Tollgate>,
    /// Idempotency records.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// The readiness check.
    pub health: Arc<dyn HealthCheck>,
    /// The clock (the one the use cases read).
    pub clock: Arc<dyn Clock>,
    /// The reverse proxies whose `X-Forwarded-For` tells the client's address.
    pub trusted_proxies: TrustedProxies,
}

/// The state every handler shares (one per server, cloned into each worker).
#[allow(missing_debug_implementations)]
pub struct HttpState {
    tollgate: Arc<Tollgate>,
    idempotency: Arc<dyn IdempotencyStore>,
    health: Arc<dyn HealthCheck>,
    clock: Arc<dyn Clock>,
    trusted_proxies: TrustedProxies,
    metrics: Metrics,
    openapi: Bytes,
    usage_claims: idempotency::UsageClaims,
}

impl HttpState {
    /// The state over `services`, ready to share between workers.
    pub fn new(services: Services) -> web::Data<HttpState> {
        let openapi = Bytes::from(serde_json::to_vec(&openapi::document()).unwrap_or_default());
        web::Data::new(HttpState {
            tollgate: services.tollgate,
            idempotency: services.idempotency,
            health: services.health,
            clock: services.clock,
            trusted_proxies: services.trusted_proxies,
            metrics: Metrics::default(),
            openapi,
            usage_claims: idempotency::UsageClaims::default(),
        })
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// The actix application: every route, the middleware, the body limits and the problem answers
/// of unknown routes. Call it in the `HttpServer::new` factory with a clone of the state.
pub fn app(
    state: web::Data<HttpState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state)
        .app_data(web::PayloadConfig::new(MAX_BODY))
        .app_data(web::PathConfig::default().error_handler(|error, _| {
            ApiError::new(ProblemCode::NotFound, Detail::InvalidPath(error.to_string())).into()
        }))
        // Outermost last: observe, localize, authenticate, rate limit, idempotency, then the router.
        .wrap(actix_web::middleware::from_fn(middleware::idempotency))
        .wrap(actix_web::middleware::from_fn(middleware::rate_limit))
        .wrap(actix_web::middleware::from_fn(middleware::authenticate))
        .wrap(actix_web::middleware::from_fn(problem::localize_problems))
        .wrap(actix_web::middleware::from_fn(middleware::observe))
        .configure(routes::configure)
}

#[cfg(test)]
mod tests;
