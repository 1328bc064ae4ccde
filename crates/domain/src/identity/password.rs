//! The password rule, checked wherever a password is set (register, reset, invitation) and
//! before any hashing, so an oversized password cannot make the server hash megabytes.

/// The fewest characters of a password.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The most characters of a password.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Why a password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    #[error("a password is at least 10 characters")]
    TooShort,
    /// More than [`MAX_PASSWORD_CHARS`] characters.
    #[error("a password is at most 128 characters")]
    TooLong,
}

/// Checks `password` against the length rule (in characters, not bytes).
///
/// # Errors
/// [`PasswordError::TooShort`] or [`PasswordError::TooLong`].
pub fn check_password(password: &str) -> Result<(), PasswordError> {
    // Count at most one past the limit: an attacker's megabyte costs nothing to refuse.
    let chars = password.chars().take(MAX_PASSWORD_CHARS + 1).count();
    if chars < MIN_PASSWORD_CHARS {
        Err(PasswordError::TooShort)
    } else if chars > MAX_PASSWORD_CHARS {
        Err(PasswordError::TooLong)
    } else {
        Ok(())
    }
}
