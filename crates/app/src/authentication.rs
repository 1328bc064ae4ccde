//! Authentication: which caller a bearer credential stands for. An API key is looked up by its
//! fingerprint through a short cache, so the hot path rarely touches the key store, with
//! revocation marks so a key revoked here is refused at once; a user's access token (a JWT) is
//! verified, then its session checked (see [`crate::identity`]).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tollgate_domain::{ApiKey, ApiKeyId, Caller};
use tollgate_ports::{ApiKeyStore, SecretMinter, StoreError};

use crate::{AppError, Tollgate};

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
    cache: HashMap<String, (Caller, Instant)>,
    revoked: HashSet<String>,
}

impl Authenticator {
    pub(crate) fn new(keys: Arc<dyn ApiKeyStore>, secrets: Arc<dyn SecretMinter>) -> Self {
        Self { keys, secrets, verified: RwLock::default() }
    }

    /// The caller of `credential`; `None` for a key that is unknown or revoked.
    async fn authenticate(&self, credential: &str) -> Result<Option<Caller>, StoreError> {
        let fingerprint = self.secrets.fingerprint(credential);
        if let Some(principal) = self.cached(&fingerprint) {
            return Ok(Some(principal));
        }
        let Some(key) = self.keys.find_by_hash(&fingerprint).await? else { return Ok(None) };
        if key.revoked_at.is_some() || !constant_time_eq(key.secret_hash.as_bytes(), fingerprint.as_bytes()) {
            return Ok(None);
        }
        let caller = Caller::PlatformKey { id: key.id, role: key.role };
        Ok(self.remember(fingerprint, caller.clone()).then_some(caller))
    }

    /// Forgets cached verifications of the key `id` (its secret was replaced).
    pub(crate) fn forget(&self, id: &ApiKeyId) {
        let mut verified = self.verified.write().unwrap_or_else(|p| p.into_inner());
        verified.cache.retain(|_, (caller, _)| key_of(caller) != Some(id));
    }

    /// Refuses `key` from now on in this instance, whatever the store or the cache says (other
    /// instances stop accepting it within the cache's lifetime, 5 s).
    pub(crate) fn revoked(&self, key: &ApiKey) {
        let mut verified = self.verified.write().unwrap_or_else(|p| p.into_inner());
        verified.revoked.insert(key.secret_hash.clone());
        verified.cache.retain(|_, (caller, _)| key_of(caller) != Some(&key.id));
    }

    fn cached(&self, fingerprint: &str) -> Option<Caller> {
        let verified = self.verified.read().unwrap_or_else(|p| p.into_inner());
        // Constant-time comparison of the stored fingerprint, as for the store's answer.
        let (stored, (caller, at)) = verified.cache.get_key_value(fingerprint)?;
        (at.elapsed() < CACHE_TTL && constant_time_eq(stored.as_bytes(), fingerprint.as_bytes()))
            .then(|| caller.clone())
    }

    /// Caches a verification; `false` (nothing cached) when this instance revoked the key.
    fn remember(&self, fingerprint: String, caller: Caller) -> bool {
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
        cache.insert(fingerprint, (caller, Instant::now()));
        true
    }
}

/// The API key a cached caller stands for.
fn key_of(caller: &Caller) -> Option<&ApiKeyId> {
    match caller {
        Caller::PlatformKey { id, .. } | Caller::AccountKey { id, .. } => Some(id),
        Caller::User { .. } => None,
    }
}

/// Whether a bearer credential is a user's access token, a JWT (three base64url segments of a JSON
/// header), rather than an API key secret (which never starts with a JSON header).
pub fn is_jwt(credential: &str) -> bool {
    credential.starts_with("eyJ") && credential.bytes().filter(|b| *b == b'.').count() == 2
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Tollgate {
    /// The caller a bearer `credential` stands for: an API key's secret, or a user's access token;
    /// `None` when it is neither a known, unrevoked key nor a valid token of a live session. A key
    /// revoked through this instance is refused at once; through another, within 5 s
    /// (verifications are cached that long). Sessions: see [`Tollgate::authenticate_token`].
    ///
    /// # Errors
    /// [`AppError::Unavailable`] or [`AppError::Internal`] when a store fails.
    pub async fn authenticate(&self, credential: &str) -> Result<Option<Caller>, AppError> {
        if is_jwt(credential) {
            return match self.authenticate_token(credential).await {
                Ok(caller) => Ok(Some(caller)),
                Err(AppError::Unauthenticated) => Ok(None),
                Err(error) => Err(error),
            };
        }
        self.access.authenticate(credential).await.map_err(crate::api_keys::key_store_error)
    }
}

#[cfg(test)]
mod tests {
    use super::{constant_time_eq, is_jwt};

    #[test]
    fn jwts_are_told_from_api_keys_by_their_shape() {
        assert!(is_jwt("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"));
        assert!(!is_jwt("tg_0123456789abcdef"));
        assert!(!is_jwt("eyJ.only-one-dot"));
    }

    #[test]
    fn constant_time_comparison_tells_equal_from_different_bytes() {
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"sane"));
        assert!(!constant_time_eq(b"same", b"same!"));
    }
}
