use std::collections::BTreeMap;
use std::sync::Arc;

use time::OffsetDateTime;
use tollgate_domain::{
    AccountKey, AddOn, Decision, Email, Entitlements, Evaluation, FeatureName, IdempotencyKey, InvalidValue,
    Locale, MetricName, Overrides, Plan, PlanCode, PlanDraft, Policy, Quantity, Request, Subscription,
    UsageLine, Window,
};
use tollgate_ports::{
    Account, AccountRepository, AccountState, CheckoutRequest, CheckoutSession, Clock, IdGenerator,
    Notification, Notifier, PaymentGateway, PlanRepository, SubscriptionRepository, UsageCommand, UsageKind,
    UsageRepository,
};

use crate::cache::{Cache, CounterKey, Lookup};
use crate::catalog::Catalog;
use crate::{AccountView, AppError, SubscriptionView, UsageReport};

/// The adapters Tollgate runs on.
#[derive(Clone)]
#[allow(missing_debug_implementations)]
pub struct Ports {
    /// Accounts.
    pub accounts: Arc<dyn AccountRepository>,
    /// Subscriptions, add-ons, overrides.
    pub subscriptions: Arc<dyn SubscriptionRepository>,
    /// Plans.
    pub plans: Arc<dyn PlanRepository>,
    /// Usage counters and ledger.
    pub usage: Arc<dyn UsageRepository>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Identifiers.
    pub ids: Arc<dyn IdGenerator>,
    /// Payments.
    pub gateway: Arc<dyn PaymentGateway>,
    /// Notifications.
    pub notifier: Arc<dyn Notifier>,
}

/// Operator settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The plan of accounts created without one; `None`: such accounts have no subscription
    /// until one is started with [`Tollgate::change_plan`].
    pub default_plan: Option<PlanCode>,
    /// Grace periods and other rules.
    pub policy: Policy,
    /// How long an instance may reuse an account's state (plan, status, overrides) and, for
    /// `check` only, a usage counter, before reading them again; changes made through the same
    /// instance apply at once. Zero disables the cache. `consume` and `release` are always exact.
    pub cache_ttl: time::Duration,
}

/// A request to provision an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// The integrator's key.
    pub key: AccountKey,
    /// Display name (1–200 characters).
    pub name: String,
    /// Billing contact.
    pub email: Option<Email>,
    /// The plan; the default plan when `None` (no subscription when there is no default).
    pub plan: Option<PlanCode>,
    /// Seats; 1 when `None`.
    pub seats: Option<u32>,
}

/// A change of plan, seats, or both.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangePlan {
    /// The new plan (its latest version); the current plan when `None`. Required to start a
    /// subscription on an account that has none.
    pub plan: Option<PlanCode>,
    /// The new seat count; unchanged when `None`.
    pub seats: Option<u32>,
}

/// Tollgate's use cases.
#[allow(missing_debug_implementations)]
pub struct Tollgate {
    ports: Ports,
    settings: Settings,
    catalog: Catalog,
    cache: Arc<Cache>,
}

impl Tollgate {
    /// Wires the use cases to `ports`.
    pub fn new(ports: Ports, settings: Settings) -> Self {
        let cache = Arc::new(Cache::new(settings.cache_ttl));
        Self { ports, settings, catalog: Catalog::default(), cache }
    }

    /// The clock Tollgate reads (for adapters that need the same "now").
    pub fn now(&self) -> OffsetDateTime {
        self.ports.clock.now()
    }

    // ---- plans -------------------------------------------------------------------------

    /// Publishes plan terms: identical terms keep their version, new terms become the next one,
    /// so existing subscribers keep theirs.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for invalid terms; storage errors.
    pub async fn publish_plan(&self, terms: PlanDraft) -> Result<Plan, AppError> {
        // Validate before storing: the repository stores only valid plans.
        Plan::new(terms.clone(), 1).map_err(|tollgate_domain::PlanError::Invalid(e)| AppError::Invalid(e))?;
        let plan = self.ports.plans.publish(&terms, self.now()).await?;
        self.catalog.reload(self.ports.plans.as_ref(), self.now()).await?;
        Ok(plan)
    }

    /// The latest version of every plan, active ones only unless `include_archived`, by code.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn plans(&self, include_archived: bool) -> Result<Vec<Plan>, AppError> {
        let latest = self.catalog.latest(self.ports.plans.as_ref(), self.now()).await?;
        Ok(latest.iter().filter(|p| include_archived || p.active()).cloned().collect())
    }

    /// The latest version of one plan.
    ///
    /// # Errors
    /// [`AppError::PlanNotFound`]; storage errors.
    pub async fn plan(&self, code: &PlanCode) -> Result<Plan, AppError> {
        self.ports.plans.latest(code).await?.ok_or_else(|| AppError::PlanNotFound(code.clone()))
    }

    async fn subscribable(&self, code: &PlanCode) -> Result<Plan, AppError> {
        let plan = self.plan(code).await?;
        if !plan.active() {
            return Err(AppError::PlanInactive(code.clone()));
        }
        Ok(plan)
    }

    // ---- accounts and subscriptions ----------------------------------------------------

    /// Creates an account on its plan (the default plan when none is given): trialing when the
    /// plan has a trial, active otherwise; without a subscription when neither names a plan.
    ///
    /// # Errors
    /// [`AppError::Invalid`] (name, seats), [`AppError::PlanNotFound`], [`AppError::PlanInactive`],
    /// [`AppError::AccountExists`]; storage errors.
    pub async fn provision(&self, request: NewAccount) -> Result<AccountView, AppError> {
        let name = request.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(InvalidValue::new("name", "a name is 1 to 200 characters").into());
        }
        // Text fields refuse control characters: PostgreSQL cannot store NUL in text at all, and
        // the others would reach logs, e-mails and consoles.
        if name.chars().any(char::is_control) {
            return Err(InvalidValue::new("name", "a name has no control characters").into());
        }
        let code = request.plan.or_else(|| self.settings.default_plan.clone());
        let plan = match &code {
            Some(code) => Some(self.subscribable(code).await?),
            None => None,
        };
        let now = self.now();
        let subscription = match &plan {
            Some(plan) => Some(Subscription::start(plan, request.seats.unwrap_or(1), now)?),
            None => None,
        };
        let account = Account { key: request.key, name, email: request.email, created_at: now };
        self.ports.accounts.create(&account, subscription.clone()).await?;
        self.notify(Notification::AccountCreated { account: account.key.clone(), plan: code }).await;
        Ok(AccountView::at(account, subscription.as_ref(), now))
    }

    /// An account with its subscription.
    ///
    /// # Errors
    /// [`AppError::AccountNotFound`]; storage errors.
    pub async fn account(&self, key: &AccountKey) -> Result<AccountView, AppError> {
        let state = self.state(key).await?;
        Ok(AccountView::at(state.account, state.subscription.as_ref(), self.now()))
    }

    /// Accounts in key order after `after`, at most `limit` (1–100).
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a limit out of range; storage errors.
    pub async fn accounts(
        &self,
        after: Option<AccountKey>,
        limit: u32,
    ) -> Result<Vec<AccountView>, AppError> {
        if !(1..=100).contains(&limit) {
            return Err(InvalidValue::new("limit", "limit is from 1 to 100").into());
        }
        let now = self.now();
        let accounts = self.ports.accounts.list(after, limit).await?;
        Ok(accounts.into_iter().map(|a| AccountView::at(a, None, now)).collect())
    }

    /// The account's subscription.
    ///
    /// # Errors
    /// [`AppError::AccountNotFound`], [`AppError::NoSubscription`]; storage errors.
    pub async fn subscription(&self, key: &AccountKey) -> Result<SubscriptionView, AppError> {
        let (_, subscription) = self.subscribed(key).await?;
        Ok(SubscriptionView::at(&subscription, self.now()))
    }

    /// Moves the account to another plan (its latest version) and/or seat count. Limits change at
    /// once; usage already counted stays. An account without a subscription starts one on the
    /// plan named (trialing when the plan has a trial).
    ///
    /// # Errors
    /// [`AppError::PlanNotFound`], [`AppError::PlanInactive`], [`AppError::Subscription`] when
    /// the subscription cannot change (suspended, ended), [`AppError::Invalid`] for seats, or for
    /// `plan` when there is no subscription and no plan is named; [`AppError::AccountNotFound`].
    pub async fn change_plan(
        &self,
        key: &AccountKey,
        change: ChangePlan,
    ) -> Result<SubscriptionView, AppError> {
        let state = self.state(key).await?;
        let Some(mut subscription) = state.subscription else {
            return self.start_subscription(key, change).await;
        };
        let from = subscription.plan().clone();
        let plan = match &change.plan {
            Some(code) => self.subscribable(code).await?,
            None => self.plan(&from).await?,
        };
        let now = self.now();
        subscription.change_plan(&plan, change.seats.unwrap_or(subscription.seats()), now)?;
        self.ports.subscriptions.save(key, &subscription).await?;
        self.cache.forget(key, self.now());
        if &from != plan.code() {
            self.notify(Notification::PlanChanged { account: key.clone(), from, to: plan.code().clone() })
                .await;
        }
        Ok(SubscriptionView::at(&subscription, now))
    }

    /// The first subscription of an account created without one.
    async fn start_subscription(
        &self,
        key: &AccountKey,
        change: ChangePlan,
    ) -> Result<SubscriptionView, AppError> {
        let Some(code) = change.plan else {
            return Err(InvalidValue::new(
                "plan",
                "the account has no subscription: name a plan to start one",
            )
            .into());
        };
        let plan = self.subscribable(&code).await?;
        let now = self.now();
        let subscription = Subscription::start(&plan, change.seats.unwrap_or(1), now)?;
        self.ports.subscriptions.save(key, &subscription).await?;
        self.cache.forget(key, self.now());
        self.notify(Notification::SubscriptionStarted { account: key.clone(), plan: code }).await;
        Ok(SubscriptionView::at(&subscription, now))
    }

    /// Cancels now, or at the end of the current period.
    ///
    /// # Errors
    /// [`AppError::Subscription`] when already ended; lookup and storage errors.
    pub async fn cancel(&self, key: &AccountKey, at_period_end: bool) -> Result<SubscriptionView, AppError> {
        let view = self.transition(key, |s, now| s.cancel(at_period_end, now)).await?;
        self.notify(Notification::SubscriptionCancelled { account: key.clone(), at_period_end }).await;
        Ok(view)
    }

    /// Withdraws a cancellation scheduled at period end.
    ///
    /// # Errors
    /// [`AppError::Subscription`] when none is scheduled or it took effect.
    pub async fn resume(&self, key: &AccountKey) -> Result<SubscriptionView, AppError> {
        let view = self.transition(key, |s, now| s.resume(now)).await?;
        self.notify(Notification::SubscriptionResumed { account: key.clone() }).await;
        Ok(view)
    }

    /// Suspends the subscription (operator action, dunning): nothing is allowed until activated.
    ///
    /// # Errors
    /// [`AppError::Subscription`] when already suspended or ended.
    pub async fn suspend(&self, key: &AccountKey) -> Result<SubscriptionView, AppError> {
        self.transition(key, |s, _| s.suspend()).await
    }

    /// Activates the subscription: converts a trial, clears past due, lifts a suspension.
    ///
    /// # Errors
    /// [`AppError::Subscription`] when already active or ended.
    pub async fn activate(&self, key: &AccountKey) -> Result<SubscriptionView, AppError> {
        self.transition(key, |s, now| s.activate(now)).await
    }

    /// Records a failed payment: past due from now.
    ///
    /// # Errors
    /// [`AppError::Subscription`] unless trialing or active.
    pub async fn mark_past_due(&self, key: &AccountKey) -> Result<SubscriptionView, AppError> {
        self.transition(key, |s, now| s.mark_past_due(now)).await
    }

    /// Replaces the account's add-ons.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for an invalid add-on; [`AppError::AccountNotFound`].
    pub async fn set_add_ons(&self, key: &AccountKey, add_ons: Vec<AddOn>) -> Result<(), AppError> {
        add_ons.iter().try_for_each(AddOn::validate)?;
        self.ports.subscriptions.set_add_ons(key, &add_ons).await?;
        self.cache.forget(key, self.now());
        Ok(())
    }

    /// Replaces the account's custom terms.
    ///
    /// # Errors
    /// [`AppError::AccountNotFound`]; storage errors.
    pub async fn set_overrides(&self, key: &AccountKey, overrides: Overrides) -> Result<(), AppError> {
        self.ports.subscriptions.set_overrides(key, &overrides).await?;
        self.cache.forget(key, self.now());
        Ok(())
    }

    async fn transition(
        &self,
        key: &AccountKey,
        apply: impl FnOnce(&mut Subscription, OffsetDateTime) -> Result<(), tollgate_domain::SubscriptionError>,
    ) -> Result<SubscriptionView, AppError> {
        let (_, mut subscription) = self.subscribed(key).await?;
        let now = self.now();
        apply(&mut subscription, now)?;
        self.ports.subscriptions.save(key, &subscription).await?;
        self.cache.forget(key, self.now());
        Ok(SubscriptionView::at(&subscription, now))
    }

    // ---- enforcement -------------------------------------------------------------------

    /// Answers whether the account may do `request` now, recording nothing.
    ///
    /// # Errors
    /// [`AppError::AccountNotFound`], [`AppError::UnknownMetric`], [`AppError::UnknownFeature`];
    /// storage errors (the service fails closed).
    pub async fn check(
        &self,
        key: &AccountKey,
        request: &Request,
        locale: Locale,
    ) -> Result<Decision, AppError> {
        let ctx = self.context(key).await?;
        let eval = ctx.evaluation(locale);
        let used = match request {
            Request::Feature(feature) => {
                self.ensure_feature_known(&ctx, feature).await?;
                0
            }
            Request::Metric { metric, quantity } => {
                self.ensure_metric_known(&ctx, metric).await?;
                match eval.intent(metric, *quantity) {
                    Err(denied) => return Ok(*denied),
                    Ok(intent) => {
                        let counter = (key.clone(), metric.clone(), intent.window.key.clone());
                        match self.cache.counter(&counter, ctx.now) {
                            Lookup::Fresh(used) => used,
                            Lookup::Refresh(used) => {
                                self.refresh_counter(counter);
                                used
                            }
                            Lookup::Miss => {
                                let counters = [(metric.clone(), intent.window.key.clone())];
                                let used = self
                                    .ports
                                    .usage
                                    .current(key, &counters)
                                    .await?
                                    .first()
                                    .copied()
                                    .unwrap_or(0);
                                self.cache.put_counter(counter, used, ctx.now);
                                used
                            }
                        }
                    }
                }
            }
        };
        Ok(eval.check(request, used))
    }

    /// Records `quantity` units of `metric` only if allowed, atomically; a replayed idempotency
    /// key returns the first outcome and counts nothing.
    ///
    /// # Errors
    /// [`AppError::AccountNotFound`], [`AppError::UnknownMetric`], [`AppError::IdempotencyMismatch`];
    /// storage errors (nothing was recorded).
    pub async fn consume(
        &self,
        key: &AccountKey,
        metric: &MetricName,
        quantity: Quantity,
        idempotency_key: Option<IdempotencyKey>,
        locale: Locale,
    ) -> Result<Decision, AppError> {
        self.record(UsageKind::Consume, key, metric, quantity, idempotency_key, locale).await
    }

    /// Gives `quantity` units of `metric` back, never below zero.
    ///
    /// # Errors
    /// As [`Tollgate::consume`].
    pub async fn release(
        &self,
        key: &AccountKey,
        metric: &MetricName,
        quantity: Quantity,
        idempotency_key: Option<IdempotencyKey>,
        locale: Locale,
    ) -> Result<Decision, AppError> {
        self.record(UsageKind::Release, key, metric, quantity, idempotency_key, locale).await
    }

    async fn record(
        &self,
        kind: UsageKind,
        key: &AccountKey,
        metric: &MetricName,
        quantity: Quantity,
        idempotency_key: Option<IdempotencyKey>,
        locale: Locale,
    ) -> Result<Decision, AppError> {
        let ctx = self.context(key).await?;
        self.ensure_metric_known(&ctx, metric).await?;
        let eval = ctx.evaluation(locale);
        let intent = match kind {
            UsageKind::Consume => eval.intent(metric, quantity),
            UsageKind::Release => eval.release_intent(metric, quantity),
        };
        let intent = match intent {
            Ok(intent) => intent,
            Err(denied) => {
                return self.replay_or(kind, key, metric, quantity, idempotency_key, &eval, *denied).await;
            }
        };
        let command = UsageCommand {
            account: key.clone(),
            metric: intent.metric.clone(),
            window: intent.window.key.clone(),
            quantity: quantity.get(),
            cap: intent.cap(),
            idempotency_key,
            at: ctx.now,
        };
        let (decision, outcome) = match kind {
            UsageKind::Consume => {
                let outcome = self.ports.usage.consume(&command).await?;
                (eval.consumed(&intent, outcome.applied, outcome.used), outcome)
            }
            UsageKind::Release => {
                let outcome = self.ports.usage.release(&command).await?;
                (eval.released(&intent, outcome.used), outcome)
            }
        };
        // A replay reports the counter as it was then: only a fresh outcome refreshes the cache.
        if !outcome.replayed {
            self.cache.put_counter((key.clone(), command.metric, command.window), outcome.used, ctx.now);
        }
        Ok(decision)
    }

    /// A command refused by a gate (suspended, cancelled, plan changed…) may be the retry of one
    /// recorded before: a retry is answered with its first outcome, never with a later refusal.
    #[allow(clippy::too_many_arguments)]
    async fn replay_or(
        &self,
        kind: UsageKind,
        key: &AccountKey,
        metric: &MetricName,
        quantity: Quantity,
        idempotency_key: Option<IdempotencyKey>,
        eval: &Evaluation<'_>,
        denied: Decision,
    ) -> Result<Decision, AppError> {
        let Some(idempotency_key) = idempotency_key else { return Ok(denied) };
        let Some(first) = self.ports.usage.recorded(key, &idempotency_key).await? else { return Ok(denied) };
        if first.kind != kind || &first.metric != metric || first.quantity != quantity.get() {
            return Err(AppError::IdempotencyMismatch);
        }
        let Ok(intent) = eval.release_intent(metric, quantity) else { return Ok(denied) };
        Ok(match kind {
            UsageKind::Consume => eval.consumed(&intent, first.outcome.applied, first.outcome.used),
            UsageKind::Release => eval.released(&intent, first.outcome.used),
        })
    }

    /// Usage of every metric the account's terms include, in its current windows.
    ///
    /// # Errors
    /// [`AppError::AccountNotFound`], [`AppError::NoSubscription`]; storage errors.
    pub async fn usage(&self, key: &AccountKey) -> Result<UsageReport, AppError> {
        let ctx = self.context(key).await?;
        let subscription = ctx.state.subscription.as_ref().ok_or(AppError::NoSubscription)?;
        let windows: Vec<(MetricName, Window)> = ctx
            .entitlements
            .limits()
            .iter()
            .map(|(metric, limit)| (metric.clone(), Window::of(limit.reset, subscription, ctx.now)))
            .collect();
        let counters: Vec<_> = windows.iter().map(|(m, w)| (m.clone(), w.key.clone())).collect();
        let used = self.ports.usage.current(key, &counters).await?;
        let metrics: BTreeMap<_, _> = windows
            .into_iter()
            .zip(used)
            .filter_map(|((metric, window), used)| {
                let limit = ctx.entitlements.limit(&metric)?;
                Some((metric.clone(), UsageLine::new(metric, limit, used, window.resets_at)))
            })
            .collect();
        Ok(UsageReport { account: key.clone(), period: subscription.period_at(ctx.now), metrics })
    }

    // ---- checkout ----------------------------------------------------------------------

    /// Starts a hosted checkout for `plan` (price × seats for per-seat plans).
    ///
    /// # Errors
    /// [`AppError::PlanNotFound`], [`AppError::PlanInactive`], [`AppError::Gateway`].
    pub async fn checkout(
        &self,
        key: &AccountKey,
        plan: &PlanCode,
        success_url: String,
        cancel_url: String,
    ) -> Result<CheckoutSession, AppError> {
        let state = self.state(key).await?;
        let plan = self.subscribable(plan).await?;
        let seats = state.subscription.as_ref().map_or(1, Subscription::seats);
        let units = if plan.per_seat() { seats } else { 1 };
        let amount =
            plan.price().checked_mul(units.into()).map_err(|e| AppError::Internal(e.to_string()))?.round();
        let request = CheckoutRequest {
            account: key.clone(),
            plan: plan.code().clone(),
            amount,
            success_url,
            cancel_url,
            idempotency_key: self.ports.ids.generate("chk"),
        };
        Ok(self.ports.gateway.checkout(&request).await?)
    }

    // ---- helpers -----------------------------------------------------------------------

    async fn state(&self, key: &AccountKey) -> Result<AccountState, AppError> {
        self.ports.accounts.state(key).await?.ok_or(AppError::AccountNotFound)
    }

    async fn subscribed(&self, key: &AccountKey) -> Result<(AccountState, Subscription), AppError> {
        let state = self.state(key).await?;
        let subscription = state.subscription.clone().ok_or(AppError::NoSubscription)?;
        Ok((state, subscription))
    }

    async fn context(&self, key: &AccountKey) -> Result<Context, AppError> {
        let now = self.now();
        let state = match self.cache.state(key, now) {
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
        };
        let plan = match &state.subscription {
            Some(s) => {
                Some(self.catalog.version(self.ports.plans.as_ref(), s.plan(), s.plan_version()).await?)
            }
            None => None,
        };
        let entitlements = match &plan {
            Some(plan) => Entitlements::resolve(plan, &state.add_ons, &state.overrides),
            None => Entitlements::default(),
        };
        let catalog = self.catalog.latest(self.ports.plans.as_ref(), now).await?;
        Ok(Context { state, plan, entitlements, catalog, policy: self.settings.policy, now })
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
    fn refresh_counter(&self, counter: CounterKey) {
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

    async fn ensure_metric_known(&self, ctx: &Context, metric: &MetricName) -> Result<(), AppError> {
        if ctx.entitlements.limit(metric).is_some()
            || self.catalog.knows_metric(self.ports.plans.as_ref(), metric, ctx.now).await?
        {
            Ok(())
        } else {
            Err(AppError::UnknownMetric(metric.clone()))
        }
    }

    async fn ensure_feature_known(&self, ctx: &Context, feature: &FeatureName) -> Result<(), AppError> {
        if ctx.entitlements.features().contains_key(feature)
            || self.catalog.knows_feature(self.ports.plans.as_ref(), feature, ctx.now).await?
        {
            Ok(())
        } else {
            Err(AppError::UnknownFeature(feature.clone()))
        }
    }

    async fn notify(&self, notification: Notification) {
        // Best effort by contract: a notification never fails the use case that caused it.
        if let Err(error) = self.ports.notifier.notify(&notification).await {
            tracing::warn!(%error, ?notification, "notification not delivered");
        }
    }
}

/// One account at one instant, loaded for a decision.
struct Context {
    state: Arc<AccountState>,
    plan: Option<Arc<Plan>>,
    entitlements: Entitlements,
    catalog: Arc<Vec<Plan>>,
    policy: Policy,
    now: OffsetDateTime,
}

impl Context {
    fn evaluation(&self, locale: Locale) -> Evaluation<'_> {
        Evaluation {
            entitlements: &self.entitlements,
            subscription: self.state.subscription.as_ref(),
            now: self.now,
            policy: &self.policy,
            locale,
            catalog: &self.catalog,
            current_plan: self.plan.as_deref(),
        }
    }
}
