//! What a client sends about payments: a gateway's payment method token and the URLs a payer
//! returns to after a hosted checkout. Checked before they reach a gateway.

use std::fmt;

use crate::ids::InvalidValue;
use crate::rule::Rule;

/// A payment method token a gateway issued (`pm_card_visa`): never card data.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PaymentToken(String);

impl PaymentToken {
    /// Accepts 1 to 255 printable ASCII characters without spaces.
    ///
    /// # Errors
    /// [`InvalidValue`] for `token` ([`Rule::PaymentToken`]).
    pub fn parse(value: impl Into<String>) -> Result<Self, InvalidValue> {
        let value = value.into();
        if (1..=255).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(value))
        } else {
            Err(InvalidValue::new("token", Rule::PaymentToken))
        }
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Tokens are credentials of a sort: Debug shows their kind, not their value.
impl fmt::Debug for PaymentToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PaymentToken(…)")
    }
}

/// An absolute `http` or `https` URL of at most 2048 characters, written with the characters
/// RFC 3986 allows in a URI (letters, digits, `-._~:/?#[]@!$&'()*+,;=` and `%`), that a payer is
/// sent back to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReturnUrl(String);

impl ReturnUrl {
    /// Accepts `value` as the URL of `field`.
    ///
    /// # Errors
    /// [`InvalidValue`] for `field` ([`Rule::ReturnUrl`]).
    pub fn parse(field: &'static str, value: impl Into<String>) -> Result<Self, InvalidValue> {
        let value = value.into();
        let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
        let host_present = rest.is_some_and(|r| !r.is_empty() && !r.starts_with(['/', '?', '#']));
        let uri_character = |b: u8| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b);
        if value.len() <= 2048 && host_present && value.bytes().all(uri_character) {
            Ok(Self(value))
        } else {
            Err(InvalidValue::new(field, Rule::ReturnUrl))
        }
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_printable_and_short() {
        assert!(PaymentToken::parse("pm_card_visa").is_ok());
        for bad in ["", "pm card", "pm\u{0}x", &"x".repeat(256), "pm_é"] {
            assert_eq!(PaymentToken::parse(bad).unwrap_err().rule, Rule::PaymentToken, "{bad:?}");
        }
        assert_eq!(format!("{:?}", PaymentToken::parse("pm_secret").unwrap()), "PaymentToken(…)");
    }

    #[test]
    fn return_urls_are_absolute_http() {
        assert!(ReturnUrl::parse("success_url", "https://acme.test/thanks?x=1").is_ok());
        assert!(ReturnUrl::parse("success_url", "http://localhost:3000/").is_ok());
        for bad in ["", "/thanks", "ftp://x", "https://", "https:///x", "https://a b", "javascript:alert(1)"]
        {
            let error = ReturnUrl::parse("cancel_url", bad).unwrap_err();
            assert_eq!((error.field, error.rule), ("cancel_url", Rule::ReturnUrl), "{bad:?}");
        }
        assert!(ReturnUrl::parse("success_url", format!("https://a.test/{}", "x".repeat(2040))).is_err());
    }
}
