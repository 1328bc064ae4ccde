//! # tollgate-security
//!
//! Production implementations of Tollgate's security ports. [`RandomSecrets`] mints API-key
//! secrets from the operating system's randomness and fingerprints them with SHA-256 (the
//! [`SecretMinter`] contract). Password hashing (argon2id), token signing (JWT) and TOTP will
//! live here too.
#![warn(missing_docs)]

mod secrets;

pub use secrets::RandomSecrets;
#[doc(no_inline)]
pub use tollgate_ports::SecretMinter;
