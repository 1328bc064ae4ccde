//! Enforcement: checking, consuming and releasing quota, and the usage report.

use std::collections::BTreeMap;

use tollgate_domain::{
    AccountKey, Decision, Evaluation, IdempotencyKey, MetricName, Quantity, Request, UsageLine, Window,
};
use tollgate_ports::{StoreError, UsageCommand, UsageKind};

use crate::cache::Lookup;
use crate::tollgate::STATE_ATTEMPTS;
use crate::{AppError, Tollgate, UsageReport};

impl Tollgate {
    /// Answers whether the account may do `request` now, recording nothing.
    ///
    /// # Errors
    /// [`AppError::AccountNotFound`], [`AppError::UnknownMetric`], [`AppError::UnknownFeature`];
    /// storage errors (the service fails closed).
    pub async fn check(&self, key: &AccountKey, request: &Request) -> Result<Decision, AppError> {
        let ctx = self.context(key).await?;
        let eval = ctx.evaluation();
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
    /// key returns the first outcome and counts nothing. The limit applied is the one of the
    /// account's current terms: a change committed through any instance is honoured by the very
    /// next consume, whatever this instance cached.
    ///
    /// # Errors
    /// [`AppError::AccountNotFound`], [`AppError::UnknownMetric`], [`AppError::IdempotencyMismatch`];
    /// [`AppError::Conflict`] when concurrent changes kept moving the account; storage errors
    /// (nothing was recorded).
    pub async fn consume(
        &self,
        key: &AccountKey,
        metric: &MetricName,
        quantity: Quantity,
        idempotency_key: Option<IdempotencyKey>,
    ) -> Result<Decision, AppError> {
        let request =
            UsageRequest { account: key, metric, quantity, idempotency_key: idempotency_key.as_ref() };
        self.record(UsageKind::Consume, &request).await
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
    ) -> Result<Decision, AppError> {
        let request =
            UsageRequest { account: key, metric, quantity, idempotency_key: idempotency_key.as_ref() };
        self.record(UsageKind::Release, &request).await
    }

    /// Consumes or releases on the account's state as this instance knows it (possibly cached),
    /// but a consume carries that state's version and the store applies it only if the version
    /// is still current: when a plan, seat, status, add-on or override change committed
    /// meanwhile (through any instance), the state is read again and the consume decided again
    /// on the current terms. A consume refused by a status gate of the cached state does not
    /// reach the store: such refusals may lag a reactivation by up to the cache's TTL.
    async fn record(&self, kind: UsageKind, request: &UsageRequest<'_>) -> Result<Decision, AppError> {
        let UsageRequest { account: key, metric, quantity, .. } = *request;
        for _ in 0..STATE_ATTEMPTS {
            let ctx = self.context(key).await?;
            self.ensure_metric_known(&ctx, metric).await?;
            let eval = ctx.evaluation();
            let intent = match kind {
                UsageKind::Consume => eval.intent(metric, quantity),
                UsageKind::Release => eval.release_intent(metric, quantity),
            };
            let intent = match intent {
                Ok(intent) => intent,
                Err(denied) => {
                    return self.replay_or(kind, request, &eval, *denied).await;
                }
            };
            let command = UsageCommand {
                account: key.clone(),
                metric: intent.metric.clone(),
                window: intent.window.key.clone(),
                quantity,
                cap: intent.cap(),
                idempotency_key: request.idempotency_key.cloned(),
                // A release has no cap to rely on: it gives units back whatever the terms.
                state_version: (kind == UsageKind::Consume).then_some(ctx.state.version),
                at: ctx.now,
            };
            let (decision, outcome) = match kind {
                UsageKind::Consume => match self.ports.usage.consume(&command).await {
                    Err(StoreError::Stale) => {
                        // Decided on terms that no longer hold: read them again, decide again.
                        self.cache.forget(key, self.now());
                        continue;
                    }
                    outcome => {
                        let outcome = outcome?;
                        (eval.consumed(&intent, outcome.applied, outcome.used), outcome)
                    }
                },
                UsageKind::Release => {
                    let outcome = self.ports.usage.release(&command).await?;
                    (eval.released(&intent, outcome.used), outcome)
                }
            };
            // A replay reports the counter as it was then: only a fresh outcome refreshes the cache.
            if !outcome.replayed {
                self.cache.put_counter((key.clone(), command.metric, command.window), outcome.used, ctx.now);
            }
            return Ok(decision);
        }
        Err(AppError::Conflict)
    }

    /// A command refused by a gate (suspended, cancelled, plan changed…) may be the retry of one
    /// recorded before: a retry is answered with its first outcome, never with a later refusal.
    async fn replay_or(
        &self,
        kind: UsageKind,
        request: &UsageRequest<'_>,
        eval: &Evaluation<'_>,
        denied: Decision,
    ) -> Result<Decision, AppError> {
        let UsageRequest { account: key, metric, quantity, .. } = *request;
        let Some(idempotency_key) = request.idempotency_key else { return Ok(denied) };
        let Some(first) = self.ports.usage.recorded(key, idempotency_key).await? else { return Ok(denied) };
        // The window plays no part in the rule (a retry may cross a reset): the first line's.
        let retry = UsageCommand {
            account: key.clone(),
            metric: metric.clone(),
            window: first.window.clone(),
            quantity,
            cap: None,
            idempotency_key: Some(idempotency_key.clone()),
            state_version: None,
            at: eval.now,
        };
        let first = first.replay(kind, &retry)?;
        let Ok(intent) = eval.release_intent(metric, quantity) else { return Ok(denied) };
        Ok(match kind {
            UsageKind::Consume => eval.consumed(&intent, first.applied, first.used),
            UsageKind::Release => eval.released(&intent, first.used),
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
}

/// One consume or release as the caller asked for it, borrowed from the call: what
/// [`Tollgate::record`] decides on and [`Tollgate::replay_or`] compares a replay against.
#[derive(Debug, Clone, Copy)]
struct UsageRequest<'a> {
    /// The account the units are counted on.
    account: &'a AccountKey,
    /// The metric counted.
    metric: &'a MetricName,
    /// How many units.
    quantity: Quantity,
    /// The client's key that makes a retry count once.
    idempotency_key: Option<&'a IdempotencyKey>,
}
