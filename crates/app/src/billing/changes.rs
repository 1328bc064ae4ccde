//! Plan and seat changes priced by proration: the preview, and the change applied exactly as
//! previewed with the invoice it issues, in one write.

use tollgate_domain::{
    AccountKey, AuditEvent, BillingError, ChangeQuote, ChangeTiming, Money, Plan, Subscription, quote_change,
};
use tollgate_ports::{BillingChange, NewInvoice, Notification, StoreError};

use crate::billing::InvoiceView;
use crate::{AppError, ChangePlan, SubscriptionView, Tollgate};

/// What a change did: the subscription after it, and the invoice it issued.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChangeOutcome {
    /// The subscription after the change.
    #[serde(flatten)]
    pub subscription: SubscriptionView,
    /// The invoice the change issued (an upgrade's proration), or `None`.
    pub invoice: Option<InvoiceView>,
}

impl Tollgate {
    /// What `change` would cost now, without changing anything: the lines of the invoice it
    /// would issue, its total and when it would take effect (see [`quote_change`]).
    ///
    /// # Errors
    /// [`AppError::NoSubscription`], [`AppError::PlanNotFound`], [`AppError::PlanInactive`],
    /// [`AppError::Invalid`] (seats, an interval the plan is not billed on), [`AppError::Billing`].
    pub async fn preview_change(
        &self,
        key: &AccountKey,
        change: &ChangePlan,
    ) -> Result<ChangeQuote, AppError> {
        let (_, subscription) = self.subscribed(key).await?;
        let (_, quote) = self.quote(&subscription, change).await?;
        Ok(quote)
    }

    /// The target plan of `change` and its quote against `subscription` at the clock's now.
    async fn quote(
        &self,
        subscription: &Subscription,
        change: &ChangePlan,
    ) -> Result<(Plan, ChangeQuote), AppError> {
        let current = self
            .catalog
            .version(self.ports.plans.as_ref(), subscription.plan(), subscription.plan_version())
            .await?;
        let target = match &change.plan {
            Some(code) => self.subscribable(code).await?,
            None => self.plan(subscription.plan()).await?,
        };
        if let Some(interval) = change.interval {
            target.terms().check_interval(interval)?;
        }
        let seats = change.seats.unwrap_or(subscription.seats());
        let now = self.now();
        let quote = match quote_change(&current, subscription, &target, seats, change.at, now) {
            // Nothing changes: nothing to pay, nothing to schedule.
            Err(BillingError::NotAChange) => ChangeQuote {
                lines: Vec::new(),
                total: Money::zero(target.price().currency()),
                effective_at: now,
                timing: ChangeTiming::Now,
                period: None,
            },
            other => other?,
        };
        Ok((target, quote))
    }

    /// Applies `change` to `subscription` (read at state version `version`) exactly as
    /// [`Tollgate::preview_change`] prices it: at once with the invoice of its proration, or
    /// scheduled for the period's end. `None` when the account changed meanwhile (nothing stored).
    pub(crate) async fn priced_change(
        &self,
        key: &AccountKey,
        change: &ChangePlan,
        mut subscription: Subscription,
        version: u64,
        audit: &[AuditEvent],
    ) -> Result<Option<ChangeOutcome>, AppError> {
        let from = subscription.plan().clone();
        let current_interval = subscription.interval();
        let (target, quote) = self.quote(&subscription, change).await?;
        let seats = change.seats.unwrap_or(subscription.seats());
        let now = quote.effective_at.min(self.now());
        match quote.timing {
            ChangeTiming::Now => subscription.change_plan(&target, seats, now)?,
            ChangeTiming::PeriodEnd => subscription.schedule_change(&target, seats, quote.effective_at)?,
        }
        let mut changes = vec![BillingChange::Subscription {
            account: key.clone(),
            subscription: subscription.clone(),
            expected: version,
        }];
        let new_interval = target.interval() != current_interval;
        if let (ChangeTiming::Now, true, Some(period)) = (quote.timing, new_interval, quote.period) {
            // A change of interval starts a new period, billed whole by this change.
            changes.push(crate::billing::run::renewal_marker(key, period.start, now));
        }
        if !quote.lines.is_empty() {
            changes.push(BillingChange::Issue(NewInvoice {
                account: key.clone(),
                reason: tollgate_domain::InvoiceReason::Proration,
                currency: quote.total.currency(),
                lines: quote.lines.clone(),
                period: quote.period,
                plan: Some(target.code().clone()),
                issued_at: now,
                paid_at: None,
            }));
        }
        changes.extend(audit.iter().cloned().map(BillingChange::Audit));
        let issued = match self.ports.billing.apply(&changes).await {
            Ok(issued) => issued,
            Err(StoreError::Stale) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        self.cache.forget(key, self.now());
        if &from != target.code() && quote.timing == ChangeTiming::Now {
            self.notify(Notification::PlanChanged { account: key.clone(), from, to: target.code().clone() })
                .await;
        }
        let invoice = match issued.into_iter().next() {
            // An upgrade's charge is collected at once when a payment method is on file; a
            // decline leaves the invoice open and the subscription past due, for dunning.
            Some(invoice) if invoice.is_payable() => Some(self.collect_quietly(key, invoice).await?),
            Some(invoice) => Some(invoice),
            None => None,
        };
        let subscription = match &invoice {
            Some(_) => self.state(key).await?.subscription.unwrap_or(subscription),
            None => subscription,
        };
        Ok(Some(ChangeOutcome {
            subscription: SubscriptionView::at(&subscription, self.now()),
            invoice: invoice.as_ref().map(InvoiceView::from),
        }))
    }
}
