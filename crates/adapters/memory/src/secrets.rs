//! API-key secrets for tests and embedding: deterministic, so a test can predict them.

use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use tollgate_ports::{Secret, SecretMinter, SecurityError};

/// Mints `prefix` and the hex SHA-256 of a counter (the n-th secret is the same in every run),
/// fingerprinted like the production minter. NOT for production: its secrets are predictable
/// (use `tollgate_security::RandomSecrets`).
#[derive(Debug, Default)]
pub struct SequentialSecrets(AtomicU64);

impl SecretMinter for SequentialSecrets {
    fn mint(&self, prefix: &str) -> Result<Secret, SecurityError> {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(Secret::new(format!("{prefix}{}", hex::encode(Sha256::digest(format!("secret {n}"))))))
    }

    fn fingerprint(&self, secret: &str) -> String {
        hex::encode(Sha256::digest(secret.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_secrets_differ_and_have_the_production_shape() {
        let secrets = SequentialSecrets::default();
        let (a, b) = (secrets.mint("tg_").unwrap(), secrets.mint("tg_").unwrap());
        assert_ne!(a, b);
        assert!(a.expose().starts_with("tg_") && a.expose().len() == 67);
        assert_eq!(
            secrets.fingerprint("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
