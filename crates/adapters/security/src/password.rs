//! Argon2id password hashes as PHC strings.

use std::fmt;
use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use tollgate_ports::{PasswordHasher, Secret, SecurityError};

use crate::SetupError;

/// The cost of an argon2id hash. The default is OWASP's recommendation (19 MiB, 2 passes, one
/// lane); raising any of them makes the hashes stored before "need a rehash".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Settings {
    /// Memory, in KiB (`m`).
    pub memory_kib: u32,
    /// Passes over the memory (`t`).
    pub iterations: u32,
    /// Lanes (`p`).
    pub parallelism: u32,
}

impl Default for Argon2Settings {
    fn default() -> Self {
        Self { memory_kib: 19_456, iterations: 2, parallelism: 1 }
    }
}

/// [`PasswordHasher`] with argon2id (version 0x13), a 16-byte random salt and a 32-byte output.
/// The work runs on tokio's blocking pool: a hash takes tens of milliseconds of CPU, which would
/// stall every request sharing an executor thread.
#[derive(Clone)]
pub struct Argon2Hasher {
    // Shared with the blocking tasks, which must own what they use.
    params: Arc<Params>,
}

impl fmt::Debug for Argon2Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Argon2Hasher")
            .field("m", &self.params.m_cost())
            .field("t", &self.params.t_cost())
            .field("p", &self.params.p_cost())
            .finish()
    }
}

impl Argon2Hasher {
    /// A hasher with `settings`.
    ///
    /// # Errors
    /// [`SetupError::Argon2Params`] when a cost is out of argon2's range (memory below 8 KiB
    /// per lane, zero passes or lanes).
    pub fn new(settings: Argon2Settings) -> Result<Self, SetupError> {
        let params = Params::new(settings.memory_kib, settings.iterations, settings.parallelism, None)
            .map_err(|e| SetupError::Argon2Params(e.to_string()))?;
        Ok(Self { params: Arc::new(params) })
    }

    /// The settings this hasher hashes with.
    pub fn settings(&self) -> Argon2Settings {
        Argon2Settings {
            memory_kib: self.params.m_cost(),
            iterations: self.params.t_cost(),
            parallelism: self.params.p_cost(),
        }
    }

    fn argon2(params: &Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
    }
}

impl Default for Argon2Hasher {
    fn default() -> Self {
        Self { params: Arc::new(Params::DEFAULT) }
    }
}

/// Runs `work` on the blocking pool.
async fn off_executor<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, SecurityError> + Send + 'static,
) -> Result<T, SecurityError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| SecurityError::Backend(format!("password hashing task failed: {e}")))?
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Secret) -> Result<String, SecurityError> {
        let params = Arc::clone(&self.params);
        let password = password.clone();
        off_executor(move || {
            Self::argon2(&params)
                .hash_password(password.expose().as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| SecurityError::Backend(format!("argon2id hashing failed: {e}")))
        })
        .await
    }

    async fn verify(&self, password: &Secret, hash: &str) -> Result<bool, SecurityError> {
        let parsed = parse(hash)?;
        let params = Arc::clone(&self.params);
        let password = password.clone();
        off_executor(move || {
            // The algorithm, version and costs are the hash's own, whatever this hasher's are:
            // an older hash still verifies, and `needs_rehash` says it should be replaced.
            match Self::argon2(&params).verify_password(password.expose().as_bytes(), &parsed) {
                Ok(()) => Ok(true),
                Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
                Err(e) => Err(SecurityError::Invalid(format!("not a usable argon2 hash: {e}"))),
            }
        })
        .await
    }

    fn needs_rehash(&self, hash: &str) -> bool {
        let Ok(parsed) = parse(hash) else {
            return true;
        };
        let Ok(theirs) = Params::try_from(&parsed) else {
            return true;
        };
        parsed.algorithm.as_str() != Algorithm::Argon2id.ident().as_str()
            || parsed.version != Some(Version::V0x13.into())
            || theirs.m_cost() != self.params.m_cost()
            || theirs.t_cost() != self.params.t_cost()
            || theirs.p_cost() != self.params.p_cost()
            || theirs.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN) != Params::DEFAULT_OUTPUT_LEN
    }
}

/// Parses a PHC string of one of argon2's variants, with its salt and output.
fn parse(hash: &str) -> Result<PasswordHash, SecurityError> {
    let parsed =
        PasswordHash::new(hash).map_err(|e| SecurityError::Invalid(format!("not a PHC string: {e}")))?;
    if Algorithm::try_from(parsed.algorithm.as_str()).is_err() {
        return Err(SecurityError::Invalid(format!("not an argon2 hash: {}", parsed.algorithm)));
    }
    if parsed.salt.is_none() || parsed.hash.is_none() {
        return Err(SecurityError::Invalid("the hash has no salt or no output".into()));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Low costs keep the tests fast; the production defaults are asserted separately.
    fn cheap() -> Argon2Hasher {
        Argon2Hasher::new(Argon2Settings { memory_kib: 64, iterations: 1, parallelism: 1 }).unwrap()
    }

    #[test]
    fn the_default_is_owasps_argon2id_recommendation() {
        assert_eq!(
            Argon2Hasher::default().settings(),
            Argon2Settings { memory_kib: 19_456, iterations: 2, parallelism: 1 }
        );
        assert_eq!(Argon2Settings::default(), Argon2Hasher::default().settings());
    }

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let hasher = cheap();
        let hash = hasher.hash(&Secret::new("correct horse battery")).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
        assert!(hasher.verify(&Secret::new("correct horse battery"), &hash).await.unwrap());
        assert!(!hasher.verify(&Secret::new("correct horse batterY"), &hash).await.unwrap());
    }

    #[tokio::test]
    async fn each_hash_has_a_fresh_salt() {
        let hasher = cheap();
        let a = hasher.hash(&Secret::new("same password")).await.unwrap();
        let b = hasher.hash(&Secret::new("same password")).await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn the_default_hasher_writes_owasp_costs_into_the_hash() {
        let hash = Argon2Hasher::default().hash(&Secret::new("a long password")).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
    }

    #[tokio::test]
    async fn a_malformed_hash_is_invalid_not_a_mismatch() {
        let hasher = cheap();
        let good = hasher.hash(&Secret::new("pw")).await.unwrap();
        let without_output = good.rsplit_once('$').unwrap().0.to_owned();
        for bad in [
            "",
            "plain text",
            "$argon2id$",
            "$argon2id$v=19$m=64,t=1,p=1$",
            without_output.as_str(),
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            "$argon2id$v=19$m=64,t=1,p=1,x=9$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        ] {
            let err = hasher.verify(&Secret::new("pw"), bad).await.unwrap_err();
            assert!(matches!(err, SecurityError::Invalid(_)), "{bad:?}: {err:?}");
        }
    }

    #[tokio::test]
    async fn a_hash_with_other_costs_still_verifies_but_needs_a_rehash() {
        let old = cheap();
        let hash = old.hash(&Secret::new("pw before the upgrade")).await.unwrap();
        let stronger =
            Argon2Hasher::new(Argon2Settings { memory_kib: 128, iterations: 1, parallelism: 1 }).unwrap();
        assert!(stronger.verify(&Secret::new("pw before the upgrade"), &hash).await.unwrap());
        assert!(stronger.needs_rehash(&hash));
        assert!(!old.needs_rehash(&hash));
        for settings in [
            Argon2Settings { memory_kib: 64, iterations: 2, parallelism: 1 },
            Argon2Settings { memory_kib: 64, iterations: 1, parallelism: 2 },
        ] {
            assert!(Argon2Hasher::new(settings).unwrap().needs_rehash(&hash), "{settings:?}");
        }
    }

    #[tokio::test]
    async fn another_argon2_variant_verifies_but_needs_a_rehash() {
        let params = Params::new(64, 1, 1, None).unwrap();
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, params)
            .hash_password(b"legacy")
            .unwrap()
            .to_string();
        assert!(argon2i.starts_with("$argon2i$"));
        let hasher = cheap();
        assert!(hasher.verify(&Secret::new("legacy"), &argon2i).await.unwrap());
        assert!(hasher.needs_rehash(&argon2i));
    }

    #[test]
    fn what_is_not_an_argon2_hash_needs_a_rehash() {
        assert!(cheap().needs_rehash("fake$1$00"));
        assert!(cheap().needs_rehash(""));
    }

    #[test]
    fn out_of_range_costs_are_refused() {
        for settings in [
            Argon2Settings { memory_kib: 1, iterations: 1, parallelism: 1 },
            Argon2Settings { memory_kib: 64, iterations: 0, parallelism: 1 },
            Argon2Settings { memory_kib: 64, iterations: 1, parallelism: 0 },
        ] {
            assert!(matches!(Argon2Hasher::new(settings), Err(SetupError::Argon2Params(_))), "{settings:?}");
        }
    }

    #[test]
    fn debug_shows_the_costs() {
        assert_eq!(format!("{:?}", cheap()), "Argon2Hasher { m: 64, t: 1, p: 1 }");
    }
}
