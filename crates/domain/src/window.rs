//! Counting windows: which counter a metric's usage goes to at an instant.

use time::OffsetDateTime;

use crate::period::{day_of, month_of};
use crate::plan::Reset;
use crate::subscription::Subscription;

/// The counting window of a metric at an instant: counters are keyed by it, so a new window
/// starts from zero without any job running.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Window {
    /// A stable key: `never`, `d:2026-11-23`, `m:2026-11`, `p:<period start unix seconds>`.
    pub key: String,
    /// When the window ends (`None` for gauges).
    pub resets_at: Option<OffsetDateTime>,
}

impl Window {
    /// The window of a `reset` kind at `now` for `subscription` (billing periods need it).
    pub fn of(reset: Reset, subscription: &Subscription, now: OffsetDateTime) -> Self {
        let never = Window { key: "never".to_owned(), resets_at: None };
        match reset {
            Reset::Never => never,
            Reset::Day => day_of(now)
                .map_or(never, |p| Window { key: format!("d:{}", p.start.date()), resets_at: Some(p.end) }),
            Reset::Month => month_of(now).map_or(never, |p| Window {
                key: format!("m:{:04}-{:02}", p.start.year(), u8::from(p.start.month())),
                resets_at: Some(p.end),
            }),
            Reset::BillingPeriod => subscription.period_at(now).map_or(never, |p| Window {
                key: format!("p:{}", p.start.unix_timestamp()),
                resets_at: Some(p.end),
            }),
        }
    }
}
