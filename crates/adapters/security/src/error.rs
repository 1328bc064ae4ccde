//! Why a security adapter could not be set up.

/// Why a security adapter could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The JWT secret is shorter than HS256 needs.
    #[error("the JWT secret must be at least {min} bytes, got {len}")]
    SecretTooShort {
        /// Its length in bytes.
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// The JWT secret file exists but does not hold a secret this adapter wrote.
    #[error("the JWT secret file {path} is not hex of at least {min} bytes")]
    MalformedSecretFile {
        /// The file.
        path: String,
        /// The minimum length in bytes.
        min: usize,
    },
    /// The argon2 parameters are out of the algorithm's range.
    #[error("invalid argon2 parameters: {0}")]
    Argon2Params(String),
    /// No randomness was available.
    #[error("no randomness available: {0}")]
    Random(String),
    /// Reading or writing a file failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
