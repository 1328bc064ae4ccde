//! Authentication: which caller a bearer credential stands for. An API key is looked up by its
//! fingerprint through a short cache, so the hot path rarely touches the key store, with
//! revocation marks so a key revoked here is refused at once; its last use is written at most
//! once a minute, off the request's path. A user's access token (a JWT) is verified, then its
//! session checked (see [`crate::identity`]).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tollgate_domain::{ApiKey, ApiKeyId, Caller};
use tollgate_ports::{ApiKeyStore, SecretMinter, StoreError};

use crate::{AppError, Tollgate};

/// How long a verified key is trusted without asking the store again. Revocation through this
/// instance takes effect at once; through another instance, within this time.
const CACHE_TTL: Duration = Duration::from_secs(5);
const CACHE_MAX: usize = 10_000;

/// How stale a key's `last_used_at` may get: one write per key per this much use.
const TOUCH_EVERY: time::Duration = time::Duration::minutes(1);

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
    cache: HashMap<String, Entry>,
    revoked: HashSet<String>,
}

/// A verified key: who it stands for, until when, and when its use was last written.
struct Entry {
    caller: Caller,
    verified_at: Instant,
    expires_at: Option<OffsetDateTime>,
    last_used: Option<OffsetDateTime>,
}

impl Entry {
    fn touch_due(&self, now: OffsetDateTime) -> bool {
        self.last_used.is_none_or(|last| now - last >= TOUCH_EVERY)
    }
}

impl Authenticator {
    pub(crate) fn new(keys: Arc<dyn ApiKeyStore>, secrets: Arc<dyn SecretMinter>) -> Self {
        Self { keys, secrets, verified: RwLock::default() }
    }

    /// The caller of `credential` at `now`; `None` for a key that is unknown, revoked or expired.
    async fn authenticate(
        &self,
        credential: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Caller>, StoreError> {
        let fingerprint = self.secrets.fingerprint(credential);
        if let Some((caller, expires_at, touch_due)) = self.cached(&fingerprint, now) {
            if expires_at.is_some_and(|end| now >= end) {
                return Ok(None);
            }
            if touch_due {
                self.touch(&fingerprint, now);
            }
            return Ok(Some(caller));
        }
        let Some(key) = self.keys.find_by_hash(&fingerprint).await? else { return Ok(None) };
        if !key.is_live(now) || !constant_time_eq(key.secret_hash.as_bytes(), fingerprint.as_bytes()) {
            return Ok(None);
        }
        let caller = Caller::of_key(&key);
        let entry = Entry {
            caller: caller.clone(),
            verified_at: Instant::now(),
            expires_at: key.expires_at,
            last_used: key.last_used_at,
        };
        let touch_due = entry.touch_due(now);
        if !self.remember(fingerprint.clone(), entry) {
            return Ok(None);
        }
        if touch_due {
            self.touch(&fingerprint, now);
        }
        Ok(Some(caller))
    }

    /// Forgets cached verifications of the key `id` (its secret was replaced).
    pub(crate) fn forget(&self, id: &ApiKeyId) {
        let mut verified = self.verified.write().unwrap_or_else(|p| p.into_inner());
        verified.cache.retain(|_, entry| key_of(&entry.caller) != Some(id));
    }

    /// Refuses `key` from now on in this instance, whatever the store or the cache says (other
    /// instances stop accepting it within the cache's lifetime, 5 s).
    pub(crate) fn revoked(&self, key: &ApiKey) {
        let mut verified = self.verified.write().unwrap_or_else(|p| p.into_inner());
        verified.revoked.insert(key.secret_hash.clone());
        verified.cache.retain(|_, entry| key_of(&entry.caller) != Some(&key.id));
    }

    /// A fresh cached verification: the caller, the key's expiry, and whether its use is due to
    /// be written.
    fn cached(
        &self,
        fingerprint: &str,
        now: OffsetDateTime,
    ) -> Option<(Caller, Option<OffsetDateTime>, bool)> {
        let verified = self.verified.read().unwrap_or_else(|p| p.into_inner());
        // Constant-time comparison of the stored fingerprint, as for the store's answer.
        let (stored, entry) = verified.cache.get_key_value(fingerprint)?;
        (entry.verified_at.elapsed() < CACHE_TTL
            && constant_time_eq(stored.as_bytes(), fingerprint.as_bytes()))
        .then(|| (entry.caller.clone(), entry.expires_at, entry.touch_due(now)))
    }

    /// Caches a verification; `false` (nothing cached) when this instance revoked the key.
    fn remember(&self, fingerprint: String, entry: Entry) -> bool {
        let mut verified = self.verified.write().unwrap_or_else(|p| p.into_inner());
        if verified.revoked.contains(&fingerprint) {
            return false;
        }
        let cache = &mut verified.cache;
        if cache.len() >= CACHE_MAX {
            cache.retain(|_, entry| entry.verified_at.elapsed() < CACHE_TTL);
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(fingerprint, entry);
        true
    }

    /// Writes the key's use at `now` in the background, unless another request of this instance
    /// did within the last minute (the entry says so). The request never waits for it, and a
    /// failed write is only logged: the next minute's use writes again.
    fn touch(&self, fingerprint: &str, now: OffsetDateTime) {
        let id = {
            let mut verified = self.verified.write().unwrap_or_else(|p| p.into_inner());
            let Some(entry) = verified.cache.get_mut(fingerprint).filter(|e| e.touch_due(now)) else {
                return;
            };
            entry.last_used = Some(now);
            let Some(id) = key_of(&entry.caller) else { return };
            id.clone()
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let keys = self.keys.clone();
        runtime.spawn(async move {
            if let Err(error) = keys.touch(&id, now).await {
                tracing::warn!(key_id = %id, %error, "the key's last use was not recorded");
            }
        });
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
    /// `None` when it is neither a known, unrevoked, unexpired key nor a valid token of a live
    /// session. Using a key records its `last_used_at`, to about a minute, in the background. A key
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
        self.access.authenticate(credential, self.now()).await.map_err(crate::api_keys::key_store_error)
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
