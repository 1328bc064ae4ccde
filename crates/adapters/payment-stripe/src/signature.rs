//! Stripe's webhook signing scheme: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.payload">`.
//!
//! Tollgate verifies the gateway's events with it and signs its own outgoing webhooks the same
//! way, so a receiver can use any Stripe library to check them.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

type HmacSha256 = Hmac<Sha256>;

/// How far a signature's timestamp may be from now, in either direction (Stripe's default).
pub const TOLERANCE: Duration = Duration::minutes(5);

/// Why a signature header was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header does not carry exactly one integer timestamp `t`.
    #[error("the signature header has no valid timestamp")]
    Malformed,
    /// The header carries no `v1` signature (other schemes, such as `v0`, are not accepted).
    #[error("the signature header has no v1 signature")]
    NoSignature,
    /// No `v1` signature matches the payload under the secret.
    #[error("no signature matches the payload")]
    Mismatch,
    /// The secret is empty: anyone could sign with it, so nothing verifies.
    #[error("no webhook secret is set")]
    EmptySecret,
    /// The signature matches but its timestamp is further from now than the tolerance
    /// (a replayed or mis-dated message).
    #[error("the signature's timestamp is outside the tolerance")]
    OutsideTolerance,
}

/// Signs `payload` at `timestamp` (unix seconds) with `secret`: the value of a
/// `Stripe-Signature` (or `Tollgate-Signature`) header.
pub fn sign(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let mac = mac(secret, timestamp, payload);
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Verifies a signature header over the raw `payload`: any `v1` signature made with `secret`
/// passes (several appear while a secret is rolled), compared in constant time, provided its
/// timestamp is within `tolerance` of `now`.
///
/// # Errors
/// [`SignatureError::EmptySecret`] for an empty secret, [`SignatureError::Malformed`] or
/// [`SignatureError::NoSignature`] for a header that cannot be checked, [`SignatureError::Mismatch`] when no signature matches,
/// [`SignatureError::OutsideTolerance`] for a matching signature that is too old or too far in
/// the future.
pub fn verify(
    header: &str,
    payload: &[u8],
    secret: &str,
    now: OffsetDateTime,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::EmptySecret);
    }
    let parsed = Header::parse(header)?;
    if parsed.signatures.is_empty() {
        return Err(SignatureError::NoSignature);
    }
    let matches = parsed.signatures.iter().any(|candidate| {
        // A candidate that is not hex cannot match; it must not hide a valid one after it.
        hex::decode(candidate)
            .is_ok_and(|bytes| mac(secret, parsed.timestamp, payload).verify_slice(&bytes).is_ok())
    });
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    // i128: neither a hostile timestamp nor a distant `now` can overflow the difference.
    let age = i128::from(now.unix_timestamp()) - i128::from(parsed.timestamp);
    if age.abs() > i128::from(tolerance.whole_seconds()) {
        return Err(SignatureError::OutsideTolerance);
    }
    Ok(())
}

/// The MAC of `"{timestamp}.{payload}"`; the timestamp in its canonical decimal form, as
/// Stripe's libraries print it.
fn mac(secret: &str, timestamp: i64, payload: &[u8]) -> HmacSha256 {
    let mut mac =
        <HmacSha256 as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// A header's timestamp and its `v1` signatures.
struct Header<'a> {
    timestamp: i64,
    signatures: Vec<&'a str>,
}

impl<'a> Header<'a> {
    fn parse(header: &'a str) -> Result<Self, SignatureError> {
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for item in header.split(',') {
            // Like Stripe's libraries, items that are not `key=value` are skipped.
            let Some((key, value)) = item.trim().split_once('=') else { continue };
            match key {
                "t" => {
                    let parsed = value.parse::<i64>().map_err(|_| SignatureError::Malformed)?;
                    // Two timestamps would leave it ambiguous which one was signed.
                    if timestamp.replace(parsed).is_some() {
                        return Err(SignatureError::Malformed);
                    }
                }
                "v1" => signatures.push(value),
                _ => {}
            }
        }
        Ok(Self { timestamp: timestamp.ok_or(SignatureError::Malformed)?, signatures })
    }
}

#[cfg(test)]
#[path = "signature_tests.rs"]
mod tests;
