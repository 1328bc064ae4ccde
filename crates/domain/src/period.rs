//! Calendar arithmetic in UTC: billing periods from an anchor and the windows metered counters
//! reset on.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month, OffsetDateTime, Time, UtcOffset};

/// How often a plan is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// Every calendar month from the anchor.
    Month,
    /// Every twelve months from the anchor.
    Year,
}

impl Interval {
    /// The interval's length in months.
    pub fn months(self) -> u32 {
        match self {
            Interval::Month => 1,
            Interval::Year => 12,
        }
    }
}

/// A half-open span of time `[start, end)` in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    /// The first instant of the period.
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// The first instant after the period.
    #[serde(with = "time::serde::rfc3339")]
    pub end: OffsetDateTime,
}

impl Period {
    /// True when `at` falls inside the period.
    pub fn contains(&self, at: OffsetDateTime) -> bool {
        self.start <= at && at < self.end
    }

    /// The period's length.
    pub fn length(&self) -> Duration {
        self.end - self.start
    }
}

fn days_in_month(year: i32, month: Month) -> u8 {
    month.length(year)
}

/// `anchor` moved by `months` calendar months, keeping its time of day and clamping its day to
/// the target month's last day (Jan 31 + 1 month = Feb 28 or 29; + 2 months = Mar 31).
///
/// Returns `None` beyond the supported calendar (years ±9999).
pub fn add_months(anchor: OffsetDateTime, months: i64) -> Option<OffsetDateTime> {
    let anchor = anchor.checked_to_offset(UtcOffset::UTC)?;
    let index = i64::from(anchor.year())
        .checked_mul(12)?
        .checked_add(i64::from(u8::from(anchor.month())) - 1)?
        .checked_add(months)?;
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(index.rem_euclid(12) + 1).ok()?).ok()?;
    let day = anchor.day().min(days_in_month(year, month));
    let date = Date::from_calendar_date(year, month, day).ok()?;
    Some(date.with_time(anchor.time()).assume_utc())
}

fn months_between(from: OffsetDateTime, to: OffsetDateTime) -> i64 {
    (i64::from(to.year()) - i64::from(from.year())) * 12
        + (i64::from(u8::from(to.month())) - i64::from(u8::from(from.month())))
}

/// The billing period of a subscription anchored at `anchor` that contains `at`.
///
/// Period `n` starts at `add_months(anchor, n × interval)`, always computed from the anchor so a
/// clamped month (February) does not shift later periods. Before the anchor, the first period is
/// returned. `None` only beyond the supported calendar.
pub fn billing_period(anchor: OffsetDateTime, interval: Interval, at: OffsetDateTime) -> Option<Period> {
    let step = i64::from(interval.months());
    let at = at.checked_to_offset(UtcOffset::UTC)?;
    let mut n = if at <= anchor { 0 } else { months_between(anchor, at).div_euclid(step) };
    // The month estimate is off by at most one period either way (day and time of day).
    while n > 0 && add_months(anchor, n * step)? > at {
        n -= 1;
    }
    while add_months(anchor, (n + 1) * step)? <= at {
        n += 1;
    }
    Some(Period { start: add_months(anchor, n * step)?, end: add_months(anchor, (n + 1) * step)? })
}

/// The UTC calendar day containing `at`.
pub fn day_of(at: OffsetDateTime) -> Option<Period> {
    let start = at.checked_to_offset(UtcOffset::UTC)?.date().with_time(Time::MIDNIGHT).assume_utc();
    Some(Period { start, end: start.checked_add(Duration::DAY)? })
}

/// The UTC calendar month containing `at`.
pub fn month_of(at: OffsetDateTime) -> Option<Period> {
    let at = at.checked_to_offset(UtcOffset::UTC)?;
    let start =
        Date::from_calendar_date(at.year(), at.month(), 1).ok()?.with_time(Time::MIDNIGHT).assume_utc();
    Some(Period { start, end: add_months(start, 1)? })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::datetime;

    use super::*;

    #[test]
    fn month_end_anchors_clamp_and_recover() {
        let jan31 = datetime!(2024-01-31 10:00 UTC);
        assert_eq!(add_months(jan31, 1), Some(datetime!(2024-02-29 10:00 UTC)));
        assert_eq!(add_months(jan31, 2), Some(datetime!(2024-03-31 10:00 UTC)));
        assert_eq!(add_months(datetime!(2023-01-31 0:00 UTC), 1), Some(datetime!(2023-02-28 0:00 UTC)));
        assert_eq!(add_months(jan31, -2), Some(datetime!(2023-11-30 10:00 UTC)));
        assert_eq!(add_months(datetime!(2024-02-29 0:00 UTC), 12), Some(datetime!(2025-02-28 0:00 UTC)));
    }

    #[test]
    fn billing_periods_follow_the_anchor() {
        let anchor = datetime!(2024-01-31 00:00 UTC);
        let p = billing_period(anchor, Interval::Month, datetime!(2024-03-01 12:00 UTC)).unwrap();
        assert_eq!(p, Period { start: datetime!(2024-02-29 0:00 UTC), end: datetime!(2024-03-31 0:00 UTC) });
        let p = billing_period(anchor, Interval::Month, datetime!(2024-03-31 0:00 UTC)).unwrap();
        assert_eq!(p.start, datetime!(2024-03-31 0:00 UTC));
        assert_eq!(p.end, datetime!(2024-04-30 0:00 UTC));
        let p = billing_period(anchor, Interval::Year, datetime!(2025-12-31 23:59 UTC)).unwrap();
        assert_eq!(p, Period { start: datetime!(2025-01-31 0:00 UTC), end: datetime!(2026-01-31 0:00 UTC) });
        let before = billing_period(anchor, Interval::Month, datetime!(2023-05-01 0:00 UTC)).unwrap();
        assert_eq!(before.start, anchor);
    }

    #[test]
    fn calendar_windows_cross_year_ends() {
        let m = month_of(datetime!(2026-12-31 23:59:59 UTC)).unwrap();
        assert_eq!(m, Period { start: datetime!(2026-12-01 0:00 UTC), end: datetime!(2027-01-01 0:00 UTC) });
        let d = day_of(datetime!(2028-02-28 23:00 UTC)).unwrap();
        assert_eq!(d.end, datetime!(2028-02-29 0:00 UTC));
    }

    fn instant() -> impl Strategy<Value = OffsetDateTime> {
        // 1970..2200, second precision.
        (0_i64..7_258_118_400).prop_map(|s| OffsetDateTime::from_unix_timestamp(s).unwrap())
    }

    proptest! {
        #[test]
        fn the_billing_period_contains_the_instant(anchor in instant(), at in instant(), yearly in any::<bool>()) {
            let interval = if yearly { Interval::Year } else { Interval::Month };
            let p = billing_period(anchor, interval, at).unwrap();
            prop_assert!(p.start < p.end);
            if at >= anchor {
                prop_assert!(p.contains(at));
                // Periods tile: the next one starts where this one ends.
                let next = billing_period(anchor, interval, p.end).unwrap();
                prop_assert_eq!(next.start, p.end);
                // And the start is the anchor's day or the month's last day.
                let day = p.start.day();
                prop_assert!(day == anchor.day() || day == days_in_month(p.start.year(), p.start.month()));
            } else {
                prop_assert_eq!(p.start, anchor);
            }
        }

        #[test]
        fn calendar_windows_contain_the_instant(at in instant()) {
            let d = day_of(at).unwrap();
            prop_assert!(d.contains(at));
            prop_assert_eq!(d.length(), Duration::DAY);
            let m = month_of(at).unwrap();
            prop_assert!(m.contains(at));
            prop_assert_eq!(m.start.day(), 1);
            prop_assert_eq!(m.end.day(), 1);
            prop_assert_eq!(m.length().whole_days(), i64::from(days_in_month(at.year(), at.month())));
        }
    }
}
