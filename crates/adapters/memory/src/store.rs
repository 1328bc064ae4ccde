use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use time::OffsetDateTime;
use tollgate_domain::{
    AccountKey, AddOn, AuditEvent, IdempotencyKey, MetricName, Overrides, Plan, PlanCode, Subscription,
    WindowKey,
};
use tollgate_ports::{
    Account, AccountFilter, AccountRepository, AccountState, LedgerEntry, LedgerRetention, RetentionBatch,
    StoreError, SubscriptionRepository, SubscriptionTally, UsageCommand, UsageKind, UsageOutcome,
    UsageRepository,
};

mod plans;

/// Counters never pass `i64::MAX`, as in the database store (a signed 64-bit column).
const COUNTER_MAX: u64 = i64::MAX as u64;

#[derive(Debug, Default)]
struct State {
    accounts: BTreeMap<AccountKey, AccountState>,
    plans: BTreeMap<PlanCode, Vec<Plan>>,
    counters: HashMap<(AccountKey, MetricName, WindowKey), u64>,
    ledger: HashMap<AccountKey, Vec<LedgerEntry>>,
    keys: HashMap<(AccountKey, IdempotencyKey), usize>,
    /// The audit log, here rather than with the identity records so that a subscription change
    /// and its event are one write under one lock.
    audit: Vec<AuditEvent>,
    audit_ids: HashSet<String>,
}

impl State {
    /// Whether every event of `events` may be appended: no id already logged nor repeated.
    fn audit_free(&self, events: &[AuditEvent]) -> bool {
        let mut ids = HashSet::new();
        events.iter().all(|e| !self.audit_ids.contains(&e.id) && ids.insert(e.id.as_str()))
    }

    /// Appends every event of `events` or, when one's id is logged or repeated, none.
    fn try_append(&mut self, events: &[AuditEvent]) -> Result<(), StoreError> {
        if !self.audit_free(events) {
            return Err(StoreError::Conflict("audit"));
        }
        for event in events {
            self.audit_ids.insert(event.id.clone());
            self.audit.push(event.clone());
        }
        Ok(())
    }
}

/// Every repository port in memory, behind one lock: each command is atomic because it runs
/// entirely under the lock, and nothing is written before it is known to succeed.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave State half-written: every mutation below happens after
        // all checks, so the data behind a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn apply(&self, kind: UsageKind, cmd: &UsageCommand) -> Result<UsageOutcome, StoreError> {
        let mut state = self.lock();
        if !state.accounts.contains_key(&cmd.account) {
            return Err(StoreError::NotFound("account"));
        }
        if let Some(key) = &cmd.idempotency_key
            && let Some(&index) = state.keys.get(&(cmd.account.clone(), key.clone()))
        {
            return state.ledger[&cmd.account][index].replay(kind, cmd);
        }
        // Checked under the same lock as the write: the terms the cap came from are current.
        if cmd.state_version.is_some_and(|v| state.accounts.get(&cmd.account).is_none_or(|a| a.version != v))
        {
            return Err(StoreError::Stale);
        }
        let counter = (cmd.account.clone(), cmd.metric.clone(), cmd.window.clone());
        let used = state.counters.get(&counter).copied().unwrap_or(0);
        let quantity = cmd.quantity.get();
        let outcome = match kind {
            UsageKind::Consume => match used.checked_add(quantity) {
                Some(total) if total <= COUNTER_MAX && cmd.cap.is_none_or(|cap| total <= cap) => {
                    UsageOutcome { applied: true, delta: quantity, used: total, replayed: false }
                }
                _ => UsageOutcome { applied: false, delta: 0, used, replayed: false },
            },
            UsageKind::Release => {
                let delta = quantity.min(used);
                UsageOutcome { applied: true, delta, used: used - delta, replayed: false }
            }
        };
        if !outcome.applied && cmd.idempotency_key.is_none() {
            return Ok(outcome);
        }
        state.counters.insert(counter, outcome.used);
        let ledger = state.ledger.entry(cmd.account.clone()).or_default();
        ledger.push(LedgerEntry {
            metric: cmd.metric.clone(),
            window: cmd.window.clone(),
            kind,
            quantity: cmd.quantity,
            outcome,
            idempotency_key: cmd.idempotency_key.clone(),
            at: cmd.at,
        });
        let index = ledger.len() - 1;
        if let Some(key) = &cmd.idempotency_key {
            state.keys.insert((cmd.account.clone(), key.clone()), index);
        }
        Ok(outcome)
    }

    /// Whether the account exists.
    pub(crate) fn has_account(&self, key: &AccountKey) -> bool {
        self.lock().accounts.contains_key(key)
    }

    /// Whether an audit event has this id.
    pub(crate) fn has_audit(&self, id: &str) -> bool {
        self.lock().audit_ids.contains(id)
    }

    /// The audit log, oldest first.
    pub(crate) fn audit_log(&self) -> Vec<AuditEvent> {
        self.lock().audit.clone()
    }

    /// Appends every event or none ([`StoreError::Conflict`]`("audit")`): the audit half of a
    /// change another adapter (API keys, add-ons) makes only once this succeeded, under its lock.
    pub(crate) fn append_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        self.lock().try_append(events)
    }

    /// Creates every account and appends every event or, when one of the keys or event ids
    /// exists, does nothing ([`StoreError::Conflict`]`("account")` or `("audit")`): what
    /// [`AccountRepository::create`] does, and the identity store's commit.
    pub(crate) fn create_accounts(
        &self,
        accounts: Vec<(Account, Option<Subscription>)>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        if accounts.iter().any(|(account, _)| state.accounts.contains_key(&account.key)) {
            return Err(StoreError::Conflict("account"));
        }
        state.try_append(events)?;
        for (account, subscription) in accounts {
            let state_of = AccountState {
                version: 0,
                account,
                subscription,
                add_ons: Vec::new(),
                overrides: Overrides::default(),
            };
            state.accounts.insert(state_of.account.key.clone(), state_of);
        }
        Ok(())
    }

    /// Stores `subscription` and then `add_ons` (each when given, with the state version it was
    /// derived from, the second checked against the version the first moved on) and appends
    /// `events`, all or nothing: the part of a billing batch that lands in the accounts.
    pub(crate) fn commit(
        &self,
        subscription: Option<(&AccountKey, &Subscription, u64)>,
        add_ons: Option<(&AccountKey, &[AddOn], u64)>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let mut versions: HashMap<&AccountKey, u64> = HashMap::new();
        let writes = subscription.map(|(key, _, expected)| (key, expected)).into_iter();
        for (key, expected) in writes.chain(add_ons.map(|(key, _, expected)| (key, expected))) {
            let current = match versions.get(key) {
                Some(&version) => version,
                None => state.accounts.get(key).ok_or(StoreError::NotFound("account"))?.version,
            };
            if current != expected {
                return Err(StoreError::Stale);
            }
            versions.insert(key, current + 1);
        }
        state.try_append(events)?;
        for (key, version) in versions {
            if let Some(account) = state.accounts.get_mut(key) {
                account.version = version;
                if let Some((_, s, _)) = subscription.filter(|(k, _, _)| *k == key) {
                    account.subscription = Some(s.clone());
                }
                if let Some((_, a, _)) = add_ons.filter(|(k, _, _)| *k == key) {
                    account.add_ons = a.to_vec();
                }
            }
        }
        Ok(())
    }

    /// Changes an account's state and moves its version on, if it is still `expected` (when given).
    fn change_state(
        &self,
        key: &AccountKey,
        expected: Option<u64>,
        events: &[AuditEvent],
        f: impl FnOnce(&mut AccountState),
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let account = state.accounts.get(key).ok_or(StoreError::NotFound("account"))?;
        if expected.is_some_and(|v| v != account.version) {
            return Err(StoreError::Stale);
        }
        state.try_append(events)?;
        let account = state.accounts.get_mut(key).ok_or(StoreError::NotFound("account"))?;
        f(account);
        account.version += 1;
        Ok(())
    }
}

#[async_trait]
impl AccountRepository for MemoryStore {
    async fn create(&self, account: &Account, subscription: Option<Subscription>) -> Result<(), StoreError> {
        self.create_accounts(vec![(account.clone(), subscription)], &[])
    }

    async fn state(&self, key: &AccountKey) -> Result<Option<AccountState>, StoreError> {
        Ok(self.lock().accounts.get(key).cloned())
    }

    async fn list(&self, after: Option<AccountKey>, limit: u32) -> Result<Vec<Account>, StoreError> {
        let state = self.lock();
        let range = match after {
            Some(after) => {
                state.accounts.range((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))
            }
            None => state.accounts.range(..),
        };
        Ok(range.take(limit as usize).map(|(_, s)| s.account.clone()).collect())
    }

    async fn search(
        &self,
        filter: &AccountFilter,
        after: Option<AccountKey>,
        limit: u32,
    ) -> Result<Vec<AccountState>, StoreError> {
        let query = filter.query.as_ref().map(|q| q.to_lowercase());
        let contains = |text: &str| query.as_deref().is_none_or(|q| text.to_lowercase().contains(q));
        let state = self.lock();
        let matching = state.accounts.values().filter(|s| {
            let subscription = s.subscription.as_ref();
            after.as_ref().is_none_or(|a| &s.account.key > a)
                && (contains(s.account.key.as_str())
                    || contains(&s.account.name)
                    || s.account.email.as_ref().is_some_and(|e| contains(e.as_str())))
                && filter.status.is_none_or(|st| subscription.is_some_and(|sub| sub.status() == st))
                && filter.plan.as_ref().is_none_or(|p| subscription.is_some_and(|sub| sub.plan() == p))
        });
        Ok(matching.take(limit as usize).cloned().collect())
    }

    async fn tally(&self) -> Result<Vec<SubscriptionTally>, StoreError> {
        let state = self.lock();
        let mut groups: Vec<SubscriptionTally> = Vec::new();
        for account in state.accounts.values() {
            let sub = account.subscription.as_ref();
            let plan = sub.map(|s| (s.plan().clone(), s.plan_version()));
            let status = sub.map(Subscription::status);
            let seats = sub.map_or(0, |s| u64::from(s.seats()));
            match groups.iter_mut().find(|g| g.plan == plan && g.status == status) {
                Some(group) => {
                    group.accounts += 1;
                    group.seats += seats;
                }
                None => groups.push(SubscriptionTally { plan, status, accounts: 1, seats }),
            }
        }
        Ok(groups)
    }
}

#[async_trait]
impl SubscriptionRepository for MemoryStore {
    async fn save(
        &self,
        key: &AccountKey,
        subscription: &Subscription,
        expected: u64,
        audit: &[AuditEvent],
    ) -> Result<(), StoreError> {
        self.change_state(key, Some(expected), audit, |s| s.subscription = Some(subscription.clone()))
    }

    async fn set_add_ons(&self, key: &AccountKey, add_ons: &[AddOn]) -> Result<(), StoreError> {
        self.change_state(key, None, &[], |s| s.add_ons = add_ons.to_vec())
    }

    async fn set_overrides(&self, key: &AccountKey, overrides: &Overrides) -> Result<(), StoreError> {
        self.change_state(key, None, &[], |s| s.overrides = overrides.clone())
    }
}

#[async_trait]
impl UsageRepository for MemoryStore {
    async fn consume(&self, command: &UsageCommand) -> Result<UsageOutcome, StoreError> {
        self.apply(UsageKind::Consume, command)
    }

    async fn release(&self, command: &UsageCommand) -> Result<UsageOutcome, StoreError> {
        self.apply(UsageKind::Release, command)
    }

    async fn current(
        &self,
        account: &AccountKey,
        counters: &[(MetricName, WindowKey)],
    ) -> Result<Vec<u64>, StoreError> {
        let state = self.lock();
        Ok(counters
            .iter()
            .map(|(m, w)| state.counters.get(&(account.clone(), m.clone(), w.clone())).copied().unwrap_or(0))
            .collect())
    }

    async fn recorded(
        &self,
        account: &AccountKey,
        key: &IdempotencyKey,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        let state = self.lock();
        let index = state.keys.get(&(account.clone(), key.clone()));
        Ok(index.and_then(|&i| state.ledger.get(account).and_then(|l| l.get(i)).cloned()))
    }

    async fn ledger(&self, account: &AccountKey, limit: u32) -> Result<Vec<LedgerEntry>, StoreError> {
        let state = self.lock();
        Ok(state
            .ledger
            .get(account)
            .map(|l| l.iter().take(limit as usize).cloned().collect())
            .unwrap_or_default())
    }

    async fn totals(&self) -> Result<Vec<(MetricName, u64)>, StoreError> {
        let state = self.lock();
        let mut totals: BTreeMap<MetricName, u64> = BTreeMap::new();
        for ((_, metric, _), used) in &state.counters {
            let total = totals.entry(metric.clone()).or_default();
            *total = total.saturating_add(*used);
        }
        Ok(totals.into_iter().collect())
    }
}

#[async_trait]
impl LedgerRetention for MemoryStore {
    async fn forget_idempotency_keys(
        &self,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<RetentionBatch, StoreError> {
        let mut state = self.lock();
        let state = &mut *state;
        let mut old: Vec<_> = state
            .keys
            .iter()
            .filter_map(|((account, key), &index)| {
                let at = state.ledger.get(account)?.get(index)?.at;
                (at < before).then(|| (at, account.clone(), key.clone(), index))
            })
            .collect();
        old.sort_by_key(|(at, ..)| *at);
        let more = old.len() > limit as usize;
        old.truncate(limit as usize);
        for (_, account, key, index) in &old {
            state.keys.remove(&(account.clone(), key.clone()));
            if let Some(line) = state.ledger.get_mut(account).and_then(|l| l.get_mut(*index)) {
                line.idempotency_key = None;
            }
        }
        Ok(RetentionBatch { forgotten: old.len() as u64, more })
    }
}
