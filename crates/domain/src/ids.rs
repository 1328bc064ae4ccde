//! Validated identifiers: a value of these types is always well formed.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rule::Rule;

/// Why an identifier or value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {rule}")]
pub struct InvalidValue {
    /// The name of the value, as a client would call the field (`key`, `plan`, `metric`…).
    pub field: &'static str,
    /// The rule the value breaks (its sentence says what is expected).
    pub rule: Rule,
}

impl InvalidValue {
    /// Builds the error for `field`.
    pub const fn new(field: &'static str, rule: Rule) -> Self {
        Self { field, rule }
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, field = $field:literal, rule = $rule:expr, valid = $valid:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps `value`.
            ///
            /// # Errors
            /// [`InvalidValue`] naming the field when the value does not match the rule.
            pub fn parse(value: impl Into<String>) -> Result<Self, InvalidValue> {
                let value = value.into();
                let valid: fn(&str) -> bool = $valid;
                if valid(&value) {
                    Ok(Self(value))
                } else {
                    Err(InvalidValue::new($field, $rule))
                }
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidValue;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidValue;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

fn is_name(value: &str, max: usize) -> bool {
    let mut chars = value.chars();
    matches!(chars.next(), Some('a'..='z'))
        && value.len() <= max
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

string_id!(
    /// The key an integrating service already uses for its tenant: `[A-Za-z0-9._:@-]{1,128}`.
    AccountKey,
    field = "key",
    rule = Rule::AccountKey,
    valid = |v| (1..=128).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:@-".contains(&b))
);

/// Whether `v` is a code (of a plan, an add-on): a lowercase letter or digit, then up to 63 of
/// `a-z 0-9 _ -`.
fn is_code(v: &str) -> bool {
    let mut bytes = v.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'0'..=b'9'))
        && v.len() <= 64
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
}

string_id!(
    /// A plan code: a lowercase letter or digit, then up to 63 of `a-z 0-9 _ -`.
    PlanCode,
    field = "plan",
    rule = Rule::PlanCode,
    valid = is_code
);

string_id!(
    /// An add-on code in the catalog, spelled as a plan code: a lowercase letter or digit, then up
    /// to 63 of `a-z 0-9 _ -`.
    AddOnCode,
    field = "addon",
    rule = Rule::AddOnCodeShape,
    valid = is_code
);

string_id!(
    /// A metered or counted quantity (`tickets`, `api_calls`): `[a-z][a-z0-9_]{0,63}`.
    MetricName,
    field = "metric",
    rule = Rule::MetricName,
    valid = |v| is_name(v, 64)
);

string_id!(
    /// A boolean capability of a plan (`api_access`, `sso`): `[a-z][a-z0-9_]{0,63}`.
    FeatureName,
    field = "feature",
    rule = Rule::FeatureName,
    valid = |v| is_name(v, 64)
);

string_id!(
    /// A client-chosen key that makes a mutation safe to retry: 1 to 255 printable ASCII characters.
    IdempotencyKey,
    field = "Idempotency-Key",
    rule = Rule::IdempotencyKey,
    valid = |v| (1..=255).contains(&v.len()) && v.bytes().all(|b| (0x20..=0x7e).contains(&b))
);

string_id!(
    /// An e-mail address, checked for shape only (one `@`, a dotted domain, no spaces, ≤ 254 bytes).
    Email,
    field = "email",
    rule = Rule::Email,
    valid = |v| {
        let Some((local, domain)) = v.split_once('@') else {
            return false;
        };
        v.len() <= 254
            && !local.is_empty()
            && local.len() <= 64
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && v.bytes().all(|b| b.is_ascii_graphic())
    }
);

/// Whether `value` is `prefix` followed by 1 to 64 characters of `a-z 0-9` (generated ids).
fn prefixed_id(value: &str, prefix: &str) -> bool {
    value.strip_prefix(prefix).is_some_and(|rest| {
        (1..=64).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

string_id!(
    /// A user's id: `usr_` and 1 to 64 characters of `a-z 0-9`.
    UserId,
    field = "user_id",
    rule = Rule::UserId,
    valid = |v| prefixed_id(v, "usr_")
);

string_id!(
    /// A session's id: `ses_` and 1 to 64 characters of `a-z 0-9`.
    SessionId,
    field = "session_id",
    rule = Rule::SessionId,
    valid = |v| prefixed_id(v, "ses_")
);

string_id!(
    /// An API key's id: `key_` and 1 to 60 of `A-Z a-z 0-9 _ -` (URL-safe, as the id generator makes).
    ApiKeyId,
    field = "id",
    rule = Rule::ApiKeyId,
    valid = |v| v.strip_prefix("key_").is_some_and(|rest| {
        (1..=60).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b))
    })
);

string_id!(
    /// The key of a counting window, which counters are stored under: `never` (gauges),
    /// `d:2026-11-23` (a day), `m:2026-11` (a month) or `p:<period start, unix seconds>` (a billing
    /// period). Made by [`crate::Window::of`]; parsed back from storage.
    WindowKey,
    field = "window",
    rule = Rule::WindowKey,
    valid = |v| match v.split_once(':') {
        None => v == "never",
        Some(("d" | "m", date)) => {
            (1..=16).contains(&date.len()) && date.bytes().all(|b| b.is_ascii_digit() || b"+-".contains(&b))
        }
        Some(("p", seconds)) => seconds.parse::<i64>().is_ok(),
        Some(_) => false,
    }
);

impl WindowKey {
    /// The window of gauges: it never resets.
    pub fn never() -> Self {
        Self("never".to_owned())
    }

    /// The window of the UTC day `date`.
    pub fn day(date: time::Date) -> Self {
        Self(format!("d:{date}"))
    }

    /// The window of the UTC month `month` of `year`.
    pub fn month(year: i32, month: time::Month) -> Self {
        Self(format!("m:{year:04}-{:02}", u8::from(month)))
    }

    /// The window of the billing period that starts at `start`.
    pub fn period(start: time::OffsetDateTime) -> Self {
        Self(format!("p:{}", start.unix_timestamp()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_keys_follow_the_contract_pattern() {
        for ok in ["acme", "a", "user@acme.test", "org:42", "A-b_c.d", &"x".repeat(128)] {
            assert!(AccountKey::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "has space", "é", "a/b", &"x".repeat(129)] {
            let err = AccountKey::parse(bad).unwrap_err();
            assert_eq!(err.field, "key");
        }
    }

    #[test]
    fn plan_codes_metrics_and_features_are_lowercase_names() {
        assert!(PlanCode::parse("pro-yearly").is_ok());
        assert!(PlanCode::parse("Pro").is_err());
        assert!(MetricName::parse("api_calls").is_ok());
        assert!(MetricName::parse("1calls").is_err());
        assert!(MetricName::parse("api-calls").is_err());
        assert!(FeatureName::parse("sso").is_ok());
        assert!(FeatureName::parse("").is_err());
    }

    #[test]
    fn idempotency_keys_are_printable_ascii() {
        assert!(IdempotencyKey::parse("req 1/2").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("tab\there").is_err());
        assert!(IdempotencyKey::parse("x".repeat(256)).is_err());
    }

    #[test]
    fn emails_are_checked_for_shape() {
        assert!(Email::parse("ops@acme.test").is_ok());
        for bad in ["ops", "@acme.test", "ops@acme", "ops@.test", "o ps@acme.test", "a@b@c.d"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn identifiers_deserialize_through_validation() {
        let err = serde_json::from_str::<MetricName>("\"Bad Name\"").unwrap_err();
        assert!(err.to_string().contains("metric"));
    }

    #[test]
    fn api_key_ids_start_with_key_and_stay_url_safe() {
        for ok in ["key_operator", "key_1", "key_0a1b2c3d4e5f60718293a4b5", "key_a-b_c"] {
            assert!(ApiKeyId::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "key_", "operator", "kex_1", "key_a/b", "key_é", &format!("key_{}", "x".repeat(61))]
        {
            assert_eq!(ApiKeyId::parse(bad).unwrap_err().field, "id", "{bad}");
        }
    }

    #[test]
    fn window_keys_made_by_their_constructors_parse_back() {
        use time::macros::{date, datetime};
        let made = [
            WindowKey::never(),
            WindowKey::day(date!(2026 - 11 - 23)),
            WindowKey::month(2026, time::Month::November),
            WindowKey::period(datetime!(2026-03-01 0:00 UTC)),
        ];
        assert_eq!(
            made.clone().map(|k| k.to_string()),
            ["never", "d:2026-11-23", "m:2026-11", "p:1772323200"]
        );
        for key in made {
            assert_eq!(WindowKey::parse(key.as_str()), Ok(key));
        }
        for bad in ["", "always", "d:", "m:2026/11", "p:soon", "x:1", "never:"] {
            assert!(WindowKey::parse(bad).is_err(), "{bad}");
        }
    }
}
