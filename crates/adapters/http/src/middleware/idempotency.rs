//! The idempotency middleware of mutating routes (see [`crate::idempotency`] for the rules).

use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use tollgate_ports::{Begin, IdempotencyStore};

use super::route::matched_route;
use crate::extract::parse_key;
use crate::idempotency::{IDEMPOTENT_REPLAYED, IN_PROGRESS_LEASE, RETENTION, fingerprint};
use crate::openapi::Idempotency;
use crate::problem::{ApiError, Detail, PROBLEM_JSON, ProblemCode, Rejected, localize};
use crate::request::random_hex;
use crate::{HttpState, body};
use tollgate_domain::Caller;

/// The idempotency middleware: what it does for a route comes from the route's
/// [`Idempotency`] in the table. `Recorded` routes get the record (claim, replay, complete);
/// `Accepted` ones have their header validated. `Ledger` routes (consume, release) take and
/// require the key in their handler, where the usage ledger makes them exactly-once.
pub(crate) async fn middleware(
    mut req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let idempotency = matched_route(&req).doc.map_or(Idempotency::None, |doc| doc.idempotency);
    if matches!(idempotency, Idempotency::None | Idempotency::Ledger) {
        return next.call(req).await;
    }
    let key = match parse_key(req.headers()) {
        Ok(Some(key)) if idempotency == Idempotency::Recorded => key,
        Ok(_) => return next.call(req).await,
        Err(problem) => return Ok(req.error_response(problem)),
    };
    let Some(state) = req.app_data::<web::Data<HttpState>>().cloned() else {
        return Ok(req.error_response(ApiError::internal("the HTTP state is not registered")));
    };
    // Keys are scoped by caller; a public route's callers (registration) share one scope, where
    // the fingerprint of the body (the password included) keeps them apart.
    let scope =
        req.extensions().get::<Caller>().map_or_else(|| "public".to_owned(), |c| c.actor_id().1.to_owned());
    let bytes = match body::read(&mut req).await {
        Ok(bytes) => bytes,
        Err(problem) => return Ok(req.error_response(problem)),
    };
    let fingerprint = fingerprint(req.method(), req.path(), &bytes);
    let owner = match random_hex(16) {
        Ok(owner) => owner,
        Err(error) => return Ok(req.error_response(ApiError::internal(error))),
    };
    let claim = Claim { store: state.idempotency.clone(), scope, key: key.to_string(), owner };
    let now = state.clock.now();
    let begun =
        claim.store.begin(&claim.scope, &claim.key, &claim.owner, &fingerprint, now, now + IN_PROGRESS_LEASE);
    match begun.await {
        Err(error) => Ok(req.error_response(ApiError::store(error))),
        Ok(Begin::Mismatch) => Ok(req
            .error_response(ApiError::new(ProblemCode::IdempotencyKeyReused, Detail::IdempotencyKeyReused))),
        Ok(Begin::InProgress) => {
            Ok(req
                .error_response(ApiError::new(ProblemCode::IdempotencyKeyInUse, Detail::IdempotencyKeyInUse)))
        }
        Ok(Begin::Replay { status, body }) => Ok(req.into_response(replay(status, body))),
        Ok(Begin::Started) => {
            req.set_payload(bytes.into());
            // The request runs to its end on its own task, whatever happens to the client: once
            // it has claimed its key it may commit, and a request dropped halfway (the client
            // went away) could neither store its response nor safely free the key for a retry.
            let running = next.call(req);
            let (done, answer) = tokio::sync::oneshot::channel();
            actix_web::rt::spawn(async move {
                let response = finish(claim, running.await, &state).await;
                let _ = done.send(response);
            });
            match answer.await {
                Ok(response) => response,
                Err(_) => Err(ApiError::internal("the request's task ended without an answer").into()),
            }
        }
    }
}

/// A request's claim on its idempotency key.
struct Claim {
    store: Arc<dyn IdempotencyStore>,
    scope: String,
    key: String,
    owner: String,
}

impl Claim {
    /// Frees the key for a retry: the request failed before changing anything.
    async fn abandon(&self) {
        if let Err(error) = self.store.abandon(&self.scope, &self.key, &self.owner).await {
            tracing::warn!(%error, "idempotency record not released after a failure");
        }
    }
}

/// Stores the response of a claimed request, or frees its key when it failed (a 5xx, a request
/// rejected before any use case ran, or an error from the service).
async fn finish(
    claim: Claim,
    result: Result<ServiceResponse<BoxBody>, actix_web::Error>,
    state: &HttpState,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = match result {
        Ok(response) => response,
        Err(error) => {
            claim.abandon().await;
            return Err(error);
        }
    };
    let status = response.status();
    if status.is_server_error() || response.response().extensions().contains::<Rejected>() {
        claim.abandon().await;
        return Ok(response);
    }
    // Stored as the client receives it, so that a replay is the body first sent.
    let (request, response) = localize(response).into_parts();
    let (head, body) = response.into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        Err(body) => match actix_web::body::to_bytes(body).await {
            Ok(bytes) => bytes,
            Err(error) => {
                // Applied, but with no response to store: the claim stays until its lease ends,
                // as freeing it would let a retry apply the request twice.
                let problem = ApiError::internal(format!("response body unreadable: {error}"));
                return Ok(ServiceResponse::new(request, problem.error_response()));
            }
        },
    };
    let text = String::from_utf8_lossy(&bytes);
    let expires_at = state.clock.now() + RETENTION;
    match claim
        .store
        .complete(&claim.scope, &claim.key, &claim.owner, status.as_u16(), &text, expires_at)
        .await
    {
        Ok(true) => {}
        // The lease ran out and a retry claimed the key: its record is left alone.
        Ok(false) => tracing::warn!("idempotency claim lost to a retry before completing"),
        // The request was applied but its response is not stored: releasing the claim would
        // let a retry apply it twice, so the claim stays until its lease ends.
        Err(error) => tracing::warn!(%error, "idempotency record not completed"),
    }
    Ok(ServiceResponse::new(request, head.set_body(bytes).map_into_boxed_body()))
}

fn replay(status: u16, body: String) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() { "application/json" } else { PROBLEM_JSON };
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
        .insert_header((IDEMPOTENT_REPLAYED, HeaderValue::from_static("true")))
        .body(body)
}
