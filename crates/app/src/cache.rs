//! A short-lived, per-instance cache of what decisions read: account state (subscription,
//! add-ons, overrides) and, for `check` only, usage counters. Writes made through this instance
//! refresh it at once; writes made by another instance are seen within the time to live.
//! `consume` and `release` never trust a cached counter: the store decides.
//!
//! An entry read past half its life is refreshed in the background while the request goes on
//! with it (still within its life), so a busy account never makes a request wait on the
//! database: only the first request of an account, or one idle for a whole life, reads it.
//! Every value carries the time its read began; a value never replaces one read later, nor an
//! entry forgotten later (a change made meanwhile), so a slow read cannot bring back the past.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};
use tollgate_domain::{AccountKey, MetricName, WindowKey};
use tollgate_ports::AccountState;

/// Entries kept at most per map; past it the map is emptied (entries are cheap to reload).
const MAX_ENTRIES: usize = 50_000;

/// What the cache holds for a key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Lookup<V> {
    /// A value within its first half-life.
    Fresh(V),
    /// A value past half its life: use it, and refresh it (the caller is the only one told).
    Refresh(V),
    /// Nothing usable: read it.
    Miss,
}

#[derive(Debug)]
struct Entry<V> {
    /// `None`: forgotten at `at` (a local change); a value read before then is out of date.
    value: Option<V>,
    at: OffsetDateTime,
    refreshing: bool,
}

#[derive(Debug)]
struct Ttl<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
}

impl<K: Eq + Hash, V: Clone> Ttl<K, V> {
    fn new() -> Self {
        Self { entries: Mutex::new(HashMap::new()) }
    }

    fn get(&self, key: &K, now: OffsetDateTime, ttl: Duration) -> Lookup<V> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let Some(entry) = entries.get_mut(key) else { return Lookup::Miss };
        let age = now - entry.at;
        match &entry.value {
            Some(value) if age >= Duration::ZERO && age < ttl => {
                if age >= ttl / 2 && !entry.refreshing {
                    entry.refreshing = true;
                    Lookup::Refresh(value.clone())
                } else {
                    Lookup::Fresh(value.clone())
                }
            }
            _ => Lookup::Miss,
        }
    }

    /// Stores `value`, read from a read that began at `at`, unless the entry is more recent.
    fn put(&self, key: K, value: Option<V>, at: OffsetDateTime) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = entries.get(&key) {
            // A forgetting wins ties: a read that began the instant of a change may predate it.
            let newer = if entry.value.is_none() { entry.at >= at } else { entry.at > at };
            if newer && value.is_some() {
                return;
            }
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, Entry { value, at, refreshing: false });
    }

    /// Lets the next reader refresh the entry (the background refresh failed).
    fn unmark(&self, key: &K) {
        if let Some(entry) = self.entries.lock().unwrap_or_else(|p| p.into_inner()).get_mut(key) {
            entry.refreshing = false;
        }
    }
}

/// The counter of one metric window of one account.
pub(crate) type CounterKey = (AccountKey, MetricName, WindowKey);

#[derive(Debug)]
pub(crate) struct Cache {
    ttl: Duration,
    states: Ttl<AccountKey, Arc<AccountState>>,
    counters: Ttl<CounterKey, u64>,
}

impl Cache {
    /// A cache whose entries live `ttl` (zero: nothing is cached).
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { ttl, states: Ttl::new(), counters: Ttl::new() }
    }

    pub(crate) fn state(&self, key: &AccountKey, now: OffsetDateTime) -> Lookup<Arc<AccountState>> {
        self.states.get(key, now, self.ttl)
    }

    /// Stores a state whose read began at `at`.
    pub(crate) fn put_state(&self, key: &AccountKey, state: Arc<AccountState>, at: OffsetDateTime) {
        if self.ttl.is_positive() {
            self.states.put(key.clone(), Some(state), at);
        }
    }

    /// Forgets an account after a change through this instance, made before `now`.
    pub(crate) fn forget(&self, key: &AccountKey, now: OffsetDateTime) {
        if self.ttl.is_positive() {
            self.states.put(key.clone(), None, now);
        }
    }

    /// A background refresh of the state failed: the next reader may try again.
    pub(crate) fn refresh_failed(&self, key: &AccountKey) {
        self.states.unmark(key);
    }

    pub(crate) fn counter(&self, key: &CounterKey, now: OffsetDateTime) -> Lookup<u64> {
        self.counters.get(key, now, self.ttl)
    }

    /// Stores a counter whose read (or write) began at `at`.
    pub(crate) fn put_counter(&self, key: CounterKey, used: u64, at: OffsetDateTime) {
        if self.ttl.is_positive() {
            self.counters.put(key, Some(used), at);
        }
    }

    /// A background refresh of a counter failed: the next reader may try again.
    pub(crate) fn counter_refresh_failed(&self, key: &CounterKey) {
        self.counters.unmark(key);
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const T0: OffsetDateTime = datetime!(2026-11-23 10:00 UTC);

    #[test]
    fn entries_are_fresh_then_refreshed_once_then_expired() {
        let ttl = Ttl::<u8, u8>::new();
        let life = Duration::seconds(10);
        ttl.put(1, Some(7), T0);
        assert_eq!(ttl.get(&1, T0 + Duration::seconds(4), life), Lookup::Fresh(7));
        assert_eq!(ttl.get(&1, T0 + Duration::seconds(5), life), Lookup::Refresh(7));
        // Only one reader is asked to refresh.
        assert_eq!(ttl.get(&1, T0 + Duration::seconds(6), life), Lookup::Fresh(7));
        assert_eq!(ttl.get(&1, T0 + Duration::seconds(10), life), Lookup::Miss);
        // A failed refresh lets the next reader try.
        ttl.unmark(&1);
        assert_eq!(ttl.get(&1, T0 + Duration::seconds(6), life), Lookup::Refresh(7));
        assert_eq!(ttl.get(&2, T0, life), Lookup::Miss);
    }

    #[test]
    fn a_slow_read_never_replaces_a_later_value_or_change() {
        let ttl = Ttl::<u8, u8>::new();
        let life = Duration::seconds(10);
        ttl.put(1, Some(2), T0 + Duration::seconds(2));
        ttl.put(1, Some(1), T0 + Duration::seconds(1));
        assert_eq!(ttl.get(&1, T0 + Duration::seconds(2), life), Lookup::Fresh(2));
        // Forgotten at 3 (a local change): a read that began at 3 or before is out of date.
        ttl.put(1, None, T0 + Duration::seconds(3));
        ttl.put(1, Some(9), T0 + Duration::seconds(3));
        assert_eq!(ttl.get(&1, T0 + Duration::seconds(3), life), Lookup::Miss);
        ttl.put(1, Some(4), T0 + Duration::seconds(4));
        assert_eq!(ttl.get(&1, T0 + Duration::seconds(4), life), Lookup::Fresh(4));
    }
}
