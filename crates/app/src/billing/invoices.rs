//! Invoices and their payment: listing, paying through the gateway with the saved payment
//! method, and what a payment or a decline does to the subscription.

use tollgate_domain::{AccountKey, AuditEvent, Caller, Invoice, InvoiceNumber, PaymentToken, Status};
use tollgate_ports::{
    BillingChange, BillingProfile, ChargeRequest, GatewayError, PaymentMethodRequest, StoreError,
};

use crate::billing::InvoiceView;
use crate::identity::target;
use crate::tollgate::STATE_ATTEMPTS;
use crate::{AppError, Origin, Tollgate};

/// What happened when an invoice was charged.
enum Collection {
    /// Paid (by this charge or meanwhile by another).
    Paid(Invoice),
    /// Declined with the gateway's code; the attempt is recorded.
    Declined(Invoice, String),
}

impl Tollgate {
    /// The account's invoices, newest first, strictly before `before`, at most `limit` (1–100).
    ///
    /// # Errors
    /// [`AppError::LimitOutOfRange`], [`AppError::AccountNotFound`]; storage errors.
    pub async fn invoices(
        &self,
        key: &AccountKey,
        before: Option<InvoiceNumber>,
        limit: u32,
    ) -> Result<Vec<InvoiceView>, AppError> {
        if !(1..=100).contains(&limit) {
            return Err(AppError::LimitOutOfRange);
        }
        self.state(key).await?;
        let invoices = self.ports.billing.invoices(key, before, limit).await?;
        Ok(invoices.iter().map(|s| InvoiceView::from(&s.invoice)).collect())
    }

    /// One invoice of the account.
    ///
    /// # Errors
    /// [`AppError::NotFound`]`("invoice")` when the account has no invoice with that number.
    pub async fn invoice(&self, key: &AccountKey, number: &InvoiceNumber) -> Result<InvoiceView, AppError> {
        Ok(InvoiceView::from(&self.owned_invoice(key, number).await?.invoice))
    }

    async fn owned_invoice(
        &self,
        key: &AccountKey,
        number: &InvoiceNumber,
    ) -> Result<tollgate_ports::StoredInvoice, AppError> {
        self.ports
            .billing
            .invoice(number)
            .await?
            .filter(|stored| &stored.account == key)
            .ok_or(AppError::NotFound("invoice"))
    }

    /// Charges an open invoice now with the account's saved payment method. Paying lifts
    /// `past_due` and a suspension at once. Audited (`invoice.paid`).
    ///
    /// # Errors
    /// [`AppError::NotFound`]`("invoice")`; [`AppError::InvoiceNotPayable`] when it is paid, void
    /// or has nothing to pay; [`AppError::PaymentMethodRequired`]; [`AppError::PaymentFailed`]
    /// with the gateway's code when declined (the attempt is recorded); [`AppError::Gateway`]
    /// when the gateway is unavailable.
    pub async fn pay_invoice(
        &self,
        caller: &Caller,
        origin: &Origin,
        key: &AccountKey,
        number: &InvoiceNumber,
    ) -> Result<InvoiceView, AppError> {
        let stored = self.owned_invoice(key, number).await?;
        if !stored.invoice.is_payable() {
            return Err(AppError::InvoiceNotPayable);
        }
        let audit = [self.audit_by(caller, "invoice.paid", target("invoice", &number.to_string()), origin)];
        match self.collect(key, stored.invoice, &audit).await? {
            Collection::Paid(invoice) => Ok(InvoiceView::from(&invoice)),
            Collection::Declined(_, reason) => Err(AppError::PaymentFailed(reason)),
        }
    }

    /// Charges `invoice` when a payment method is on file; otherwise leaves it open. A decline
    /// is recorded, not returned: the caller (a plan change) already succeeded.
    pub(crate) async fn collect_quietly(
        &self,
        key: &AccountKey,
        invoice: Invoice,
    ) -> Result<Invoice, AppError> {
        if self.ports.billing.profile(key).await?.payment_method.is_none() {
            return Ok(invoice);
        }
        match self.collect(key, invoice.clone(), &[]).await {
            Ok(Collection::Paid(invoice) | Collection::Declined(invoice, _)) => Ok(invoice),
            Err(AppError::Gateway(error)) => {
                tracing::warn!(%error, account = %key, "invoice left open: gateway unavailable");
                Ok(invoice)
            }
            Err(error) => Err(error),
        }
    }

    /// Charges `invoice` once per attempt (the attempt number is in the gateway's idempotency
    /// key, so a retried request never charges twice) and records the outcome.
    async fn collect(
        &self,
        key: &AccountKey,
        invoice: Invoice,
        audit: &[AuditEvent],
    ) -> Result<Collection, AppError> {
        let profile = self.ports.billing.profile(key).await?;
        let (Some(customer), Some(payment_method)) = (profile.customer, profile.payment_method) else {
            return Err(AppError::PaymentMethodRequired);
        };
        let number = invoice.number().to_string();
        let request = ChargeRequest {
            account: key.clone(),
            customer,
            payment_method,
            amount: invoice.total(),
            idempotency_key: format!("{number}-attempt-{}", invoice.attempts() + 1),
            reference: number,
        };
        match self.ports.gateway.charge(&request).await {
            Ok(_) => Ok(Collection::Paid(self.settle(key, invoice.number(), Outcome::Paid, audit).await?)),
            Err(GatewayError::Declined(reason) | GatewayError::Rejected(reason)) => {
                let invoice = self.settle(key, invoice.number(), Outcome::Failed, &[]).await?;
                Ok(if invoice.is_payable() {
                    Collection::Declined(invoice, reason)
                } else {
                    Collection::Paid(invoice)
                })
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Records a payment's outcome on the invoice numbered `number` and its effect on the
    /// subscription (paid: `past_due` or suspended becomes active; failed: active or trialing
    /// becomes past due), in one write, decided again when either moved meanwhile. An invoice
    /// that is no longer payable (paid meanwhile) is left as it is.
    pub(crate) async fn settle(
        &self,
        key: &AccountKey,
        number: &InvoiceNumber,
        outcome: Outcome,
        audit: &[AuditEvent],
    ) -> Result<Invoice, AppError> {
        for _ in 0..STATE_ATTEMPTS {
            let (invoice, changes) = self.settlement(key, number, outcome, audit).await?;
            if changes.is_empty() {
                return Ok(invoice);
            }
            match self.ports.billing.apply(&changes).await {
                Ok(_) => {
                    self.cache.forget(key, self.now());
                    return Ok(invoice);
                }
                Err(StoreError::Stale) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(AppError::Conflict)
    }

    /// The invoice with `outcome` recorded on it as stored now, and the changes that record it;
    /// none when the invoice is no longer payable (it is answered as stored).
    pub(crate) async fn settlement(
        &self,
        key: &AccountKey,
        number: &InvoiceNumber,
        outcome: Outcome,
        audit: &[AuditEvent],
    ) -> Result<(Invoice, Vec<BillingChange>), AppError> {
        let stored = self.owned_invoice(key, number).await?;
        let mut invoice = stored.invoice;
        if !invoice.is_payable() {
            return Ok((invoice, Vec::new()));
        }
        let now = self.now();
        let state = self.state(key).await?;
        let mut subscription = state.subscription.clone();
        match outcome {
            Outcome::Paid => {
                invoice.pay(now)?;
                if let Some(s) = subscription.as_mut()
                    && matches!(s.status_at(now), Status::PastDue | Status::Suspended)
                {
                    s.activate(now)?;
                }
            }
            Outcome::Failed => {
                invoice.payment_failed(&self.settings.billing.dunning, now)?;
                if let Some(s) = subscription.as_mut()
                    && matches!(s.status_at(now), Status::Active | Status::Trialing)
                {
                    s.mark_past_due(now)?;
                }
            }
        }
        let mut changes = vec![BillingChange::UpdateInvoice {
            account: key.clone(),
            invoice: invoice.clone(),
            expected: stored.version,
        }];
        if let Some(s) = subscription.filter(|s| Some(s) != state.subscription.as_ref()) {
            changes.push(BillingChange::Subscription {
                account: key.clone(),
                subscription: s,
                expected: state.version,
            });
        }
        changes.extend(audit.iter().cloned().map(BillingChange::Audit));
        Ok((invoice, changes))
    }

    /// Saves a payment method (a gateway token such as `pm_card_visa`, never card data) for the
    /// account's charges, creating the gateway's customer on first use. Audited
    /// (`payment_method.updated`).
    ///
    /// # Errors
    /// [`AppError::AccountNotFound`]; [`AppError::PaymentMethodRejected`] for a token the gateway
    /// refuses; [`AppError::PaymentFailed`] when the card is declined; [`AppError::Gateway`].
    pub async fn set_payment_method(
        &self,
        caller: &Caller,
        origin: &Origin,
        key: &AccountKey,
        token: PaymentToken,
    ) -> Result<String, AppError> {
        self.state(key).await?;
        let profile = self.ports.billing.profile(key).await?;
        let request = PaymentMethodRequest {
            account: key.clone(),
            customer: profile.customer,
            token: token.as_str().to_owned(),
            idempotency_key: self.ports.ids.generate("pm"),
        };
        let saved = match self.ports.gateway.save_payment_method(&request).await {
            Ok(saved) => saved,
            Err(GatewayError::Rejected(why)) => return Err(AppError::PaymentMethodRejected(why)),
            Err(GatewayError::Declined(reason)) => return Err(AppError::PaymentFailed(reason)),
            Err(error) => return Err(error.into()),
        };
        let profile = BillingProfile {
            customer: Some(saved.customer),
            payment_method: Some(saved.payment_method.clone()),
        };
        let audit = self.audit_by(caller, "payment_method.updated", target("account", key.as_str()), origin);
        self.ports
            .billing
            .apply(&[BillingChange::Profile { account: key.clone(), profile }, BillingChange::Audit(audit)])
            .await?;
        Ok(saved.payment_method)
    }
}

/// A payment's outcome, as the gateway reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The charge succeeded.
    Paid,
    /// The charge was declined.
    Failed,
}
