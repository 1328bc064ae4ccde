//! Bearer credentials as HTTP carries them: the `Authorization` header's parsing and why a
//! credential is refused. Which caller a credential stands for is a use case
//! ([`tollgate_app::Tollgate::authenticate`]).

use std::ops::Deref;

use tollgate_domain::Caller;

/// The caller of a request as handlers extract it: the [`Caller`] the authentication middleware
/// found (an extractor must be a type of this crate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal(pub Caller);

impl Deref for Principal {
    type Target = Caller;

    fn deref(&self) -> &Self::Target {
        &self.0
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
    /// An access token that is forged, expired, or of a revoked session.
    InvalidToken,
}

/// The credential of an `Authorization` header value: `Bearer <credential>`, the scheme in any
/// case, surrounding spaces ignored.
///
/// # Errors
/// [`Refusal::Missing`] without a header, [`Refusal::Malformed`] for another scheme or an empty
/// credential.
pub fn bearer(authorization: Option<&str>) -> Result<&str, Refusal> {
    let header = authorization.ok_or(Refusal::Missing)?;
    let (scheme, credential) = header.trim().split_once(' ').unwrap_or((header, ""));
    let credential = credential.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || credential.is_empty() {
        return Err(Refusal::Malformed);
    }
    Ok(credential)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_credentials_are_read_from_the_header() {
        assert_eq!(bearer(Some("Bearer tg_abc")), Ok("tg_abc"));
        assert_eq!(bearer(Some("  bearer   tg_abc  ")), Ok("tg_abc"));
        assert_eq!(bearer(None), Err(Refusal::Missing));
        for header in ["", "Bearer", "Bearer   ", "Basic abc", "tg_abc"] {
            assert_eq!(bearer(Some(header)), Err(Refusal::Malformed), "{header:?}");
        }
    }
}
