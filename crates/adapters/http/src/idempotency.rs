//! Safe retries of mutating requests: the `Idempotency-Key` header.
//!
//! The first request with a key inserts an in-progress record (its fingerprint: method, path and
//! SHA-256 of the body), runs, and stores its status and body for 24 hours. A retry with the same
//! key and body replays that response without running anything; a different body is 422
//! `idempotency_key_reused`; a retry while the first is still running is 409
//! `idempotency_key_in_use`. A 5xx, or a request that never finished, deletes its record so the
//! retry runs once; so does a request rejected before any use case ran (malformed or invalid
//! body, wrong content type), so that its corrected retry runs. Records are scoped by credential,
//! so two clients never see each other's.
//!
//! `check`, `consume` and `release` bypass these records: `check` changes nothing, and the usage
//! ledger makes `consume` and `release` exactly-once by itself (same key and request: the first
//! outcome; same key, other metric or quantity: 422 `idempotency_key_reused`; the same key at the
//! same time: applied once, both answered with its outcome).
//!
//! An in-progress record holds a short lease ([`IN_PROGRESS_LEASE`]): should the process die
//! mid-request, the key becomes usable again when the lease ends.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use async_trait::async_trait;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use tollgate_domain::IdempotencyKey;
use tollgate_ports::StoreError;

use crate::auth::Principal;
use crate::problem::{ApiError, Detail, PROBLEM_JSON, Rejected, localize};
use crate::routes::{declares, matched_route};
use crate::{HttpState, body};

/// The request header.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// Set on a replayed response.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// How long a completed response is replayed.
pub const RETENTION: Duration = Duration::hours(24);

/// How long an in-progress record blocks its key if its request never completes.
pub const IN_PROGRESS_LEASE: Duration = Duration::seconds(60);

/// What [`IdempotencyStore::begin`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// No live record: one was inserted in progress; run the request.
    Started,
    /// A completed record with the same fingerprint: replay it.
    Replay {
        /// The stored status.
        status: u16,
        /// The stored body.
        body: String,
    },
    /// A live record with another fingerprint.
    Mismatch,
    /// A record with the same fingerprint whose request is still running.
    InProgress,
}

/// Where idempotency records live.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Atomically claims `(scope, key)` for a request with `fingerprint` unless a live record
    /// (one expiring after `now`) exists; the claim expires at `lease_until` unless completed.
    ///
    /// # Errors
    /// Storage errors.
    async fn begin(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Begin, StoreError>;

    /// Stores the response of the claimed request, replayable until `expires_at`.
    ///
    /// # Errors
    /// Storage errors.
    async fn complete(
        &self,
        scope: &str,
        key: &str,
        status: u16,
        body: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Deletes the in-progress record of a request that failed, so its retry runs.
    ///
    /// # Errors
    /// Storage errors.
    async fn abandon(&self, scope: &str, key: &str) -> Result<(), StoreError>;

    /// Deletes every record that expired at `now`; returns how many.
    ///
    /// # Errors
    /// Storage errors.
    async fn purge_expired(&self, now: OffsetDateTime) -> Result<u64, StoreError>;
}

#[derive(Debug, Clone)]
struct Record {
    fingerprint: String,
    response: Option<(u16, String)>,
    expires_at: OffsetDateTime,
}

/// Idempotency records in memory, for tests and single-process embedding.
#[derive(Debug, Default)]
pub struct MemoryIdempotency {
    records: Mutex<HashMap<(String, String), Record>>,
}

#[async_trait]
impl IdempotencyStore for MemoryIdempotency {
    async fn begin(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Begin, StoreError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let id = (scope.to_owned(), key.to_owned());
        match records.get(&id) {
            Some(record) if record.expires_at > now => Ok(classify(record, fingerprint)),
            _ => {
                let record =
                    Record { fingerprint: fingerprint.to_owned(), response: None, expires_at: lease_until };
                records.insert(id, record);
                Ok(Begin::Started)
            }
        }
    }

    async fn complete(
        &self,
        scope: &str,
        key: &str,
        status: u16,
        body: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(record) = records.get_mut(&(scope.to_owned(), key.to_owned())) {
            record.response = Some((status, body.to_owned()));
            record.expires_at = expires_at;
        }
        Ok(())
    }

    async fn abandon(&self, scope: &str, key: &str) -> Result<(), StoreError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let id = (scope.to_owned(), key.to_owned());
        if records.get(&id).is_some_and(|r| r.response.is_none()) {
            records.remove(&id);
        }
        Ok(())
    }

    async fn purge_expired(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let before = records.len();
        records.retain(|_, r| r.expires_at > now);
        Ok(u64::try_from(before - records.len()).unwrap_or(u64::MAX))
    }
}

fn classify(record: &Record, fingerprint: &str) -> Begin {
    if record.fingerprint != fingerprint {
        return Begin::Mismatch;
    }
    match &record.response {
        None => Begin::InProgress,
        Some((status, body)) => Begin::Replay { status: *status, body: body.clone() },
    }
}

/// Decides a stored record's fate for the SQL store (same rules as in memory).
pub(crate) fn classify_row(
    stored_fingerprint: &str,
    fingerprint: &str,
    response: Option<(u16, String)>,
) -> Begin {
    classify(
        &Record {
            fingerprint: stored_fingerprint.to_owned(),
            response,
            expires_at: OffsetDateTime::UNIX_EPOCH,
        },
        fingerprint,
    )
}

/// The fingerprint of a request: method, path and SHA-256 of the body.
pub fn fingerprint(method: &Method, path: &str, body: &[u8]) -> String {
    format!("{method} {path} {}", hex::encode(Sha256::digest(body)))
}

/// Whether a route requires the header (consume and release: a retry must never count twice).
/// The enforcement routes, whose key goes to the usage ledger instead of a record here.
fn ledger_backed(req: &ServiceRequest) -> bool {
    matched_route(req)
        .is_some_and(|p| p.ends_with("/check") || p.ends_with("/consume") || p.ends_with("/release"))
}

fn required(req: &ServiceRequest) -> bool {
    matched_route(req).is_some_and(|p| p.ends_with("/consume") || p.ends_with("/release"))
}

/// The idempotency middleware of mutating routes.
pub(crate) async fn middleware(
    mut req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let declared = matched_route(&req).is_some_and(|route| declares(&route, req.method()));
    if !matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH) || !declared {
        return next.call(req).await;
    }
    let key = match req.headers().get(IDEMPOTENCY_KEY) {
        None if required(&req) => {
            let problem = ApiError::new("idempotency_key_required", Detail::IdempotencyKeyRequired)
                .param("Idempotency-Key");
            return Ok(req.error_response(problem));
        }
        None => return next.call(req).await,
        Some(value) => match value.to_str().ok().map(IdempotencyKey::parse) {
            Some(Ok(key)) => key,
            _ => {
                let problem = ApiError::new("invalid_idempotency_key", Detail::InvalidIdempotencyKey)
                    .param("Idempotency-Key");
                return Ok(req.error_response(problem));
            }
        },
    };
    if ledger_backed(&req) {
        // check records nothing, and consume/release are exactly-once in the usage ledger itself
        // (the key, the counter change and the outcome commit together, and a replay answers the
        // first outcome): a second record here would only add two writes to the hot path. What
        // remains is the contract's 409 for a key whose first request is still running, which
        // this instance knows of its own requests (across instances both get the one outcome).
        if !required(&req) {
            return next.call(req).await;
        }
        let Some(state) = req.app_data::<web::Data<HttpState>>().cloned() else {
            return Ok(req.error_response(ApiError::internal("the HTTP state is not registered")));
        };
        // The path names the account (keys are per account) and the operation.
        let Some(_claim) = state.usage_claims.claim(req.path().to_owned(), key.to_string()) else {
            return Ok(
                req.error_response(ApiError::new("idempotency_key_in_use", Detail::IdempotencyKeyInUse))
            );
        };
        return next.call(req).await;
    }
    let Some(state) = req.app_data::<web::Data<HttpState>>().cloned() else {
        return Ok(req.error_response(ApiError::internal("the HTTP state is not registered")));
    };
    let Some(principal) = req.extensions().get::<Principal>().cloned() else {
        return Ok(req.error_response(ApiError::internal("idempotency ran before authentication")));
    };
    let bytes = match body::read(&mut req).await {
        Ok(bytes) => bytes,
        Err(problem) => return Ok(req.error_response(problem)),
    };
    let fingerprint = fingerprint(req.method(), req.path(), &bytes);
    let store = state.idempotency.clone();
    let now = state.clock.now();
    let scope = principal.key_id.clone();
    let begun = store.begin(&scope, key.as_str(), &fingerprint, now, now + IN_PROGRESS_LEASE).await;
    match begun {
        Err(error) => Ok(req.error_response(ApiError::store(error))),
        Ok(Begin::Mismatch) => {
            Ok(req.error_response(ApiError::new("idempotency_key_reused", Detail::IdempotencyKeyReused)))
        }
        Ok(Begin::InProgress) => {
            Ok(req.error_response(ApiError::new("idempotency_key_in_use", Detail::IdempotencyKeyInUse)))
        }
        Ok(Begin::Replay { status, body }) => Ok(req.into_response(replay(status, body))),
        Ok(Begin::Started) => {
            let guard =
                InFlight { store: store.clone(), scope: scope.clone(), key: key.to_string(), armed: true };
            req.set_payload(bytes.into());
            // An error (rather than an error response) comes only from a failed service: the
            // guard releases the claim so that the retry runs.
            let response = next.call(req).await?;
            finish(guard, response, &state).await
        }
    }
}

/// Stores the response of a claimed request (or drops the claim on a 5xx).
async fn finish(
    mut guard: InFlight,
    response: ServiceResponse<BoxBody>,
    state: &HttpState,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let status = response.status();
    if status.is_server_error() || response.response().extensions().contains::<Rejected>() {
        guard.armed = false;
        if let Err(error) = guard.store.abandon(&guard.scope, &guard.key).await {
            tracing::warn!(%error, "idempotency record not released after a failure");
        }
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
                // The claim is released by the guard.
                let problem = ApiError::internal(format!("response body unreadable: {error}"));
                return Ok(ServiceResponse::new(request, problem.error_response()));
            }
        },
    };
    let text = String::from_utf8_lossy(&bytes);
    let expires_at = state.clock.now() + RETENTION;
    match guard.store.complete(&guard.scope, &guard.key, status.as_u16(), &text, expires_at).await {
        Ok(()) => guard.armed = false,
        // The request was applied but its response is not stored: releasing the claim would
        // let a retry apply it twice, so the claim stays until its lease ends.
        Err(error) => {
            guard.armed = false;
            tracing::warn!(%error, "idempotency record not completed");
        }
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

/// The (path, idempotency key) pairs of consumes and releases this instance is running.
#[derive(Debug, Default)]
pub(crate) struct UsageClaims(Mutex<HashSet<(String, String)>>);

impl UsageClaims {
    /// Claims `key` on `path` until the returned guard drops; `None` while it is claimed.
    fn claim(&self, path: String, key: String) -> Option<UsageClaim<'_>> {
        let pair = (path, key);
        let fresh = self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(pair.clone());
        fresh.then_some(UsageClaim { claims: self, pair })
    }
}

struct UsageClaim<'a> {
    claims: &'a UsageClaims,
    pair: (String, String),
}

impl Drop for UsageClaim<'_> {
    fn drop(&mut self) {
        self.claims.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.pair);
    }
}

/// Releases an in-progress claim when its request is dropped before completing (the client went
/// away, or a panic unwound), so the retry runs.
struct InFlight {
    store: Arc<dyn IdempotencyStore>,
    scope: String,
    key: String,
    armed: bool,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (store, scope, key) =
            (self.store.clone(), std::mem::take(&mut self.scope), std::mem::take(&mut self.key));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = store.abandon(&scope, &key).await {
                    tracing::warn!(%error, "idempotency record not released");
                }
            });
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-11-23 10:00 UTC);

    pub(crate) async fn store_contract(store: &dyn IdempotencyStore) {
        let lease = NOW + IN_PROGRESS_LEASE;
        assert_eq!(store.begin("s", "k", "f1", NOW, lease).await.unwrap(), Begin::Started);
        assert_eq!(store.begin("s", "k", "f1", NOW, lease).await.unwrap(), Begin::InProgress);
        assert_eq!(store.begin("s", "k", "f2", NOW, lease).await.unwrap(), Begin::Mismatch);
        assert_eq!(store.begin("other", "k", "f2", NOW, lease).await.unwrap(), Begin::Started);
        store.complete("s", "k", 201, "{\"a\":1}", NOW + RETENTION).await.unwrap();
        assert_eq!(
            store.begin("s", "k", "f1", NOW, lease).await.unwrap(),
            Begin::Replay { status: 201, body: "{\"a\":1}".into() }
        );
        // An abandoned claim frees the key; a completed one is kept.
        store.abandon("other", "k").await.unwrap();
        assert_eq!(store.begin("other", "k", "f3", NOW, lease).await.unwrap(), Begin::Started);
        store.abandon("s", "k").await.unwrap();
        assert!(matches!(store.begin("s", "k", "f1", NOW, lease).await.unwrap(), Begin::Replay { .. }));
        // A stale claim (the process died) frees the key when its lease ends.
        let later = lease + Duration::seconds(1);
        assert_eq!(
            store.begin("other", "k", "f4", later, later + IN_PROGRESS_LEASE).await.unwrap(),
            Begin::Started
        );
        // Completed records expire after the retention.
        let expired = NOW + RETENTION + Duration::seconds(1);
        assert_eq!(
            store.begin("s", "k", "f9", expired, expired + IN_PROGRESS_LEASE).await.unwrap(),
            Begin::Started
        );
        assert_eq!(store.purge_expired(expired + RETENTION).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn the_memory_store_keeps_the_contract() {
        store_contract(&MemoryIdempotency::default()).await;
    }

    #[test]
    fn fingerprints_cover_method_path_and_body() {
        let a = fingerprint(&Method::POST, "/v1/accounts/a/consume", b"{}");
        assert_ne!(a, fingerprint(&Method::POST, "/v1/accounts/b/consume", b"{}"));
        assert_ne!(a, fingerprint(&Method::PUT, "/v1/accounts/a/consume", b"{}"));
        assert_ne!(a, fingerprint(&Method::POST, "/v1/accounts/a/consume", b"{ }"));
    }
}
