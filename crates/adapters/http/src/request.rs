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
    header.map_or(Locale::En, negotiate)
}

/// Picks the best supported language of an `Accept-Language` header value (`fr-CA,fr;q=0.9`),
/// English when none is supported or the header is malformed.
pub(crate) fn negotiate(accept_language: &str) -> Locale {
    let mut best: Option<(u16, Locale)> = None;
    // A header is a few tags; a longer one is not worth reading further.
    for part in accept_language.split(',').take(32) {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality =
            pieces.find_map(|p| p.trim().strip_prefix("q=")).map_or(Some(1000), parse_quality).unwrap_or(0);
        let primary = tag.split('-').next().unwrap_or("");
        let locale = match primary {
            "fr" => Locale::Fr,
            "en" => Locale::En,
            _ => continue,
        };
        if quality > 0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, locale));
        }
    }
    best.map_or(Locale::En, |(_, l)| l)
}

/// `q=0.8` → 800; `None` when malformed.
fn parse_quality(q: &str) -> Option<u16> {
    let q = q.trim();
    let (whole, frac) = q.split_once('.').unwrap_or((q, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u16 = match whole {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    let frac: u16 = format!("{frac:0<3}").parse().ok()?;
    let value = whole * 1000 + frac;
    (value <= 1000).then_some(value)
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(negotiate("fr-CA,fr;q=0.9,en;q=0.8"), Locale::Fr);
        assert_eq!(negotiate("de, en;q=0.5, fr;q=0.7"), Locale::Fr);
        assert_eq!(negotiate("en-US"), Locale::En);
        assert_eq!(negotiate("fr;q=0"), Locale::En);
        assert_eq!(negotiate("fr;q=bogus"), Locale::En);
        assert_eq!(negotiate(""), Locale::En);
        assert_eq!(negotiate("*"), Locale::En);
    }

    #[test]
    fn malformed_accept_language_falls_back_to_english_without_panicking() {
        let long = "fr;q=0.".repeat(10_000);
        for header in ["é;q=1", ";;;", "fr;q=", "fr;q=1.0000", "fr;q=2", "fr;q=-1", ",,,", "\u{0}", &long] {
            assert_eq!(negotiate(header), Locale::En, "{header:?}");
        }
    }

    proptest! {
        #[test]
        fn any_accept_language_is_answered(text in "\\PC{0,300}") {
            let _ = negotiate(&text);
        }
    }
}
