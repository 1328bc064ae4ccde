//! A short-lived, per-instance cache of what decisions read: account state (subscription,
//! add-ons, overrides) and, for `check` only, usage counters. Writes made through this instance
//! refresh it at once; writes made by another instance are seen within the time to live.
//! `consume` and `release` never trust a cached counter: the store decides.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};
use tollgate_domain::{AccountKey, MetricName};
use tollgate_ports::AccountState;

/// Entries kept at most per map; past it the map is emptied (entries are cheap to reload).
const MAX_ENTRIES: usize = 50_000;

#[derive(Debug)]
struct Ttl<K, V> {
    entries: Mutex<HashMap<K, (V, OffsetDateTime)>>,
}

impl<K: Eq + Hash, V: Clone> Ttl<K, V> {
    fn new() -> Self {
        Self { entries: Mutex::new(HashMap::new()) }
    }

    fn get(&self, key: &K, now: OffsetDateTime, ttl: Duration) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(key).filter(|(_, at)| now - *at < ttl && now >= *at).map(|(v, _)| v.clone())
    }

    fn put(&self, key: K, value: V, now: OffsetDateTime) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (value, now));
    }

    fn remove(&self, key: &K) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

/// The counter of one metric window of one account.
pub(crate) type CounterKey = (AccountKey, MetricName, String);

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

    pub(crate) fn state(&self, key: &AccountKey, now: OffsetDateTime) -> Option<Arc<AccountState>> {
        self.states.get(key, now, self.ttl)
    }

    pub(crate) fn put_state(&self, key: &AccountKey, state: Arc<AccountState>, now: OffsetDateTime) {
        if self.ttl.is_positive() {
            self.states.put(key.clone(), state, now);
        }
    }

    /// Forgets an account after a change through this instance.
    pub(crate) fn forget(&self, key: &AccountKey) {
        self.states.remove(key);
    }

    pub(crate) fn counter(&self, key: &CounterKey, now: OffsetDateTime) -> Option<u64> {
        self.counters.get(key, now, self.ttl)
    }

    pub(crate) fn put_counter(&self, key: CounterKey, used: u64, now: OffsetDateTime) {
        if self.ttl.is_positive() {
            self.counters.put(key, used, now);
        }
    }
}
