//! API-key secrets: 256 bits from the operating system, SHA-256 fingerprints.

use sha2::{Digest, Sha256};
use tollgate_ports::{Secret, SecretMinter, SecurityError};

/// Mints secrets from the operating system's cryptographically secure random source.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomSecrets;

impl SecretMinter for RandomSecrets {
    fn mint(&self, prefix: &str) -> Result<Secret, SecurityError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| SecurityError::Backend(format!("no randomness: {e}")))?;
        Ok(Secret::new(format!("{prefix}{}", hex::encode(bytes))))
    }

    fn fingerprint(&self, secret: &str) -> String {
        hex::encode(Sha256::digest(secret.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_secrets_are_the_prefix_and_64_random_hex_characters() {
        let a = RandomSecrets.mint("tg_").unwrap();
        let b = RandomSecrets.mint("tg_").unwrap();
        assert!(a.expose().starts_with("tg_"));
        assert_eq!(a.expose().len(), 67);
        assert!(a.expose()[3..].bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
        assert_ne!(a, b);
    }

    #[test]
    fn fingerprints_are_the_lowercase_hex_sha256_of_the_secret() {
        assert_eq!(
            RandomSecrets.fingerprint("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(RandomSecrets.fingerprint("tg_x"), RandomSecrets.fingerprint("tg_x"));
    }
}
