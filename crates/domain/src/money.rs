//! Money: an exact decimal amount in one ISO 4217 currency. No floats anywhere.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::currency::Currency;
use crate::ids::InvalidValue;
use crate::rule::Rule;

/// What can go wrong with arithmetic on money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The two amounts are in different currencies; money is never converted implicitly.
    #[error("cannot combine {left} with {right}")]
    CurrencyMismatch {
        /// The left operand's currency.
        left: Currency,
        /// The right operand's currency.
        right: Currency,
    },
    /// The result does not fit the decimal range.
    #[error("amount out of range")]
    Overflow,
    /// The amount has more decimals than the currency's minor unit allows.
    #[error("{currency} amounts have at most {exponent} decimal places")]
    TooPrecise {
        /// The currency.
        currency: Currency,
        /// Its exponent.
        exponent: u32,
    },
}

/// An exact amount in a currency.
///
/// Intermediate results (proration, per-month prices) may carry more decimals than the
/// currency's minor unit; [`Money::round`] brings them to the minor unit, once, at the invoice line.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// An amount in `currency`.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self::new(Decimal::ZERO, currency)
    }

    /// Parses a decimal string (`"19.99"`) and an ISO code, as money travels in JSON.
    ///
    /// # Errors
    /// [`InvalidValue`] for `amount` when it is not a plain decimal or has more decimals than the
    /// currency allows, for `currency` when the code is unknown.
    pub fn parse(amount: &str, currency: &str) -> Result<Self, InvalidValue> {
        let currency = Currency::parse(currency)?;
        let plain = !amount.is_empty()
            && amount.len() <= 40
            && amount.strip_prefix('-').unwrap_or(amount).bytes().all(|b| b.is_ascii_digit() || b == b'.');
        let amount: Decimal =
            plain.then(|| amount.parse().ok()).flatten().ok_or(InvalidValue::new("amount", Rule::Amount))?;
        if amount.scale() > currency.exponent() && amount.normalize().scale() > currency.exponent() {
            return Err(InvalidValue::new("amount", Rule::AmountPrecision));
        }
        Ok(Self::new(amount, currency))
    }

    /// Builds an amount from integer minor units (cents for USD, francs for XOF).
    pub fn from_minor_units(units: i64, currency: Currency) -> Self {
        Self::new(Decimal::new(units, currency.exponent()), currency)
    }

    /// The amount in integer minor units, as it is stored.
    ///
    /// # Errors
    /// [`MoneyError::TooPrecise`] when the amount is not a whole number of minor units (round it
    /// first), [`MoneyError::Overflow`] when it does not fit an `i64`.
    pub fn to_minor_units(&self) -> Result<i64, MoneyError> {
        let scaled = self
            .amount
            .checked_mul(Decimal::from(10_i64.pow(self.currency.exponent())))
            .ok_or(MoneyError::Overflow)?;
        if !scaled.fract().is_zero() {
            return Err(MoneyError::TooPrecise {
                currency: self.currency,
                exponent: self.currency.exponent(),
            });
        }
        i64::try_from(scaled).map_err(|_| MoneyError::Overflow)
    }

    /// The exact amount.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// True when the amount is below zero.
    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    /// Adds two amounts of the same currency.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] across currencies, [`MoneyError::Overflow`] out of range.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self.amount.checked_add(other.amount).ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }

    /// Subtracts an amount of the same currency.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] across currencies, [`MoneyError::Overflow`] out of range.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self.amount.checked_sub(other.amount).ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }

    /// Multiplies by an exact factor (a quantity, a proration ratio) without rounding.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] out of range.
    pub fn checked_mul(self, factor: Decimal) -> Result<Money, MoneyError> {
        let amount = self.amount.checked_mul(factor).ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }

    /// Rounds to the currency's minor unit, half to even (banker's rounding: 1.005 USD → 1.00,
    /// 1.015 USD → 1.02; 2.5 JPY → 2), so that ties do not all lean the same way over many lines.
    ///
    /// This is the only rounding Tollgate does, and it happens once, on an invoice line.
    pub fn round(self) -> Money {
        let amount = self
            .amount
            .round_dp_with_strategy(self.currency.exponent(), RoundingStrategy::MidpointNearestEven);
        Self::new(amount, self.currency)
    }

    fn same_currency(&self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch { left: self.currency, right: other.currency })
        }
    }

    /// The amount as a string with at least the currency's decimals (`"45.00"`, `"5000"` XOF).
    pub fn amount_string(&self) -> String {
        let mut amount = self.amount.normalize();
        if amount.scale() < self.currency.exponent() {
            amount.rescale(self.currency.exponent());
        }
        amount.to_string()
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyJson {
    amount: String,
    currency: String,
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        MoneyJson { amount: self.amount_string(), currency: self.currency.code().to_owned() }
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = MoneyJson::deserialize(deserializer)?;
        Money::parse(&raw.amount, &raw.currency).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::currency::CURRENCIES;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn money_round_trips_through_json_as_a_string() {
        let m: Money = serde_json::from_str(r#"{"amount":"45","currency":"USD"}"#).unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"amount":"45.00","currency":"USD"}"#);
        let xof: Money = serde_json::from_str(r#"{"amount":"5000","currency":"XOF"}"#).unwrap();
        assert_eq!(xof.amount_string(), "5000");
        assert_eq!(xof.to_minor_units().unwrap(), 5000);
    }

    #[test]
    fn json_money_rejects_floats_and_excess_precision() {
        assert!(serde_json::from_str::<Money>(r#"{"amount":19.99,"currency":"USD"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":"19.999","currency":"USD"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1.5","currency":"JPY"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1e3","currency":"USD"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"USD","x":1}"#).is_err());
    }

    #[test]
    fn minor_units_follow_the_exponent() {
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(Money::from_minor_units(1234, kwd).amount_string(), "1.234");
        assert_eq!(Money::parse("19.99", "USD").unwrap().to_minor_units().unwrap(), 1999);
        let third = Money::parse("10", "USD").unwrap().checked_mul(Decimal::ONE / Decimal::from(3));
        assert!(matches!(third.unwrap().to_minor_units(), Err(MoneyError::TooPrecise { .. })));
    }

    #[test]
    fn rounding_is_half_to_even_at_the_minor_unit() {
        let usd = |thousandths| Money::new(Decimal::new(thousandths, 3), usd()).round().amount_string();
        assert_eq!(usd(1005), "1.00");
        assert_eq!(usd(1015), "1.02");
        assert_eq!(usd(-1005), "-1.00");
        assert_eq!(usd(-1015), "-1.02");
        assert_eq!(usd(1006), "1.01", "only exact ties go to even");
        assert_eq!(usd(1004), "1.00");
        for (code, tenths, rounded) in
            [("JPY", 15, "2"), ("JPY", 25, "2"), ("XOF", 35, "4"), ("XOF", -25, "-2")]
        {
            let m = Money::new(Decimal::new(tenths, 1), Currency::parse(code).unwrap()).round();
            assert_eq!(m.amount_string(), rounded, "{tenths} tenths of {code}");
        }
        let kwd = Money::new(Decimal::new(12345, 4), Currency::parse("KWD").unwrap()).round();
        assert_eq!(kwd.amount_string(), "1.234");
    }

    proptest! {
        #[test]
        fn money_never_mixes_currencies(a in any::<i64>(), b in any::<i64>(), i in 0..CURRENCIES.len(), j in 0..CURRENCIES.len()) {
            let (ca, cb) = (Currency::parse(CURRENCIES[i].0).unwrap(), Currency::parse(CURRENCIES[j].0).unwrap());
            let (x, y) = (Money::from_minor_units(a, ca), Money::from_minor_units(b, cb));
            let sum = x.checked_add(y);
            if ca == cb {
                let sum = sum.unwrap();
                prop_assert_eq!(sum.currency(), ca);
                prop_assert_eq!(sum.amount(), x.amount() + y.amount());
            } else {
                let is_mismatch = matches!(sum, Err(MoneyError::CurrencyMismatch { .. }));
                prop_assert!(is_mismatch);
                let is_mismatch = matches!(x.checked_sub(y), Err(MoneyError::CurrencyMismatch { .. }));
                prop_assert!(is_mismatch);
            }
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(amount in ".{0,50}", code in ".{0,5}") {
            let _ = Money::parse(&amount, &code);
        }

        #[test]
        fn minor_units_round_trip(units in any::<i64>(), i in 0..CURRENCIES.len()) {
            let c = Currency::parse(CURRENCIES[i].0).unwrap();
            prop_assert_eq!(Money::from_minor_units(units, c).to_minor_units(), Ok(units));
        }
    }
}
