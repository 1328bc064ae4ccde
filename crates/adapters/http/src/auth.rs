//! API keys: opaque `tg_…` secrets, stored only as SHA-256 hashes, checked in constant time.
//!
//! The operator's key is an API key with the fixed id [`OPERATOR_KEY_ID`] and the `admin` role.
//! Keys are high-entropy random strings, so an unsalted SHA-256 hash is enough to make a stolen
//! table useless (a slow password hash would only cost time on every request).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tollgate_domain::{ApiKey, Role};
use tollgate_ports::{ApiKeyStore, Secret, StoreError};

/// The id of the operator's key (from `TOLLGATE_ADMIN_API_KEY` or generated on first start).
pub const OPERATOR_KEY_ID: &str = "key_operator";

/// Every API key starts with this.
pub const API_KEY_PREFIX: &str = "tg_";

/// Lowercase hex SHA-256 of `secret`.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `n` random bytes from the operating system, hex encoded.
///
/// # Errors
/// When the operating system has no randomness to give.
pub fn random_hex(n: usize) -> Result<String, getrandom::Error> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// A new API key secret: `tg_` and 64 hex characters (256 bits).
///
/// # Errors
/// When the operating system has no randomness to give.
pub fn generate_secret() -> Result<Secret, getrandom::Error> {
    Ok(Secret::new(format!("{API_KEY_PREFIX}{}", random_hex(32)?)))
}

/// The displayable prefix of a secret: its first 11 characters (`tg_` and 8 more).
pub fn display_prefix(secret: &str) -> String {
    secret.chars().take(11).collect()
}

/// Who is calling: the API key a request authenticated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The key's id; idempotency records are scoped by it.
    pub key_id: String,
    /// What the key may do.
    pub role: Role,
}

impl Principal {
    /// Whether the caller is a platform admin.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// What is wrong with a refused credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization` header.
    Missing,
    /// A header that is not `Bearer <key>`.
    Malformed,
    /// A key that is unknown or revoked.
    Unknown,
}

/// Why a credential was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No credential, or one that is not a known, unrevoked key.
    Invalid(Refusal),
    /// The key store failed.
    Store(StoreError),
}

/// How long a verified key is trusted without asking the store again. Revocation through this
/// instance takes effect at once; through another instance, within this time.
const CACHE_TTL: Duration = Duration::from_secs(5);
const CACHE_MAX: usize = 10_000;

/// Verifies bearer credentials against an [`ApiKeyStore`], with a short cache so the hot path
/// rarely touches the database.
pub struct Authenticator {
    keys: Arc<dyn ApiKeyStore>,
    verified: RwLock<Verified>,
}

/// What this instance knows of keys: verifications it may reuse, and the keys it revoked. A
/// revocation marks the key's hash, so that a verification whose store read raced the
/// revocation is neither cached nor answered.
#[derive(Default)]
struct Verified {
    cache: HashMap<String, (Principal, Instant)>,
    revoked: HashSet<String>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator").finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Verifies keys against `keys`.
    pub fn new(keys: Arc<dyn ApiKeyStore>) -> Self {
        Self { keys, verified: RwLock::default() }
    }

    /// The key store.
    pub fn keys(&self) -> &Arc<dyn ApiKeyStore> {
        &self.keys
    }

    /// The principal of an `Authorization` header value.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] for a missing, malformed, unknown or revoked credential;
    /// [`AuthError::Store`] when the store fails.
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, AuthError> {
        let header = authorization.ok_or(AuthError::Invalid(Refusal::Missing))?;
        let (scheme, credential) = header.trim().split_once(' ').unwrap_or((header, ""));
        let credential = credential.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || credential.is_empty() {
            return Err(AuthError::Invalid(Refusal::Malformed));
        }
        let hash = hash_secret(credential);
        if let Some(principal) = self.cached(&hash) {
            return Ok(principal);
        }
        let key = self.keys.find_by_hash(&hash).await.map_err(AuthError::Store)?;
        match key {
            Some(key)
                if key.revoked_at.is_none()
                    && constant_time_eq(key.secret_hash.as_bytes(), hash.as_bytes()) =>
            {
                let principal = Principal { key_id: key.id, role: key.role };
                if self.remember(hash, principal.clone()) {
                    Ok(principal)
                } else {
                    Err(AuthError::Invalid(Refusal::Unknown))
                }
            }
            _ => Err(AuthError::Invalid(Refusal::Unknown)),
        }
    }

    /// Forgets cached verifications of the key `id` (its secret was replaced).
    pub fn forget(&self, id: &str) {
        let mut verified = self.verified.write().unwrap_or_else(|p| p.into_inner());
        verified.cache.retain(|_, (p, _)| p.key_id != id);
    }

    /// Refuses `key` from now on in this instance, whatever the store or the cache says (other
    /// instances stop accepting it within the cache's lifetime, 5 s).
    pub fn revoked(&self, key: &ApiKey) {
        let mut verified = self.verified.write().unwrap_or_else(|p| p.into_inner());
        verified.revoked.insert(key.secret_hash.clone());
        verified.cache.retain(|_, (p, _)| p.key_id != key.id);
    }

    fn cached(&self, hash: &str) -> Option<Principal> {
        let verified = self.verified.read().unwrap_or_else(|p| p.into_inner());
        // Constant-time comparison of the stored hash, as for the store's answer.
        let (stored, (principal, at)) = verified.cache.get_key_value(hash)?;
        (at.elapsed() < CACHE_TTL && constant_time_eq(stored.as_bytes(), hash.as_bytes()))
            .then(|| principal.clone())
    }

    /// Caches a verification; `false` (nothing cached) when this instance revoked the key.
    fn remember(&self, hash: String, principal: Principal) -> bool {
        let mut verified = self.verified.write().unwrap_or_else(|p| p.into_inner());
        if verified.revoked.contains(&hash) {
            return false;
        }
        let cache = &mut verified.cache;
        if cache.len() >= CACHE_MAX {
            cache.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(hash, (principal, Instant::now()));
        true
    }
}

/// What [`bootstrap_operator_key`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum OperatorKey {
    /// The given key (from the environment) is now the operator's key.
    FromEnvironment,
    /// An admin key already exists; nothing was changed.
    Existing,
    /// A new key was generated: show it to the operator once (write it to a private file).
    Generated(Secret),
    /// The given key was revoked: it stays revoked (a restart must not bring it back), and the
    /// operator must configure another.
    Revoked,
}

/// The fewest characters an operator key from the environment may have.
pub const MIN_OPERATOR_KEY_LEN: usize = 32;

/// Makes sure an operator can get in: `configured` (the `TOLLGATE_ADMIN_API_KEY` value), when
/// given, becomes the operator's key (replacing an earlier one) unless it was revoked;
/// otherwise, when no unrevoked admin key exists, a new one is generated and returned.
///
/// # Errors
/// Storage errors; [`StoreError::Internal`] when no randomness is available.
pub async fn bootstrap_operator_key(
    keys: &dyn ApiKeyStore,
    configured: Option<&Secret>,
    now: OffsetDateTime,
) -> Result<OperatorKey, StoreError> {
    let (secret, outcome) = match configured {
        Some(secret) => {
            let known = keys.find_by_hash(&hash_secret(secret.expose())).await?;
            if known.is_some_and(|key| key.revoked_at.is_some()) {
                return Ok(OperatorKey::Revoked);
            }
            (secret.clone(), OperatorKey::FromEnvironment)
        }
        None if keys.has_active_admin().await? => return Ok(OperatorKey::Existing),
        None => {
            let secret = generate_secret().map_err(|e| StoreError::Internal(e.to_string()))?;
            (secret.clone(), OperatorKey::Generated(secret))
        }
    };
    let key = ApiKey {
        id: OPERATOR_KEY_ID.to_owned(),
        name: "operator".to_owned(),
        role: Role::Admin,
        prefix: display_prefix(secret.expose()),
        secret_hash: hash_secret(secret.expose()),
        created_at: now,
        revoked_at: None,
    };
    keys.upsert(&key).await?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use tollgate_memory::MemoryApiKeys;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-11-23 10:00 UTC);

    #[test]
    fn secrets_are_prefixed_random_and_hashed() {
        let a = generate_secret().unwrap();
        let b = generate_secret().unwrap();
        assert!(a.expose().starts_with("tg_"));
        assert_eq!(a.expose().len(), 67);
        assert_ne!(a, b);
        assert_eq!(hash_secret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"sane"));
        assert!(!constant_time_eq(b"same", b"same!"));
    }

    #[tokio::test]
    async fn the_operator_key_is_bootstrapped_once() {
        let keys = MemoryApiKeys::default();
        let OperatorKey::Generated(first) = bootstrap_operator_key(&keys, None, NOW).await.unwrap() else {
            panic!("a key is generated on first start");
        };
        assert_eq!(bootstrap_operator_key(&keys, None, NOW).await.unwrap(), OperatorKey::Existing);
        let auth = Authenticator::new(Arc::new(keys));
        let bearer = format!("Bearer {}", first.expose());
        assert_eq!(auth.authenticate(Some(&bearer)).await.unwrap().role, Role::Admin);

        let env = Secret::new("operator-chosen");
        let outcome = bootstrap_operator_key(auth.keys().as_ref(), Some(&env), NOW).await.unwrap();
        assert_eq!(outcome, OperatorKey::FromEnvironment);
        auth.forget(OPERATOR_KEY_ID);
        assert!(auth.authenticate(Some(&bearer)).await.is_err(), "the environment key replaces it");
        assert!(auth.authenticate(Some("Bearer operator-chosen")).await.is_ok());
    }

    #[tokio::test]
    async fn bad_credentials_are_refused() {
        let auth = Authenticator::new(Arc::new(MemoryApiKeys::default()));
        for header in [None, Some(""), Some("Bearer"), Some("Basic abc"), Some("Bearer tg_unknown")] {
            assert!(matches!(auth.authenticate(header).await, Err(AuthError::Invalid(_))), "{header:?}");
        }
    }

    #[tokio::test]
    async fn revoked_keys_stop_working_at_once() {
        let keys = Arc::new(MemoryApiKeys::default());
        let secret = generate_secret().unwrap();
        let key = ApiKey {
            id: "key_1".into(),
            name: "ci".into(),
            role: Role::Service,
            prefix: display_prefix(secret.expose()),
            secret_hash: hash_secret(secret.expose()),
            created_at: NOW,
            revoked_at: None,
        };
        keys.insert(&key).await.unwrap();
        assert_eq!(keys.insert(&key).await, Err(StoreError::Conflict("api key")));
        let auth = Authenticator::new(keys.clone());
        let bearer = format!("bearer {}", secret.expose());
        assert_eq!(auth.authenticate(Some(&bearer)).await.unwrap().key_id, "key_1");
        let revoked = keys.revoke("key_1", NOW).await.unwrap().unwrap();
        auth.revoked(&revoked);
        assert!(auth.authenticate(Some(&bearer)).await.is_err());
        assert!(!format!("{key:?}").contains(&key.secret_hash));
    }

    #[tokio::test]
    async fn a_key_revoked_here_is_refused_even_by_a_store_read_that_raced_the_revocation() {
        let keys = Arc::new(MemoryApiKeys::default());
        let secret = generate_secret().unwrap();
        let key = ApiKey {
            id: "key_1".into(),
            name: "ci".into(),
            role: Role::Service,
            prefix: display_prefix(secret.expose()),
            secret_hash: hash_secret(secret.expose()),
            created_at: NOW,
            revoked_at: None,
        };
        keys.insert(&key).await.unwrap();
        let auth = Authenticator::new(keys.clone());
        // The revocation is marked here before the store says so (a replica's stale read, or a
        // lookup that started before the revocation committed).
        auth.revoked(&key);
        let bearer = format!("Bearer {}", secret.expose());
        assert!(auth.authenticate(Some(&bearer)).await.is_err(), "refused at once");
        assert!(auth.authenticate(Some(&bearer)).await.is_err(), "and never cached");
    }

    #[tokio::test]
    async fn a_revoked_operator_key_stays_revoked_when_configured_again() {
        let keys = MemoryApiKeys::default();
        let env = Secret::new("tg_operator_chosen_0123456789abcdef");
        assert_eq!(
            bootstrap_operator_key(&keys, Some(&env), NOW).await.unwrap(),
            OperatorKey::FromEnvironment
        );
        keys.revoke(OPERATOR_KEY_ID, NOW).await.unwrap();
        assert_eq!(bootstrap_operator_key(&keys, Some(&env), NOW).await.unwrap(), OperatorKey::Revoked);
        let auth = Authenticator::new(Arc::new(keys));
        assert!(auth.authenticate(Some(&format!("Bearer {}", env.expose()))).await.is_err());
    }
}
