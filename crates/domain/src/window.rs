//! Counting windows: which counter a metric's usage goes to at an instant.

use time::OffsetDateTime;

use crate::ids::WindowKey;
use crate::limit::Reset;
use crate::period::{day_of, month_of};
use crate::subscription::Subscription;

/// The counting window of a metric at an instant: counters are keyed by it, so a new window
/// starts from zero without any job running.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Window {
    /// A stable key: `never`, `d:2026-11-23`, `m:2026-11`, `p:<period start unix seconds>`.
    pub key: WindowKey,
    /// When the window ends (`None` for gauges).
    pub resets_at: Option<OffsetDateTime>,
}

impl Window {
    /// The window of a `reset` kind at `now` for `subscription` (billing periods need it).
    pub fn of(reset: Reset, subscription: &Subscription, now: OffsetDateTime) -> Self {
        let never = Window { key: WindowKey::never(), resets_at: None };
        match reset {
            Reset::Never => never,
            Reset::Day => day_of(now)
                .map_or(never, |p| Window { key: WindowKey::day(p.start.date()), resets_at: Some(p.end) }),
            Reset::Month => month_of(now).map_or(never, |p| Window {
                key: WindowKey::month(p.start.year(), p.start.month()),
                resets_at: Some(p.end),
            }),
            Reset::BillingPeriod => subscription
                .period_at(now)
                .map_or(never, |p| Window { key: WindowKey::period(p.start), resets_at: Some(p.end) }),
        }
    }
}
