//! # tollgate-security
//!
//! The security ports of `tollgate-ports`, for production: [`RandomSecrets`] (API keys and
//! tokens minted from the operating system's randomness, fingerprinted with SHA-256),
//! [`Argon2Hasher`] (argon2id passwords as PHC strings, hashed off the async executor),
//! [`JwtCodec`] (HS256 access tokens with `alg`, issuer, audience and expiry pinned), [`Totp`]
//! (RFC 6238 one-time passwords), and [`load_or_create_jwt_secret`] for the secret the codec
//! signs with.
#![warn(missing_docs)]

mod error;
mod jwt;
mod jwt_secret;
mod password;
mod secrets;
mod totp;

pub use error::SetupError;
pub use jwt::{AUDIENCE, ISSUER, JwtCodec, MIN_SECRET_BYTES};
pub use jwt_secret::{JWT_SECRET_FILE, load_or_create_jwt_secret};
pub use password::{Argon2Hasher, Argon2Settings};
pub use secrets::RandomSecrets;
#[doc(no_inline)]
pub use tollgate_ports::SecretMinter;
pub use totp::{ISSUER_NAME, Totp};
