//! Accounts and their subscriptions: provisioning, account reads, plan and seat changes,
//! cancellation and resumption, the operator transitions, add-ons and overrides, checkout.

use time::OffsetDateTime;
use tollgate_domain::{
    AccountKey, AddOn, AuditEvent, Caller, ChangeTiming, Email, Interval, Name, Overrides, PlanCode,
    Subscription,
};
use tollgate_ports::{Account, Notification, StoreError};

use crate::identity::target;
use crate::tollgate::STATE_ATTEMPTS;
use crate::{AccountView, AppError, ChangeOutcome, Origin, SubscriptionView, Tollgate};

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
    /// The billing interval expected of the plan (a check: plans are billed on one interval).
    pub interval: Option<Interval>,
    /// When the change applies; by default an upgrade now and a downgrade at period end.
    pub at: Option<ChangeTiming>,
}

impl Tollgate {
    /// Creates an account on its plan (the default plan when none is given): trialing when the
    /// plan has a trial, active otherwise; without a subscription when neither names a plan.
    ///
    /// # Errors
    /// [`AppError::Invalid`] (name, seats), [`AppError::PlanNotFound`], [`AppError::PlanInactive`],
    /// [`AppError::AccountExists`]; storage errors.
    pub async fn provision(&self, request: NewAccount) -> Result<AccountView, AppError> {
        let name = Name::parse(&request.name)?.into_string();
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
    /// [`AppError::LimitOutOfRange`]; storage errors.
    pub async fn accounts(
        &self,
        after: Option<AccountKey>,
        limit: u32,
    ) -> Result<Vec<AccountView>, AppError> {
        if !(1..=100).contains(&limit) {
            return Err(AppError::LimitOutOfRange);
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

    /// Moves the account to another plan (its latest version) and/or seat count, priced as
    /// [`Tollgate::preview_change`] shows: an upgrade at once with an invoice for the rest of the
    /// period (charged when a payment method is on file), a downgrade at period end unless
    /// `at` is `now` (then with a credit). Limits change when the change applies; usage already
    /// counted stays. An account without a subscription starts one on the plan named (trialing
    /// when the plan has a trial). Stored only if the account did not change
    /// meanwhile; otherwise decided again on its fresh state. Audited (`subscription.changed`, by
    /// `caller`) in the same write.
    ///
    /// # Errors
    /// [`AppError::PlanNotFound`], [`AppError::PlanInactive`], [`AppError::Subscription`] when
    /// the subscription cannot change (suspended, ended), [`AppError::Invalid`] for seats,
    /// [`AppError::PlanRequired`] when there is no subscription and no plan is named; [`AppError::AccountNotFound`];
    /// [`AppError::Conflict`] when concurrent changes kept moving the account.
    pub async fn change_plan(
        &self,
        caller: &Caller,
        origin: &Origin,
        key: &AccountKey,
        change: ChangePlan,
    ) -> Result<ChangeOutcome, AppError> {
        for _ in 0..STATE_ATTEMPTS {
            let state = self.state(key).await?;
            let audit =
                [self.audit_by(caller, "subscription.changed", target("account", key.as_str()), origin)];
            let stored = match state.subscription {
                None => self
                    .start_subscription(key, &change, state.version, &audit)
                    .await?
                    .map(|subscription| ChangeOutcome { subscription, invoice: None }),
                Some(subscription) => {
                    self.priced_change(key, &change, subscription, state.version, &audit).await?
                }
            };
            if let Some(view) = stored {
                return Ok(view);
            }
        }
        Err(AppError::Conflict)
    }

    /// The first subscription of an account created without one, read at state version
    /// `version`; `None` when the account changed meanwhile (nothing stored).
    async fn start_subscription(
        &self,
        key: &AccountKey,
        change: &ChangePlan,
        version: u64,
        audit: &[AuditEvent],
    ) -> Result<Option<SubscriptionView>, AppError> {
        let Some(code) = &change.plan else {
            return Err(AppError::PlanRequired);
        };
        let plan = self.subscribable(code).await?;
        let now = self.now();
        let subscription = Subscription::start(&plan, change.seats.unwrap_or(1), now)?;
        if !self.store_subscription(key, &subscription, version, audit).await? {
            return Ok(None);
        }
        self.notify(Notification::SubscriptionStarted { account: key.clone(), plan: code.clone() }).await;
        Ok(Some(SubscriptionView::at(&subscription, now)))
    }

    /// Stores `subscription`, with the `audit` events recording the change, if the account is
    /// still at state version `expected`: false when a concurrent change moved it (nothing
    /// stored; the caller decides again on the fresh state).
    async fn store_subscription(
        &self,
        key: &AccountKey,
        subscription: &Subscription,
        expected: u64,
        audit: &[AuditEvent],
    ) -> Result<bool, AppError> {
        match self.ports.subscriptions.save(key, subscription, expected, audit).await {
            Ok(()) => {
                self.cache.forget(key, self.now());
                Ok(true)
            }
            Err(StoreError::Stale) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// Cancels now, or at the end of the current period.
    ///
    /// # Errors
    /// [`AppError::Subscription`] when already ended; lookup and storage errors.
    pub async fn cancel(&self, key: &AccountKey, at_period_end: bool) -> Result<SubscriptionView, AppError> {
        let view = self.transition(key, None, |s, now| s.cancel(at_period_end, now)).await?;
        self.notify(Notification::SubscriptionCancelled { account: key.clone(), at_period_end }).await;
        Ok(view)
    }

    /// Withdraws a cancellation scheduled at period end.
    ///
    /// # Errors
    /// [`AppError::Subscription`] when none is scheduled or it took effect.
    pub async fn resume(&self, key: &AccountKey) -> Result<SubscriptionView, AppError> {
        let view = self.transition(key, None, |s, now| s.resume(now)).await?;
        self.notify(Notification::SubscriptionResumed { account: key.clone() }).await;
        Ok(view)
    }

    /// Suspends the subscription (operator action, dunning): nothing is allowed until activated.
    /// Audited (`account.suspended`, by `caller`) in the same write.
    ///
    /// # Errors
    /// [`AppError::Subscription`] when already suspended or ended.
    pub async fn suspend(
        &self,
        caller: &Caller,
        origin: &Origin,
        key: &AccountKey,
    ) -> Result<SubscriptionView, AppError> {
        self.transition(key, Some((caller, origin, "account.suspended")), |s, now| s.suspend(now)).await
    }

    /// Activates the subscription: converts a trial, clears past due, lifts a suspension.
    /// Audited (`account.activated`, by `caller`) in the same write.
    ///
    /// # Errors
    /// [`AppError::Subscription`] when already active or ended.
    pub async fn activate(
        &self,
        caller: &Caller,
        origin: &Origin,
        key: &AccountKey,
    ) -> Result<SubscriptionView, AppError> {
        self.transition(key, Some((caller, origin, "account.activated")), |s, now| s.activate(now)).await
    }

    /// Records a failed payment: past due from now. Audited (`account.past_due`, by `caller`) in
    /// the same write.
    ///
    /// # Errors
    /// [`AppError::Subscription`] unless trialing or active.
    pub async fn mark_past_due(
        &self,
        caller: &Caller,
        origin: &Origin,
        key: &AccountKey,
    ) -> Result<SubscriptionView, AppError> {
        self.transition(key, Some((caller, origin, "account.past_due")), |s, now| s.mark_past_due(now)).await
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

    /// Applies a state-machine transition to the subscription as stored now, and stores the
    /// result only if nothing changed the account meanwhile; otherwise applies it again to the
    /// fresh state (which may refuse it), so a concurrent change is never silently undone. With
    /// `audited`, the event of that action by that caller is written with the change.
    async fn transition(
        &self,
        key: &AccountKey,
        audited: Option<(&Caller, &Origin, &str)>,
        apply: impl Fn(&mut Subscription, OffsetDateTime) -> Result<(), tollgate_domain::SubscriptionError>,
    ) -> Result<SubscriptionView, AppError> {
        for _ in 0..STATE_ATTEMPTS {
            let state = self.state(key).await?;
            let mut subscription = state.subscription.ok_or(AppError::NoSubscription)?;
            let now = self.now();
            apply(&mut subscription, now)?;
            let audit: Vec<AuditEvent> = audited
                .map(|(caller, origin, action)| {
                    self.audit_by(caller, action, target("account", key.as_str()), origin)
                })
                .into_iter()
                .collect();
            if self.store_subscription(key, &subscription, state.version, &audit).await? {
                return Ok(SubscriptionView::at(&subscription, now));
            }
        }
        Err(AppError::Conflict)
    }
}
