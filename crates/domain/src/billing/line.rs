//! Invoice lines: where an amount is rounded, once.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::money::Money;
use crate::period::Period;

/// One line of an invoice, its amount already rounded, once, half to even, to the currency's
/// minor unit.
///
/// It serializes as `{"description", "amount", "period_start", "period_end"}`, both ends `null`
/// for a line without a period; reading it back refuses an amount finer than the minor unit and
/// a period with one end only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "LineJson", try_from = "LineJson")]
pub struct InvoiceLine {
    /// What is charged or credited, for people.
    pub description: String,
    /// The rounded amount; negative for a credit.
    pub amount: Money,
    /// The span of service the line pays for, if any.
    pub period: Option<Period>,
}

impl InvoiceLine {
    /// A line for the exact amount `unrounded`, rounded here to the currency's minor unit, half to
    /// even. This is the only place Tollgate rounds money: totals add rounded lines.
    pub fn new(description: impl Into<String>, unrounded: Money, period: Option<Period>) -> Self {
        let rounded = unrounded.round();
        // A credit that rounds to nothing is zero, not "-0.00".
        let amount = if rounded.amount().is_zero() { Money::zero(rounded.currency()) } else { rounded };
        Self { description: description.into(), amount, period }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LineJson {
    description: String,
    amount: Money,
    #[serde(with = "time::serde::rfc3339::option")]
    period_start: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    period_end: Option<OffsetDateTime>,
}

impl From<InvoiceLine> for LineJson {
    fn from(line: InvoiceLine) -> Self {
        LineJson {
            description: line.description,
            amount: line.amount,
            period_start: line.period.map(|p| p.start),
            period_end: line.period.map(|p| p.end),
        }
    }
}

impl TryFrom<LineJson> for InvoiceLine {
    type Error = &'static str;
    fn try_from(json: LineJson) -> Result<Self, Self::Error> {
        let period = match (json.period_start, json.period_end) {
            (Some(start), Some(end)) => Some(Period { start, end }),
            (None, None) => None,
            _ => return Err("period_start and period_end are both set or both null"),
        };
        Ok(InvoiceLine { description: json.description, amount: json.amount, period })
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use time::macros::datetime;

    use super::*;
    use crate::currency::Currency;

    fn money(amount: &str, code: &str) -> Money {
        Money::new(amount.parse::<Decimal>().unwrap(), Currency::parse(code).unwrap())
    }

    #[test]
    fn a_line_rounds_its_amount_half_to_even_once() {
        assert_eq!(InvoiceLine::new("a", money("26.625", "USD"), None).amount, money("26.62", "USD"));
        assert_eq!(InvoiceLine::new("a", money("-26.635", "USD"), None).amount, money("-26.64", "USD"));
        assert_eq!(InvoiceLine::new("a", money("7.5", "XOF"), None).amount, money("8", "XOF"));
        assert_eq!(InvoiceLine::new("a", money("22.5", "XOF"), None).amount, money("22", "XOF"));
        let nothing = InvoiceLine::new("a", money("-0.004", "USD"), None);
        assert_eq!(nothing.amount.amount_string(), "0.00");
        assert!(!nothing.amount.amount().is_sign_negative());
    }

    #[test]
    fn a_line_serializes_its_period_as_two_fields() {
        let period = Period { start: datetime!(2026-04-01 0:00 UTC), end: datetime!(2026-05-01 0:00 UTC) };
        let line = InvoiceLine::new("Pro", money("45", "USD"), Some(period));
        let json = serde_json::to_value(&line).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "description": "Pro",
                "amount": {"amount": "45.00", "currency": "USD"},
                "period_start": "2026-04-01T00:00:00Z",
                "period_end": "2026-05-01T00:00:00Z",
            })
        );
        assert_eq!(serde_json::from_value::<InvoiceLine>(json).unwrap(), line);
        let credit = InvoiceLine::new("Credit", money("-1", "USD"), None);
        let json = serde_json::to_value(&credit).unwrap();
        assert_eq!(json["period_start"], serde_json::Value::Null);
        assert_eq!(json["period_end"], serde_json::Value::Null);
        assert_eq!(serde_json::from_value::<InvoiceLine>(json).unwrap(), credit);
    }

    #[test]
    fn a_line_read_back_keeps_the_minor_unit_and_both_period_ends() {
        let read = |json: &str| serde_json::from_str::<InvoiceLine>(json);
        let half = r#"{"description": "a", "amount": {"amount": "1.005", "currency": "USD"},
                       "period_start": null, "period_end": null}"#;
        assert!(read(half).is_err());
        let one_end = r#"{"description": "a", "amount": {"amount": "1", "currency": "USD"},
                          "period_start": "2026-04-01T00:00:00Z", "period_end": null}"#;
        assert!(read(one_end).is_err());
    }
}
