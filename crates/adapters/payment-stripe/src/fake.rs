//! The fake gateway of development and tests: answers like Stripe's test mode, keeps nothing
//! outside the process, and receives its events in Stripe's shape and signing scheme.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use time::OffsetDateTime;
use tollgate_domain::Money;
use tollgate_ports::{
    Charge, ChargeRequest, CheckoutRequest, CheckoutSession, GatewayError, GatewayEvent, PaymentGateway,
    PaymentMethodRequest, Refund, RefundRequest, SavedPaymentMethod,
};

use crate::event::verified_event;

/// The test tokens whose charges are declined, with the code Stripe declines them with.
const DECLINING_TOKENS: [(&str, &str); 2] = [
    ("pm_card_chargeDeclined", "card_declined"),
    ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
];

/// The prefix of Stripe's test payment method tokens (`pm_card_visa`, `pm_card_mastercard`…).
const TEST_TOKEN_PREFIX: &str = "pm_card_";

/// Stripe's answer to an idempotency key reused with other parameters.
const KEY_REUSED: &str =
    "Keys for idempotent requests can only be used with the same parameters they were first used with.";

/// A payment gateway that answers like Stripe's test mode: `pm_card_visa` and
/// `pm_card_mastercard` (and any other `pm_card_…` token) charge successfully;
/// `pm_card_chargeDeclined` and `pm_card_chargeDeclinedInsufficientFunds` are saved but their
/// charges are declined (`card_declined`, `insufficient_funds`); any other token is rejected.
///
/// A charge's outcome depends only on its payment method, so several processes agree. Charges,
/// refunds, checkouts and saved methods are idempotent per key within the process. Ids carry a
/// random per-process prefix, so two processes never hand out the same one. Webhooks are
/// verified with Stripe's scheme and the secret given here.
pub struct FakeGateway {
    webhook_secret: String,
    checkout_base: String,
    /// Random per process, so ids from two servers on one database do not collide.
    prefix: u64,
    counter: AtomicU64,
    answers: Mutex<Answers>,
}

/// What was answered per idempotency key, with what was asked.
#[derive(Default)]
struct Answers {
    saved: HashMap<String, (PaymentMethodRequest, SavedPaymentMethod)>,
    checkouts: HashMap<String, (CheckoutRequest, CheckoutSession)>,
    charges: HashMap<String, (ChargeRequest, Result<Charge, GatewayError>)>,
    refunds: HashMap<String, (RefundRequest, Refund)>,
}

impl FakeGateway {
    /// A fake gateway verifying its webhooks with `webhook_secret`, whose checkout pages live at
    /// `<checkout_base>/<session id>`.
    pub fn new(webhook_secret: String, checkout_base: String) -> Self {
        let mut bytes = [0_u8; 8];
        // Without OS randomness the clock's nanoseconds still separate two processes well enough
        // for a fake.
        if getrandom::fill(&mut bytes).is_err() {
            bytes = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_nanos() as u64)
                .to_le_bytes();
        }
        Self {
            webhook_secret,
            checkout_base: checkout_base.trim_end_matches('/').to_owned(),
            prefix: u64::from_le_bytes(bytes),
            counter: AtomicU64::new(0),
            answers: Mutex::new(Answers::default()),
        }
    }

    fn next_id(&self, kind: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{kind}_{:016x}{n}", self.prefix)
    }

    fn answers(&self) -> std::sync::MutexGuard<'_, Answers> {
        self.answers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for FakeGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeGateway")
            .field("webhook_secret", &"[redacted]")
            .field("checkout_base", &self.checkout_base)
            .finish_non_exhaustive()
    }
}

/// Stripe refuses an unknown payment method by name.
fn no_such_payment_method(token: &str) -> GatewayError {
    GatewayError::Rejected(format!("No such PaymentMethod: '{token}'"))
}

/// The amount in minor units, refused as Stripe refuses what it cannot charge.
fn positive_minor_units(amount: &Money) -> Result<i64, GatewayError> {
    match amount.to_minor_units() {
        Ok(units) if units > 0 => Ok(units),
        Ok(_) => Err(GatewayError::Rejected("This value must be greater than or equal to 1.".into())),
        Err(e) => Err(GatewayError::Rejected(format!("Invalid amount: {e}"))),
    }
}

/// The outcome of charging `payment_method`, the same in every process.
fn charge_outcome(payment_method: &str) -> Result<(), GatewayError> {
    if let Some((_, code)) = DECLINING_TOKENS.iter().find(|(token, _)| *token == payment_method) {
        return Err(GatewayError::Declined((*code).to_owned()));
    }
    if payment_method.starts_with(TEST_TOKEN_PREFIX) {
        Ok(())
    } else {
        Err(no_such_payment_method(payment_method))
    }
}

#[async_trait]
impl PaymentGateway for FakeGateway {
    fn name(&self) -> &'static str {
        "fake"
    }

    async fn save_payment_method(
        &self,
        request: &PaymentMethodRequest,
    ) -> Result<SavedPaymentMethod, GatewayError> {
        if !request.token.starts_with(TEST_TOKEN_PREFIX) {
            return Err(no_such_payment_method(&request.token));
        }
        let mut answers = self.answers();
        if let Some((asked, saved)) = answers.saved.get(&request.idempotency_key) {
            return if asked == request {
                Ok(saved.clone())
            } else {
                Err(GatewayError::Rejected(KEY_REUSED.into()))
            };
        }
        // The method keeps the token's name, so every process knows how its charges end.
        let saved = SavedPaymentMethod {
            customer: request.customer.clone().unwrap_or_else(|| self.next_id("cus_fake")),
            payment_method: request.token.clone(),
        };
        answers.saved.insert(request.idempotency_key.clone(), (request.clone(), saved.clone()));
        Ok(saved)
    }

    async fn checkout(&self, request: &CheckoutRequest) -> Result<CheckoutSession, GatewayError> {
        positive_minor_units(&request.amount)?;
        let mut answers = self.answers();
        if let Some((asked, session)) = answers.checkouts.get(&request.idempotency_key) {
            return if asked == request {
                Ok(session.clone())
            } else {
                Err(GatewayError::Rejected(KEY_REUSED.into()))
            };
        }
        let id = self.next_id("cs_test");
        let session = CheckoutSession { url: format!("{}/{id}", self.checkout_base), id };
        answers.checkouts.insert(request.idempotency_key.clone(), (request.clone(), session.clone()));
        Ok(session)
    }

    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, GatewayError> {
        let mut answers = self.answers();
        if let Some((asked, result)) = answers.charges.get(&request.idempotency_key) {
            return if asked == request {
                result.clone()
            } else {
                Err(GatewayError::Rejected(KEY_REUSED.into()))
            };
        }
        positive_minor_units(&request.amount)?;
        // A declined charge is remembered too: Stripe replays the same answer for the same key.
        let result = charge_outcome(&request.payment_method)
            .map(|()| Charge { id: self.next_id("ch_fake"), amount: request.amount });
        answers.charges.insert(request.idempotency_key.clone(), (request.clone(), result.clone()));
        result
    }

    async fn refund(&self, request: &RefundRequest) -> Result<Refund, GatewayError> {
        let mut answers = self.answers();
        if let Some((asked, refund)) = answers.refunds.get(&request.idempotency_key) {
            return if asked == request {
                Ok(refund.clone())
            } else {
                Err(GatewayError::Rejected(KEY_REUSED.into()))
            };
        }
        if !request.charge_id.starts_with("ch_fake_") {
            return Err(GatewayError::Rejected(format!("No such charge: '{}'", request.charge_id)));
        }
        positive_minor_units(&request.amount)?;
        let refund = Refund { id: self.next_id("re_fake"), amount: request.amount };
        answers.refunds.insert(request.idempotency_key.clone(), (request.clone(), refund.clone()));
        Ok(refund)
    }

    fn parse_webhook(
        &self,
        signature: &str,
        payload: &[u8],
        now: OffsetDateTime,
    ) -> Result<GatewayEvent, GatewayError> {
        verified_event(&self.webhook_secret, signature, payload, now)
    }
}

#[cfg(test)]
#[path = "fake_tests.rs"]
mod tests;
