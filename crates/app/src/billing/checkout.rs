//! Hosted checkouts: the gateway's payment page for a plan, which starts the plan once the
//! gateway confirms payment (see [`crate::billing`]'s webhooks).

use tollgate_domain::{AccountKey, Caller, InvoiceLine, InvoiceReason, PlanCode, ReturnUrl, Subscription};
use tollgate_ports::{BillingChange, Checkout, CheckoutRequest, CheckoutSession, NewInvoice};

use crate::identity::target;
use crate::{AppError, Origin, Tollgate};

impl Tollgate {
    /// Starts a hosted checkout for `plan` (price × seats for per-seat plans) and records it, so
    /// that the gateway's confirmation starts that plan. Audited (`checkout.started`).
    ///
    /// # Errors
    /// [`AppError::AccountNotFound`], [`AppError::PlanNotFound`], [`AppError::PlanInactive`],
    /// [`AppError::Gateway`].
    pub async fn checkout(
        &self,
        caller: &Caller,
        origin: &Origin,
        key: &AccountKey,
        plan: &PlanCode,
        success_url: ReturnUrl,
        cancel_url: ReturnUrl,
    ) -> Result<CheckoutSession, AppError> {
        let state = self.state(key).await?;
        let plan = self.subscribable(plan).await?;
        let seats = state.subscription.as_ref().map_or(1, Subscription::seats);
        let units = if plan.per_seat() { seats } else { 1 };
        let amount =
            plan.price().checked_mul(units.into()).map_err(|e| AppError::Internal(e.to_string()))?.round();
        let profile = self.ports.billing.profile(key).await?;
        let request = CheckoutRequest {
            account: key.clone(),
            customer: profile.customer,
            plan: plan.code().clone(),
            description: plan.name().to_owned(),
            amount,
            success_url: success_url.into_string(),
            cancel_url: cancel_url.into_string(),
            idempotency_key: self.ports.ids.generate("chk"),
        };
        let session = self.ports.gateway.checkout(&request).await?;
        let checkout = Checkout {
            session: session.id.clone(),
            account: key.clone(),
            plan: plan.code().clone(),
            seats,
            amount,
            created_at: self.now(),
            completed_at: None,
        };
        let audit = self.audit_by(caller, "checkout.started", target("account", key.as_str()), origin);
        self.ports
            .billing
            .apply(&[BillingChange::StartCheckout(checkout), BillingChange::Audit(audit)])
            .await?;
        Ok(session)
    }

    /// The changes a confirmed checkout makes, decided on the account as stored now: the plan
    /// started (or changed to) and active, the payment method kept, the checkout completed and
    /// its invoice issued paid. Empty when the checkout is unknown or was completed already.
    pub(crate) async fn checkout_completion(
        &self,
        session: &str,
        customer: Option<String>,
        payment_method: Option<String>,
    ) -> Result<Vec<BillingChange>, AppError> {
        let Some(checkout) = self.ports.billing.checkout(session).await? else { return Ok(Vec::new()) };
        if checkout.completed_at.is_some() {
            return Ok(Vec::new());
        }
        let now = self.now();
        let key = checkout.account.clone();
        let state = self.state(&key).await?;
        let plan = self.plan(&checkout.plan).await?;
        let mut subscription = match state.subscription.clone() {
            Some(mut s) if !s.status_at(now).is_ended() => {
                s.change_plan(&plan, checkout.seats, now)?;
                s
            }
            _ => Subscription::start(&plan, checkout.seats, now)?,
        };
        if subscription.status_at(now) != tollgate_domain::Status::Active {
            subscription.activate(now)?;
        }
        let period = subscription.period_at(now);
        let mut profile = self.ports.billing.profile(&key).await?;
        profile.customer = customer.or(profile.customer);
        profile.payment_method = payment_method.or(profile.payment_method);
        let line = InvoiceLine::new(plan.name(), checkout.amount, period);
        let paid_period = period.map(|p| crate::billing::run::renewal_marker(&key, p.start, now));
        Ok(paid_period
            .into_iter()
            .chain([
                BillingChange::CompleteCheckout { session: checkout.session.clone(), at: now },
                BillingChange::Subscription { account: key.clone(), subscription, expected: state.version },
                BillingChange::Profile { account: key.clone(), profile },
                BillingChange::Issue(NewInvoice {
                    account: key.clone(),
                    reason: InvoiceReason::Checkout,
                    currency: checkout.amount.currency(),
                    lines: vec![line],
                    period,
                    plan: Some(plan.code().clone()),
                    issued_at: now,
                    paid_at: Some(now),
                }),
            ])
            .collect())
    }
}
