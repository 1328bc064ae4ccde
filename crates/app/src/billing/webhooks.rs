//! The gateway's webhooks: verified, then applied once per event id, in the same write as the
//! event's effect, whatever order events arrive in.

use tollgate_domain::{AccountKey, InvoiceNumber};
use tollgate_ports::{BillingChange, GatewayEvent, GatewayEventKind, StoreError};

use crate::billing::invoices::Outcome;
use crate::identity::{actor, target};
use crate::tollgate::STATE_ATTEMPTS;
use crate::{AppError, Origin, Tollgate};

impl Tollgate {
    /// Verifies and applies a webhook posted to `POST /v1/webhooks/{gateway}`: a confirmed
    /// checkout starts its plan; a paid invoice is settled (lifting `past_due` and suspension);
    /// a failed payment is recorded (past due). Each event id is applied once: a repeat answers
    /// `Ok` and changes nothing. An event about an invoice already settled, or a checkout
    /// already completed, is recorded and changes nothing (events may arrive out of order).
    ///
    /// # Errors
    /// [`AppError::NotFound`]`("gateway")` when `gateway` is not the configured gateway;
    /// [`AppError::Gateway`] with [`tollgate_ports::GatewayError::InvalidSignature`] (checked
    /// first) or `Malformed`.
    pub async fn receive_webhook(
        &self,
        gateway: &str,
        signature: &str,
        payload: &[u8],
        origin: &Origin,
    ) -> Result<(), AppError> {
        if gateway != self.ports.gateway.name() {
            return Err(AppError::NotFound("gateway"));
        }
        let event = self.ports.gateway.parse_webhook(signature, payload, self.now())?;
        for _ in 0..STATE_ATTEMPTS {
            let (account, mut changes) = self.effect(&event).await?;
            changes.push(BillingChange::Once {
                scope: format!("gateway:{gateway}"),
                key: event.id.clone(),
                at: self.now(),
            });
            let audit = self.audit_event(
                "gateway.event",
                actor("gateway", gateway),
                None,
                target("event", &event.id),
                origin,
            );
            changes.push(BillingChange::Audit(audit));
            match self.ports.billing.apply(&changes).await {
                Ok(_) => {
                    if let Some(account) = account {
                        self.cache.forget(&account, self.now());
                    }
                    return Ok(());
                }
                // Applied before (a redelivery): nothing more to do.
                Err(StoreError::Conflict("once")) => return Ok(()),
                Err(StoreError::Stale) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(AppError::Conflict)
    }

    /// The account `event` is about and the changes it makes, decided on what is stored now.
    async fn effect(
        &self,
        event: &GatewayEvent,
    ) -> Result<(Option<AccountKey>, Vec<BillingChange>), AppError> {
        let (reference, outcome) = match &event.kind {
            GatewayEventKind::CheckoutCompleted { session, customer, payment_method } => {
                let changes =
                    self.checkout_completion(session, customer.clone(), payment_method.clone()).await?;
                let account = changes.iter().find_map(|c| match c {
                    BillingChange::Subscription { account, .. } => Some(account.clone()),
                    _ => None,
                });
                return Ok((account, changes));
            }
            GatewayEventKind::PaymentSucceeded { reference, .. } => (reference, Outcome::Paid),
            GatewayEventKind::PaymentFailed { reference, .. } => (reference, Outcome::Failed),
            GatewayEventKind::Ignored { .. } => return Ok((None, Vec::new())),
        };
        // A reference that names no invoice of ours (another system's charge) is acknowledged.
        let Ok(number) = InvoiceNumber::parse(reference) else { return Ok((None, Vec::new())) };
        let Some(stored) = self.ports.billing.invoice(&number).await? else { return Ok((None, Vec::new())) };
        let (_, changes) = self.settlement(&stored.account, &number, outcome, &[]).await?;
        Ok((Some(stored.account), changes))
    }
}
