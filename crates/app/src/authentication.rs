//! Authentication: which API key a credential is, with a short cache so the hot path rarely
//! touches the key store, and revocation marks so a key revoked here is refused at once.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tollgate_domain::{ApiKey, ApiKeyId, Role};
use tollgate_ports::{ApiKeyStore, SecretMinter, StoreError};

use crate::{AppError, Tollgate};

/// Who is calling: the API key a request authenticated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The key's id; idempotency records are scoped by it.
    pub key_id: ApiKeyId,
    /// What the key may do.
    pub role: Role,
}

impl Principal {
    /// Whether the caller is a platform admin.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// How long a verified key is trusted without asking the store again. Revocation through this
/// instance takes effect at once; through another instance, within this time.
const CACHE_TTL: Duration = Duration::from_secs(5);
const CACHE_MAX: usize = 10_000;

/// Verifies credentials against the key store by their fingerprint.
pub(crate) struct Authenticator {
    keys: Arc<dyn ApiKeyStore>,
    secrets: Arc<dyn SecretMinter>,
    verified: RwLock<Verified>,
}

/// What this instance knows of keys: verifications it may reuse, and the keys it revoked. A
/// revocation marks the key's fingerprint, so that a verification whose store read raced the
/// revocation is neither cached nor answered.
#[derive(Default)]
struct Verified {
    cache: HashMap<String, (Principal, Instant)>,
    revoked: HashSet<String>,
}

impl Authenticator {
    pub(crate) fn new(keys: Arc<dyn ApiKeyStore>, secrets: Arc<dyn SecretMinter>) -> Self {
        Self { keys, secrets, verified: RwLock::default() }
    }

    /// The principal of `credential`; `None` for a key that is unknown or revoked.
    async fn authenticate(&self, credential: &str) -> Result<Option<Principal>, StoreError> {
        let fingerprint = self.secrets.fingerprint(credential);
        if let Some(principal) = self.cached(&fingerprint) {
            return Ok(Some(principal));
        }
        let Some(key) = self.keys.find_by_hash(&fingerprint).await? else { return Ok(None) };
        if key.revoked_at.is_some() || !constant_time_eq(key.secret_hash.as_bytes(), fingerprint.as_bytes()) {
            return Ok(None);
        }
        let principal = Principal { key_id: key.id, role: key.role };
        Ok(self.remember(fingerprint, principal.clone()).then_some(principal))
    }

    /// Forgets cached verifications of the key `id` (its secret was replaced).
    pub(crate) fn forget(&self, id: &ApiKeyId) {
        let mut verified = self.verified.write().unwrap_or_else(|p| p.into_inner());
        verified.cache.retain(|_, (p, _)| &p.key_id != id);
    }

    /// Refuses `key` from now on in this instance, whatever the store or the cache says (other
    /// instances stop accepting it within the cache's lifetime, 5 s).
    pub(crate) fn revoked(&self, key: &ApiKey) {
        let mut verified = self.verified.write().unwrap_or_else(|p| p.into_inner());
        verified.revoked.insert(key.secret_hash.clone());
        verified.cache.retain(|_, (p, _)| p.key_id != key.id);
    }

    fn cached(&self, fingerprint: &str) -> Option<Principal> {
        let verified = self.verified.read().unwrap_or_else(|p| p.into_inner());
        // Constant-time comparison of the stored fingerprint, as for the store's answer.
        let (stored, (principal, at)) = verified.cache.get_key_value(fingerprint)?;
        (at.elapsed() < CACHE_TTL && constant_time_eq(stored.as_bytes(), fingerprint.as_bytes()))
            .then(|| principal.clone())
    }

    /// Caches a verification; `false` (nothing cached) when this instance revoked the key.
    fn remember(&self, fingerprint: String, principal: Principal) -> bool {
        let mut verified = self.verified.write().unwrap_or_else(|p| p.into_inner());
        if verified.revoked.contains(&fingerprint) {
            return false;
        }
        let cache = &mut verified.cache;
        if cache.len() >= CACHE_MAX {
            cache.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(fingerprint, (principal, Instant::now()));
        true
    }
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Tollgate {
    /// The caller a bearer `credential` (an API key's secret) stands for; `None` when it is no
    /// known, unrevoked key. A key revoked through this instance is refused at once; through
    /// another, within 5 s (verifications are cached that long).
    ///
    /// # Errors
    /// [`AppError::Unavailable`] or [`AppError::Internal`] when the key store fails.
    pub async fn authenticate(&self, credential: &str) -> Result<Option<Principal>, AppError> {
        self.access.authenticate(credential).await.map_err(crate::api_keys::key_store_error)
    }
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn constant_time_comparison_tells_equal_from_different_bytes() {
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"sane"));
        assert!(!constant_time_eq(b"same", b"same!"));
    }
}
