//! Safe retries of mutating requests: the `Idempotency-Key` header.
//!
//! The first request with a key inserts an in-progress record (its fingerprint: method, path and
//! SHA-256 of the body), runs, and stores its status and body for 24 hours. A retry with the same
//! key and body replays that response without running anything; a different body is 422
//! `idempotency_key_in_use`. A 5xx deletes its record so the retry runs once; so does a request
//! rejected before any use case ran (malformed or invalid body, wrong content type), so that its
//! corrected retry runs. Records are scoped by credential, so two clients never see each other's.
//!
//! Each claim carries an owner token: only the request that made it completes or deletes it. A
//! claimed request runs to its end even when its client goes away (it may have committed), and
//! one that outlives its lease cannot touch the record of the retry that took its key over.
//!
//! `check`, `consume` and `release` bypass these records: `check` changes nothing, and the usage
//! ledger makes `consume` and `release` exactly-once by itself (same key and request: the first
//! outcome; same key, other metric or quantity: 422 `idempotency_key_reused`; the same key at the
//! same time: applied once, both answered with its outcome).
//!
//! An in-progress record holds a short lease ([`IN_PROGRESS_LEASE`]): should the process die
//! mid-request, the key becomes usable again when the lease ends.
//!
//! What a route does with the header is its [`Idempotency`] in the route table.

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

use crate::auth::{Principal, random_hex};
use crate::openapi::Idempotency;
use crate::problem::{ApiError, Detail, PROBLEM_JSON, Rejected, localize};
use crate::routes::matched_route;
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
    /// (one expiring after `now`) exists; the claim belongs to `owner` (a token unique to the
    /// request) and expires at `lease_until` unless completed.
    ///
    /// # Errors
    /// Storage errors.
    async fn begin(
        &self,
        scope: &str,
        key: &str,
        owner: &str,
        fingerprint: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Begin, StoreError>;

    /// Stores the response of the request that claimed `(scope, key)` as `owner`, replayable
    /// until `expires_at`. It MUST change nothing when the record is not `owner`'s claim (its
    /// lease ran out and a retry claimed the key): returns whether it stored.
    ///
    /// # Errors
    /// Storage errors.
    async fn complete(
        &self,
        scope: &str,
        key: &str,
        owner: &str,
        status: u16,
        body: &str,
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Deletes the in-progress claim `owner` holds on `(scope, key)` (its request failed), so the
    /// retry runs. It MUST leave a completed record, and another owner's claim, untouched.
    ///
    /// # Errors
    /// Storage errors.
    async fn abandon(&self, scope: &str, key: &str, owner: &str) -> Result<(), StoreError>;

    /// Deletes every record that expired at `now`; returns how many.
    ///
    /// # Errors
    /// Storage errors.
    async fn purge_expired(&self, now: OffsetDateTime) -> Result<u64, StoreError>;
}

#[derive(Debug, Clone)]
struct Record {
    owner: String,
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
        owner: &str,
        fingerprint: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Begin, StoreError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let id = (scope.to_owned(), key.to_owned());
        match records.get(&id) {
            Some(record) if record.expires_at > now => Ok(classify(record, fingerprint)),
            _ => {
                let record = Record {
                    owner: owner.to_owned(),
                    fingerprint: fingerprint.to_owned(),
                    response: None,
                    expires_at: lease_until,
                };
                records.insert(id, record);
                Ok(Begin::Started)
            }
        }
    }

    async fn complete(
        &self,
        scope: &str,
        key: &str,
        owner: &str,
        status: u16,
        body: &str,
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        match records.get_mut(&(scope.to_owned(), key.to_owned())) {
            Some(record) if record.owner == owner && record.response.is_none() => {
                record.response = Some((status, body.to_owned()));
                record.expires_at = expires_at;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn abandon(&self, scope: &str, key: &str, owner: &str) -> Result<(), StoreError> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let id = (scope.to_owned(), key.to_owned());
        if records.get(&id).is_some_and(|r| r.owner == owner && r.response.is_none()) {
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
            owner: String::new(),
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

/// The request's `Idempotency-Key`, when present: `Ok(None)` without one, a 400
/// `invalid_idempotency_key` problem when malformed.
pub(crate) fn parse_key(headers: &header::HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    match headers.get(IDEMPOTENCY_KEY) {
        None => Ok(None),
        Some(value) => {
            value.to_str().ok().and_then(|v| IdempotencyKey::parse(v).ok()).map(Some).ok_or_else(|| {
                ApiError::new("invalid_idempotency_key", Detail::InvalidIdempotencyKey)
                    .param("Idempotency-Key")
            })
        }
    }
}

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
    let Some(principal) = req.extensions().get::<Principal>().cloned() else {
        return Ok(req.error_response(ApiError::internal("idempotency ran before authentication")));
    };
    let bytes = match body::read(&mut req).await {
        Ok(bytes) => bytes,
        Err(problem) => return Ok(req.error_response(problem)),
    };
    let fingerprint = fingerprint(req.method(), req.path(), &bytes);
    let owner = match random_hex(16) {
        Ok(owner) => owner,
        Err(error) => return Ok(req.error_response(ApiError::internal(error))),
    };
    let claim =
        Claim { store: state.idempotency.clone(), scope: principal.key_id, key: key.to_string(), owner };
    let now = state.clock.now();
    let begun =
        claim.store.begin(&claim.scope, &claim.key, &claim.owner, &fingerprint, now, now + IN_PROGRESS_LEASE);
    match begun.await {
        Err(error) => Ok(req.error_response(ApiError::store(error))),
        Ok(Begin::Mismatch) => {
            Ok(req.error_response(ApiError::new("idempotency_key_reused", Detail::IdempotencyKeyReused)))
        }
        Ok(Begin::InProgress) => {
            Ok(req.error_response(ApiError::new("idempotency_key_in_use", Detail::IdempotencyKeyInUse)))
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

/// The (path, idempotency key) pairs of consumes and releases this instance is running.
#[derive(Debug, Default)]
pub(crate) struct UsageClaims(Mutex<HashSet<(String, String)>>);

impl UsageClaims {
    /// Claims `key` on `path` until the returned guard drops; `None` while it is claimed.
    pub(crate) fn claim(&self, path: String, key: String) -> Option<UsageClaim<'_>> {
        let pair = (path, key);
        let fresh = self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(pair.clone());
        fresh.then_some(UsageClaim { claims: self, pair })
    }
}

/// A consume's or release's claim on its key in this instance, held until dropped.
pub(crate) struct UsageClaim<'a> {
    claims: &'a UsageClaims,
    pair: (String, String),
}

impl Drop for UsageClaim<'_> {
    fn drop(&mut self) {
        self.claims.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.pair);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-11-23 10:00 UTC);

    pub(crate) async fn store_contract(store: &dyn IdempotencyStore) {
        let lease = NOW + IN_PROGRESS_LEASE;
        assert_eq!(store.begin("s", "k", "a", "f1", NOW, lease).await.unwrap(), Begin::Started);
        assert_eq!(store.begin("s", "k", "b", "f1", NOW, lease).await.unwrap(), Begin::InProgress);
        assert_eq!(store.begin("s", "k", "b", "f2", NOW, lease).await.unwrap(), Begin::Mismatch);
        assert_eq!(store.begin("other", "k", "c", "f2", NOW, lease).await.unwrap(), Begin::Started);
        // Only the claim's owner completes or abandons it.
        assert!(!store.complete("s", "k", "b", 200, "{}", NOW + RETENTION).await.unwrap());
        store.abandon("s", "k", "b").await.unwrap();
        assert_eq!(store.begin("s", "k", "b", "f1", NOW, lease).await.unwrap(), Begin::InProgress);
        assert!(store.complete("s", "k", "a", 201, "{\"a\":1}", NOW + RETENTION).await.unwrap());
        assert_eq!(
            store.begin("s", "k", "d", "f1", NOW, lease).await.unwrap(),
            Begin::Replay { status: 201, body: "{\"a\":1}".into() }
        );
        // A completed record is never completed again nor abandoned, even by its owner.
        assert!(!store.complete("s", "k", "a", 500, "{}", NOW + RETENTION).await.unwrap());
        store.abandon("s", "k", "a").await.unwrap();
        assert!(matches!(
            store.begin("s", "k", "d", "f1", NOW, lease).await.unwrap(),
            Begin::Replay { status: 201, .. }
        ));
        // An abandoned claim frees the key.
        store.abandon("other", "k", "c").await.unwrap();
        assert_eq!(store.begin("other", "k", "e", "f3", NOW, lease).await.unwrap(), Begin::Started);
        // A stale claim (the process died) frees the key when its lease ends; the request that
        // outlived its lease can then neither complete nor abandon the retry's claim.
        let later = lease + Duration::seconds(1);
        assert_eq!(
            store.begin("other", "k", "f", "f4", later, later + IN_PROGRESS_LEASE).await.unwrap(),
            Begin::Started
        );
        store.abandon("other", "k", "e").await.unwrap();
        assert!(!store.complete("other", "k", "e", 200, "{}", later + RETENTION).await.unwrap());
        assert_eq!(
            store.begin("other", "k", "g", "f4", later, later + IN_PROGRESS_LEASE).await.unwrap(),
            Begin::InProgress
        );
        // Completed records expire after the retention.
        let expired = NOW + RETENTION + Duration::seconds(1);
        assert_eq!(
            store.begin("s", "k", "h", "f9", expired, expired + IN_PROGRESS_LEASE).await.unwrap(),
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
