//! Invoice numbers: `TG-2026-000123`, sequential per year.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::InvalidValue;
use crate::rule::Rule;

const PREFIX: &str = "TG-";
const INVALID: InvalidValue = InvalidValue::new("number", Rule::InvoiceNumber);

/// An invoice number, `TG-<year>-<sequence>`: the year on four digits, the sequence (from 1) on at
/// least six (`TG-2026-000123`, `TG-2026-1234567`). It orders by year, then sequence.
///
/// Only the canonical spelling parses, so two different strings are never the same number.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InvoiceNumber {
    year: i32,
    sequence: u32,
}

impl InvoiceNumber {
    /// The number `sequence` of `year`.
    ///
    /// # Errors
    /// [`InvalidValue`] for `number` when the year is outside 1..=9999 or the sequence is 0.
    pub fn new(year: i32, sequence: u32) -> Result<Self, InvalidValue> {
        if (1..=9999).contains(&year) && sequence >= 1 { Ok(Self { year, sequence }) } else { Err(INVALID) }
    }

    /// Parses the canonical spelling, `TG-2026-000123`.
    ///
    /// # Errors
    /// [`InvalidValue`] for `number` on any other text.
    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let (year, sequence) = value
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once('-'))
            .filter(|(year, sequence)| year.len() == 4 && digits(year) && digits(sequence))
            .and_then(|(year, sequence)| Some((year.parse().ok()?, sequence.parse().ok()?)))
            .ok_or(INVALID)?;
        let number = Self::new(year, sequence)?;
        // Leading zeros beyond the six-digit padding would give one number two spellings.
        if number.to_string() == value { Ok(number) } else { Err(INVALID) }
    }

    /// The year the number belongs to.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// The position in the year, from 1.
    pub fn sequence(&self) -> u32 {
        self.sequence
    }
}

impl fmt::Display for InvoiceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{:04}-{:06}", self.year, self.sequence)
    }
}

impl fmt::Debug for InvoiceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InvoiceNumber({self})")
    }
}

impl TryFrom<String> for InvoiceNumber {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl std::str::FromStr for InvoiceNumber {
    type Err = InvalidValue;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::parse(value)
    }
}

impl From<InvoiceNumber> for String {
    fn from(value: InvoiceNumber) -> String {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn numbers_are_written_with_a_four_digit_year_and_a_six_digit_sequence() {
        let n = InvoiceNumber::new(2026, 123).unwrap();
        assert_eq!(n.to_string(), "TG-2026-000123");
        assert_eq!((n.year(), n.sequence()), (2026, 123));
        assert_eq!(InvoiceNumber::new(2026, 1_234_567).unwrap().to_string(), "TG-2026-1234567");
        assert_eq!(InvoiceNumber::new(7, 1).unwrap().to_string(), "TG-0007-000001");
        assert_eq!(InvoiceNumber::parse("TG-2026-000123"), Ok(n.clone()));
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"TG-2026-000123\"");
        assert_eq!(serde_json::from_str::<InvoiceNumber>("\"TG-2026-000123\"").unwrap(), n);
    }

    #[test]
    fn out_of_range_and_non_canonical_numbers_are_refused() {
        let invalid = Err(InvalidValue::new("number", Rule::InvoiceNumber));
        assert_eq!(InvoiceNumber::new(2026, 0), invalid);
        assert_eq!(InvoiceNumber::new(0, 1), invalid);
        assert_eq!(InvoiceNumber::new(10_000, 1), invalid);
        assert_eq!(InvoiceNumber::new(-1, 1), invalid);
        for bad in [
            "",
            "TG-2026-000000",
            "TG-2026-00123",
            "TG-2026-0000123",
            "TG-26-000123",
            "TG-02026-000123",
            "TG-0000-000001",
            "tg-2026-000123",
            "TG-2026-+00123",
            "TG-2026--00123",
            "TG-2026-000123 ",
            "TG-2026-99999999999",
            "TG-2026",
            "INV-2026-000123",
        ] {
            assert_eq!(InvoiceNumber::parse(bad), invalid, "{bad:?}");
        }
        assert!(serde_json::from_str::<InvoiceNumber>("\"TG-2026-0\"").is_err());
    }

    #[test]
    fn numbers_order_by_year_then_sequence() {
        let n = |y, s| InvoiceNumber::new(y, s).unwrap();
        assert!(n(2026, 999_999) < n(2026, 1_000_000));
        assert!(n(2026, 5) < n(2027, 1));
    }

    proptest! {
        #[test]
        fn every_number_parses_back_from_its_text(year in 1..=9999_i32, sequence in 1..=u32::MAX) {
            let n = InvoiceNumber::new(year, sequence).unwrap();
            prop_assert_eq!(InvoiceNumber::parse(&n.to_string()), Ok(n));
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(text in ".{0,30}") {
            let _ = InvoiceNumber::parse(&text);
        }
    }
}
