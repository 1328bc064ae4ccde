//! The account state as a decision sees it: read through the instance's cache (see
//! [`crate::cache`]), refreshed in the background, resolved into entitlements.

use std::sync::Arc;

use time::OffsetDateTime;
use tollgate_domain::{
    AccountKey, Entitlements, Evaluation, FeatureName, MetricName, Plan, Policy, Subscription,
};
use tollgate_ports::AccountState;

use crate::cache::{CounterKey, Lookup};
use crate::{AppError, Tollgate};

impl Tollgate {
    /// The account's state as stored now, bypassing the cache: for changes, which must decide
    /// on the current version.
    /// A change scheduled for an instant that has come (a downgrade at period end) is applied
    /// to what is returned, and stored with the next change of the subscription.
    pub(crate) async fn state(&self, key: &AccountKey) -> Result<AccountState, AppError> {
        let mut state = self.ports.accounts.state(key).await?.ok_or(AppError::AccountNotFound)?;
        if let Some(subscription) = state.subscription.as_mut() {
            subscription.settle(self.now());
        }
        Ok(state)
    }

    /// As [`Self::state`], for use cases that need a subscription.
    pub(crate) async fn subscribed(
        &self,
        key: &AccountKey,
    ) -> Result<(AccountState, Subscription), AppError> {
        let state = self.state(key).await?;
        let subscription = state.subscription.clone().ok_or(AppError::NoSubscription)?;
        Ok((state, subscription))
    }

    /// The account at `now` for a decision: its state through the cache (possibly stale, which
    /// the store catches for consumes), its plan version and resolved entitlements.
    pub(crate) async fn context(&self, key: &AccountKey) -> Result<Context, AppError> {
        let now = self.now();
        let mut state = self.cached_state(key, now).await?;
        if state.subscription.as_ref().is_some_and(|s| s.has_due_change(now)) {
            // Rare (once per scheduled change, until a write stores it): a copy, settled.
            let mut settled = AccountState::clone(&state);
            if let Some(subscription) = settled.subscription.as_mut() {
                subscription.settle(now);
            }
            state = Arc::new(settled);
        }
        let plan = self.plan_of(&state).await?;
        let entitlements = match &plan {
            Some(plan) => Entitlements::resolve(plan, &state.add_ons, &state.overrides),
            None => Entitlements::default(),
        };
        let catalog = self.catalog.latest(self.ports.plans.as_ref(), now).await?;
        Ok(Context { state, plan, entitlements, catalog, policy: self.settings.policy, now })
    }

    /// The account's state through the cache at `now` (possibly stale).
    pub(crate) async fn cached_state(
        &self,
        key: &AccountKey,
        now: OffsetDateTime,
    ) -> Result<Arc<AccountState>, AppError> {
        Ok(match self.cache.state(key, now) {
            Lookup::Fresh(state) => state,
            Lookup::Refresh(state) => {
                self.refresh_state(key);
                state
            }
            Lookup::Miss => {
                let state = Arc::new(self.state(key).await?);
                self.cache.put_state(key, state.clone(), now);
                state
            }
        })
    }

    /// The plan version `state`'s subscription is on, from the catalog's cache.
    pub(crate) async fn plan_of(&self, state: &AccountState) -> Result<Option<Arc<Plan>>, AppError> {
        match &state.subscription {
            Some(s) => {
                Ok(Some(self.catalog.version(self.ports.plans.as_ref(), s.plan(), s.plan_version()).await?))
            }
            None => Ok(None),
        }
    }

    /// Reloads a cached state in the background (see [`crate::cache`]); without a runtime to
    /// run it on, the entry simply expires.
    fn refresh_state(&self, key: &AccountKey) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let (accounts, clock, cache, key) =
            (self.ports.accounts.clone(), self.ports.clock.clone(), self.cache.clone(), key.clone());
        runtime.spawn(async move {
            let at = clock.now();
            match accounts.state(&key).await {
                Ok(Some(state)) => cache.put_state(&key, Arc::new(state), at),
                Ok(None) => cache.forget(&key, at),
                Err(error) => {
                    tracing::debug!(%error, account = %key, "cache refresh failed");
                    cache.refresh_failed(&key);
                }
            }
        });
    }

    /// Reloads a cached counter in the background, like [`Self::refresh_state`].
    pub(crate) fn refresh_counter(&self, counter: CounterKey) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let (usage, clock, cache) = (self.ports.usage.clone(), self.ports.clock.clone(), self.cache.clone());
        runtime.spawn(async move {
            let at = clock.now();
            let (key, metric, window) = &counter;
            match usage.current(key, &[(metric.clone(), window.clone())]).await {
                Ok(used) => cache.put_counter(counter.clone(), used.first().copied().unwrap_or(0), at),
                Err(error) => {
                    tracing::debug!(%error, account = %key, "cache refresh failed");
                    cache.counter_refresh_failed(&counter);
                }
            }
        });
    }

    /// A metric no plan or custom term names is a client error, not a denial.
    pub(crate) async fn ensure_metric_known(
        &self,
        ctx: &Context,
        metric: &MetricName,
    ) -> Result<(), AppError> {
        if ctx.entitlements.limit(metric).is_some()
            || self.catalog.knows_metric(self.ports.plans.as_ref(), metric, ctx.now).await?
        {
            Ok(())
        } else {
            Err(AppError::UnknownMetric(metric.clone()))
        }
    }

    /// A feature no plan or custom term names is a client error, not a denial.
    pub(crate) async fn ensure_feature_known(
        &self,
        ctx: &Context,
        feature: &FeatureName,
    ) -> Result<(), AppError> {
        if ctx.entitlements.features().contains_key(feature)
            || self.catalog.knows_feature(self.ports.plans.as_ref(), feature, ctx.now).await?
        {
            Ok(())
        } else {
            Err(AppError::UnknownFeature(feature.clone()))
        }
    }
}

/// One account at one instant, loaded for a decision.
pub(crate) struct Context {
    pub(crate) state: Arc<AccountState>,
    plan: Option<Arc<Plan>>,
    pub(crate) entitlements: Entitlements,
    catalog: Arc<Vec<Plan>>,
    policy: Policy,
    pub(crate) now: OffsetDateTime,
}

impl Context {
    pub(crate) fn evaluation(&self) -> Evaluation<'_> {
        Evaluation {
            entitlements: &self.entitlements,
            subscription: self.state.subscription.as_ref(),
            now: self.now,
            policy: &self.policy,
            catalog: &self.catalog,
            current_plan: self.plan.as_deref(),
        }
    }
}
