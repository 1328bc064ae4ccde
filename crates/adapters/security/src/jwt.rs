//! HS256 JWT access tokens.

use std::fmt;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tollgate_domain::{SessionId, UserId};
use tollgate_ports::{Claims, Secret, SecurityError, TokenCodec};

use crate::SetupError;

/// The `iss` of every token, and the only one accepted.
pub const ISSUER: &str = "tollgate";
/// The `aud` of every token, and the only one accepted.
pub const AUDIENCE: &str = "tollgate";
/// The shortest secret accepted: HS256's output size, below which the key is the weak link.
pub const MIN_SECRET_BYTES: usize = 32;

/// The claims as they travel.
#[derive(Serialize)]
struct Outgoing<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    sid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    imp: Option<&'a str>,
    iat: i64,
    exp: i64,
    jti: &'a str,
}

/// The claims read back; `iss` and `aud` are checked by `jsonwebtoken` and not needed after.
#[derive(Deserialize)]
struct Incoming {
    sub: String,
    sid: String,
    #[serde(default)]
    imp: Option<String>,
    iat: i64,
    exp: i64,
    jti: String,
}

/// [`TokenCodec`] signing JWTs with HS256 and a shared secret. Decoding accepts HS256 only
/// (`alg: none` and every other algorithm are refused before the signature is looked at), the
/// issuer and audience `tollgate` only, and a token only strictly before its `exp`, with no
/// leeway, measured against the `now` it is given rather than the system clock.
pub struct JwtCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl fmt::Debug for JwtCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtCodec").field("alg", &Algorithm::HS256).finish_non_exhaustive()
    }
}

impl JwtCodec {
    /// A codec signing with `secret`.
    ///
    /// # Errors
    /// [`SetupError::SecretTooShort`] when `secret` has fewer than [`MIN_SECRET_BYTES`] bytes.
    pub fn new(secret: &[u8]) -> Result<Self, SetupError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(SetupError::SecretTooShort { len: secret.len(), min: MIN_SECRET_BYTES });
        }
        // jsonwebtoken refuses only an empty secret, which the length check has already refused.
        let key_error = |_| SetupError::SecretTooShort { len: secret.len(), min: MIN_SECRET_BYTES };
        let encoding = EncodingKey::from_secret(secret).map_err(key_error)?;
        let decoding = DecodingKey::from_secret(secret).map_err(key_error)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // jsonwebtoken reads the system clock; expiry is checked against the caller's `now`
        // in `decode` instead, so tests and test clocks see the same rule as production.
        validation.validate_exp = false;
        validation.leeway = 0;
        Ok(Self { encoding, decoding, validation })
    }
}

fn invalid(what: &str) -> impl Fn(jsonwebtoken::errors::Error) -> SecurityError + '_ {
    move |e| SecurityError::Invalid(format!("{what}: {e}"))
}

fn instant(field: &str, unix: i64) -> Result<OffsetDateTime, SecurityError> {
    OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|_| SecurityError::Invalid(format!("`{field}` is out of range")))
}

impl TokenCodec for JwtCodec {
    fn encode(&self, claims: &Claims) -> Result<Secret, SecurityError> {
        let wire = Outgoing {
            iss: ISSUER,
            aud: AUDIENCE,
            sub: claims.subject.as_str(),
            sid: claims.session.as_str(),
            imp: claims.impersonator.as_ref().map(UserId::as_str),
            iat: claims.issued_at.unix_timestamp(),
            exp: claims.expires_at.unix_timestamp(),
            jti: &claims.id,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &wire, &self.encoding)
            .map(Secret::new)
            .map_err(|e| SecurityError::Backend(format!("signing the access token failed: {e}")))
    }

    fn decode(&self, token: &str, now: OffsetDateTime) -> Result<Claims, SecurityError> {
        let data = jsonwebtoken::decode::<Incoming>(token, &self.decoding, &self.validation)
            .map_err(invalid("access token refused"))?;
        let wire = data.claims;
        let expires_at = instant("exp", wire.exp)?;
        if now >= expires_at {
            return Err(SecurityError::Invalid("access token expired".into()));
        }
        let id = |field: &str, e: tollgate_domain::InvalidValue| {
            SecurityError::Invalid(format!("`{field}` is not an id: {e}"))
        };
        Ok(Claims {
            subject: UserId::parse(wire.sub).map_err(|e| id("sub", e))?,
            session: SessionId::parse(wire.sid).map_err(|e| id("sid", e))?,
            impersonator: wire.imp.map(UserId::parse).transpose().map_err(|e| id("imp", e))?,
            issued_at: instant("iat", wire.iat)?,
            expires_at,
            id: wire.jti,
        })
    }
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod tests;
