use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use time::OffsetDateTime;
use tollgate_ports::{Claims, PasswordHasher, Secret, SecurityError, TokenCodec};

/// A password "hasher" for tests: fast and deterministic per salt, NOT for production (use the
/// argon2id adapter). Hashes look like `fake$<salt>$<digest>`.
#[derive(Debug, Default)]
pub struct FakePasswordHasher(AtomicU64);

fn digest(salt: &str, password: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    (salt, password).hash(&mut hasher);
    hasher.finish()
}

#[async_trait]
impl PasswordHasher for FakePasswordHasher {
    async fn hash(&self, password: &Secret) -> Result<String, SecurityError> {
        let salt = self.0.fetch_add(1, Ordering::Relaxed).to_string();
        Ok(format!("fake${salt}${:016x}", digest(&salt, password.expose())))
    }

    async fn verify(&self, password: &Secret, hash: &str) -> Result<bool, SecurityError> {
        let mut parts = hash.split('$');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("fake"), Some(salt), Some(hex), None) => {
                Ok(format!("{:016x}", digest(salt, password.expose())) == hex)
            }
            _ => Err(SecurityError::Invalid("not a fake hash".into())),
        }
    }

    fn needs_rehash(&self, hash: &str) -> bool {
        !hash.starts_with("fake$")
    }
}

/// Tokens as opaque handles to claims kept in memory, shaped like JWTs: only tokens this codec
/// issued decode.
#[derive(Debug, Default)]
pub struct MemoryTokenCodec {
    next: AtomicU64,
    issued: Mutex<HashMap<String, Claims>>,
}

impl TokenCodec for MemoryTokenCodec {
    fn encode(&self, claims: &Claims) -> Result<Secret, SecurityError> {
        // Shaped like a JWT (a JSON header's base64 first, three segments), as callers tell access
        // tokens from API keys by their shape.
        let token =
            format!("eyJtZW0iOjF9.{}.{}", self.next.fetch_add(1, Ordering::Relaxed), claims.session.as_str());
        self.issued.lock().unwrap_or_else(|p| p.into_inner()).insert(token.clone(), claims.clone());
        Ok(Secret::new(token))
    }

    fn decode(&self, token: &str, now: OffsetDateTime) -> Result<Claims, SecurityError> {
        let issued = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        let claims = issued.get(token).ok_or_else(|| SecurityError::Invalid("unknown token".into()))?;
        if now >= claims.expires_at {
            return Err(SecurityError::Invalid("expired".into()));
        }
        Ok(claims.clone())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use tollgate_domain::{SessionId, UserId};

    use super::*;

    #[tokio::test]
    async fn passwords_verify_only_against_their_hash() {
        let hasher = FakePasswordHasher::default();
        let hash = hasher.hash(&Secret::new("correct horse")).await.unwrap();
        assert!(hasher.verify(&Secret::new("correct horse"), &hash).await.unwrap());
        assert!(!hasher.verify(&Secret::new("wrong"), &hash).await.unwrap());
        assert!(hasher.verify(&Secret::new("x"), "$argon2id$").await.is_err());
        assert_ne!(hash, hasher.hash(&Secret::new("correct horse")).await.unwrap(), "salted");
    }

    #[test]
    fn tokens_decode_until_they_expire() {
        let codec = MemoryTokenCodec::default();
        let claims = Claims {
            subject: UserId::parse("usr_1").unwrap(),
            session: SessionId::parse("ses_1").unwrap(),
            impersonator: None,
            issued_at: datetime!(2026-01-01 0:00 UTC),
            expires_at: datetime!(2026-01-01 0:15 UTC),
            id: "jti_1".into(),
        };
        let token = codec.encode(&claims).unwrap();
        assert_eq!(codec.decode(token.expose(), datetime!(2026-01-01 0:00 UTC)).unwrap(), claims);
        assert!(codec.decode(token.expose(), datetime!(2026-01-01 0:15 UTC)).is_err());
        assert!(codec.decode("forged", datetime!(2026-01-01 0:00 UTC)).is_err());
    }
}
