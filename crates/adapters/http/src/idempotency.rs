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
//! What a route does with the header is its [`crate::openapi::Idempotency`] in the route table.

use std::collections::HashSet;
use std::sync::Mutex;

use actix_web::http::Method;
use actix_web::http::header::HeaderName;
use sha2::{Digest, Sha256};
use time::Duration;

/// Set on a replayed response.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// How long a completed response is replayed.
pub const RETENTION: Duration = Duration::hours(24);

/// How long an in-progress record blocks its key if its request never completes.
pub const IN_PROGRESS_LEASE: Duration = Duration::seconds(60);

/// The fingerprint of a request: method, path and SHA-256 of the body.
pub fn fingerprint(method: &Method, path: &str, body: &[u8]) -> String {
    format!("{method} {path} {}", hex::encode(Sha256::digest(body)))
}

/// The (path, idempotency key) pairs of consumes and releases this instance is running.
#[derive(Debug, Default)]
pub(crate) struct UsageClaims(Mutex<HashSet<(String, String)>>);

impl UsageClaims {
    /// Claims `key` on `path` until the returned guard drops; `None` while it is claimed.
    pub(crate) fn claim(&self, path: String, key: String) -> Option<UsageClaim<'_>> {
        let pair = (path, key);
        let fresh = self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(pair.clone());
        // Built only when fresh: a guard built and dropped here would free the holder's claim.
        fresh.then(|| UsageClaim { claims: self, pair })
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
mod tests {
    use super::*;

    #[test]
    fn a_refused_claim_leaves_the_holders_claim_in_place() {
        let claims = UsageClaims::default();
        let held = claims.claim("/p".into(), "k".into());
        assert!(held.is_some());
        assert!(claims.claim("/p".into(), "k".into()).is_none(), "refused while held");
        assert!(claims.claim("/p".into(), "k".into()).is_none(), "still held after a refusal");
        drop(held);
        assert!(claims.claim("/p".into(), "k".into()).is_some(), "free once dropped");
    }

    #[test]
    fn fingerprints_cover_method_path_and_body() {
        let a = fingerprint(&Method::POST, "/v1/accounts/a/consume", b"{}");
        assert_ne!(a, fingerprint(&Method::POST, "/v1/accounts/b/consume", b"{}"));
        assert_ne!(a, fingerprint(&Method::PUT, "/v1/accounts/a/consume", b"{}"));
        assert_ne!(a, fingerprint(&Method::POST, "/v1/accounts/a/consume", b"{ }"));
    }
}
