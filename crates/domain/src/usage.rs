//! The usage report: how much of each limit an account has used.

use rust_decimal::Decimal;
use serde::Serialize;
use time::OffsetDateTime;

use crate::ids::MetricName;
use crate::limit::Limit;

/// One metric of a usage report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageLine {
    /// The metric.
    pub metric: MetricName,
    /// Units used in the current window.
    pub current: u64,
    /// The limit (`None`: unlimited).
    pub max: Option<u64>,
    /// `current / max` in percent, two decimals, half away from zero (`None`: unlimited).
    // A ratio, not money: a JSON number is what dashboards expect.
    #[serde(with = "rust_decimal::serde::float_option")]
    pub percentage: Option<Decimal>,
    /// Units left (`None`: unlimited).
    pub available: Option<u64>,
    /// When the window resets (`None` for gauges).
    #[serde(with = "time::serde::rfc3339::option")]
    pub resets_at: Option<OffsetDateTime>,
}

impl UsageLine {
    /// Builds the line for `current` units under `limit`. A zero limit reads 100% used.
    pub fn new(metric: MetricName, limit: &Limit, current: u64, resets_at: Option<OffsetDateTime>) -> Self {
        let percentage = limit.max.map(|max| {
            if max == 0 {
                Decimal::ONE_HUNDRED
            } else {
                let mut ratio = (Decimal::from(current) * Decimal::ONE_HUNDRED / Decimal::from(max))
                    .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
                ratio.rescale(2);
                ratio
            }
        });
        Self {
            metric,
            current,
            max: limit.max,
            percentage,
            available: limit.max.map(|max| max.saturating_sub(current)),
            resets_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limit::Reset;

    #[test]
    fn percentages_have_two_decimals() {
        let m = MetricName::parse("tickets").unwrap();
        let line = UsageLine::new(m.clone(), &Limit::hard(3, Reset::Month), 1, None);
        assert_eq!(line.percentage.unwrap().to_string(), "33.33");
        assert_eq!(line.available, Some(2));
        let over = UsageLine::new(m.clone(), &Limit::hard(3, Reset::Month), 5, None);
        assert_eq!(over.percentage.unwrap().to_string(), "166.67");
        assert_eq!(over.available, Some(0));
        let unlimited = UsageLine::new(m.clone(), &Limit::unlimited(Reset::Day), 5, None);
        assert_eq!((unlimited.max, unlimited.percentage, unlimited.available), (None, None, None));
        let huge = UsageLine::new(m, &Limit::hard(u64::MAX, Reset::Never), u64::MAX, None);
        assert_eq!(huge.percentage.unwrap().to_string(), "100.00");
    }
}
