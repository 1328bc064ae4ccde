//! How many units one request counts: positive and bounded, so every sum stays far from overflow.

use serde::{Deserialize, Serialize};

use crate::ids::InvalidValue;
use crate::rule::Rule;

/// Largest quantity one request may carry (10^12): keeps every sum far from overflow.
pub const MAX_QUANTITY: u64 = 1_000_000_000_000;

/// A positive number of units, at most [`MAX_QUANTITY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Quantity(u64);

impl Quantity {
    /// Validates `value`.
    ///
    /// # Errors
    /// [`InvalidValue`] for `quantity` when zero or above [`MAX_QUANTITY`].
    pub fn new(value: u64) -> Result<Self, InvalidValue> {
        if (1..=MAX_QUANTITY).contains(&value) {
            Ok(Self(value))
        } else {
            Err(InvalidValue::new("quantity", Rule::Quantity))
        }
    }

    /// The number of units.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Quantity::new(u64::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}
