use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use time::{Duration, OffsetDateTime};
use tollgate_ports::{Clock, IdGenerator};

/// The real clock: the one place Tollgate reads the system time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    /// Now, truncated to the microsecond: the precision instants are stored with, so a value
    /// read back equals the one written.
    fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        now.replace_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now)
    }
}

/// A clock shifted by a fixed offset from another (the system clock by default): a staging
/// server set some days ahead shows what will happen then (trials ending, renewals, expiries)
/// while its own time still flows.
#[derive(Debug, Clone, Copy, Default)]
pub struct OffsetClock<C = SystemClock> {
    clock: C,
    offset: Duration,
}

impl<C: Clock> OffsetClock<C> {
    /// `clock` shifted by `offset` (forward when positive, back when negative).
    pub fn new(clock: C, offset: Duration) -> Self {
        Self { clock, offset }
    }

    /// The shift.
    pub fn offset(&self) -> Duration {
        self.offset
    }
}

impl<C: Clock> Clock for OffsetClock<C> {
    /// The inner clock's now plus the offset, held at the supported calendar's bounds rather
    /// than overflowing.
    fn now(&self) -> OffsetDateTime {
        self.clock.now().saturating_add(self.offset)
    }
}

/// A clock that only moves when told, for testing rules at any instant.
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn new(at: OffsetDateTime) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock to `at` (backwards too).
    pub fn set(&self, at: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now = now.saturating_add(by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Identifiers `prefix_1`, `prefix_2`, … — predictable, for tests.
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl IdGenerator for SequentialIds {
    fn generate(&self, prefix: &str) -> String {
        format!("{prefix}_{}", self.0.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn the_manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(datetime!(2028-02-28 23:00 UTC));
        assert_eq!(clock.now(), datetime!(2028-02-28 23:00 UTC));
        clock.advance(Duration::hours(2));
        assert_eq!(clock.now(), datetime!(2028-02-29 1:00 UTC));
        clock.set(datetime!(2020-01-01 0:00 UTC));
        assert_eq!(clock.now(), datetime!(2020-01-01 0:00 UTC));
        let ids = SequentialIds::default();
        assert_eq!((ids.generate("inv"), ids.generate("inv")), ("inv_1".into(), "inv_2".into()));
    }

    #[test]
    fn an_offset_clock_follows_its_clock_shifted() {
        let offset = OffsetClock::new(ManualClock::new(datetime!(2026-11-23 10:00 UTC)), Duration::days(15));
        assert_eq!(offset.now(), datetime!(2026-12-08 10:00 UTC));
        offset.clock.advance(Duration::hours(1));
        assert_eq!(offset.now(), datetime!(2026-12-08 11:00 UTC));
        let back = OffsetClock::new(ManualClock::new(datetime!(2026-11-23 10:00 UTC)), Duration::days(-30));
        assert_eq!(back.now(), datetime!(2026-10-24 10:00 UTC));
        let far = OffsetClock::new(ManualClock::new(datetime!(2026-11-23 10:00 UTC)), Duration::MAX);
        assert!(far.now() > datetime!(9999-01-01 0:00 UTC), "saturates instead of panicking");
        let system = OffsetClock::new(SystemClock, Duration::days(1));
        let ahead = system.now() - SystemClock.now();
        assert!(ahead > Duration::hours(23) && ahead <= Duration::days(1), "{ahead}");
    }
}
