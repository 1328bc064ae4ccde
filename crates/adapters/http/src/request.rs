//! What the request itself says, read by middleware, extractors and problems alike: the header
//! names the API defines, the language the client asked for, and the random tokens that name a
//! request (its id, its idempotency claim). A leaf: it imports nothing of the crate, so anything
//! may import it.

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderName};
use tollgate_domain::Locale;

/// The `Idempotency-Key` request header.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The language negotiated from the request's `Accept-Language` (English by default).
pub(crate) fn request_locale(req: &HttpRequest) -> Locale {
    let header = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    header.map_or(Locale::En, Locale::negotiate)
}

/// `n` random bytes from the operating system, hex encoded (request ids, claim owners: names,
/// not secrets).
///
/// # Errors
/// When the operating system has no randomness to give.
pub(crate) fn random_hex(n: usize) -> Result<String, getrandom::Error> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}
