//! Free text a client sends: display names and descriptions. It is stored and shown as given,
//! so what cannot be stored (PostgreSQL refuses NUL in text) or would garble logs, terminals and
//! e-mails (control characters) is refused where the value enters, naming the field.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::InvalidValue;
use crate::rule::Rule;

/// A display name (of an account, an API key): 1 to 200 characters once trimmed, no control
/// characters.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

impl Name {
    /// The most characters of a name.
    pub const MAX_CHARS: usize = 200;

    /// Trims, validates and wraps `value`.
    ///
    /// # Errors
    /// [`InvalidValue`] for the field `name`: empty, too long, or with a control character.
    pub fn parse(value: impl AsRef<str>) -> Result<Self, InvalidValue> {
        let value = value.as_ref().trim();
        if value.is_empty() || value.chars().count() > Self::MAX_CHARS {
            return Err(InvalidValue::new("name", Rule::NameLength));
        }
        refuse_control_characters("name", value)?;
        Ok(Self(value.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({:?})", self.0)
    }
}

impl TryFrom<String> for Name {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Name> for String {
    fn from(value: Name) -> String {
        value.0
    }
}

/// Refuses any control character (Unicode category Cc: NUL, escape, line breaks…) in a
/// single-line text field.
///
/// # Errors
/// [`InvalidValue`] naming `field`.
pub fn refuse_control_characters(field: &'static str, value: &str) -> Result<(), InvalidValue> {
    if value.chars().any(char::is_control) {
        return Err(InvalidValue::new(field, Rule::ControlCharacters));
    }
    Ok(())
}

/// Refuses control characters in a multi-line text field (a description), where line breaks
/// and tabs are text.
///
/// # Errors
/// [`InvalidValue`] naming `field`.
pub fn refuse_control_characters_in_prose(field: &'static str, value: &str) -> Result<(), InvalidValue> {
    if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(InvalidValue::new(field, Rule::ControlCharacters));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(Name::parse("  Acme ").unwrap().as_str(), "Acme");
        assert_eq!(Name::parse("x".repeat(200)).unwrap().as_str().len(), 200);
        for (bad, reason) in [
            ("", Rule::NameLength),
            ("   ", Rule::NameLength),
            (&*"x".repeat(201), Rule::NameLength),
            ("x\u{0}y", Rule::ControlCharacters),
            ("x\ny", Rule::ControlCharacters),
            ("x\u{1b}[31my", Rule::ControlCharacters),
            ("x\u{85}y", Rule::ControlCharacters),
        ] {
            assert_eq!(Name::parse(bad), Err(InvalidValue::new("name", reason)), "{bad:?}");
        }
        let parsed: Result<Name, _> = serde_json::from_str("\"a\\u0000b\"");
        assert!(parsed.is_err());
    }

    #[test]
    fn prose_keeps_line_breaks_and_tabs_only() {
        assert!(refuse_control_characters_in_prose("description", "a\r\n\tb").is_ok());
        assert_eq!(
            refuse_control_characters_in_prose("description", "a\u{0}b"),
            Err(InvalidValue::new("description", Rule::ControlCharacters))
        );
        assert!(refuse_control_characters("name", "a\tb").is_err());
    }
}
