//! The payment gateway contract: a payment service provider that stores payment methods, charges
//! them, hosts checkouts and reports what happened through signed webhooks (Stripe's model; the
//! fake gateway of development and tests answers in the same shape).

use async_trait::async_trait;
use serde::Serialize;
use time::OffsetDateTime;
use tollgate_domain::{AccountKey, Money, PlanCode};

/// Why a payment operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The payment was declined; retrying as is will not help. Carries the gateway's code
    /// (`card_declined`, `insufficient_funds`…).
    #[error("payment declined: {0}")]
    Declined(String),
    /// The gateway refused the request itself (an unknown or unusable payment method token);
    /// carries the gateway's explanation, safe to show to the client.
    #[error("payment request refused: {0}")]
    Rejected(String),
    /// The gateway could not be reached or failed; the same request may be retried.
    #[error("payment gateway unavailable: {0}")]
    Unavailable(String),
    /// A webhook's signature did not verify, or its timestamp is outside the tolerance.
    #[error("webhook signature invalid")]
    InvalidSignature,
    /// A webhook's payload is not an event this gateway sends.
    #[error("webhook payload malformed: {0}")]
    Malformed(String),
}

/// A request to keep a payment method (a gateway token, never card data) for later charges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethodRequest {
    /// The account paying.
    pub account: AccountKey,
    /// The gateway's customer for the account, when one exists already.
    pub customer: Option<String>,
    /// The token the client obtained from the gateway (`pm_…`).
    pub token: String,
    /// Makes the request safe to retry at the gateway.
    pub idempotency_key: String,
}

/// A payment method the gateway keeps for the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedPaymentMethod {
    /// The gateway's customer (created on first use).
    pub customer: String,
    /// The reusable payment method to charge.
    pub payment_method: String,
}

/// A request to start a hosted checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    /// The account paying.
    pub account: AccountKey,
    /// The gateway's customer for the account, when one exists.
    pub customer: Option<String>,
    /// The plan bought.
    pub plan: PlanCode,
    /// What the payer sees.
    pub description: String,
    /// The amount of the first charge, rounded to the currency's minor unit.
    pub amount: Money,
    /// Where the payer returns after paying.
    pub success_url: String,
    /// Where the payer returns after giving up.
    pub cancel_url: String,
    /// Makes the request safe to retry at the gateway.
    pub idempotency_key: String,
}

/// A hosted checkout page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckoutSession {
    /// The gateway's id; the `checkout.session.completed` event names it.
    pub id: String,
    /// Where to send the payer.
    pub url: String,
}

/// A request to charge a saved payment method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// The account charged.
    pub account: AccountKey,
    /// The gateway's customer.
    pub customer: String,
    /// The saved payment method charged.
    pub payment_method: String,
    /// The amount, rounded to the currency's minor unit.
    pub amount: Money,
    /// What the charge is for (the invoice number); events about it name it.
    pub reference: String,
    /// Makes the charge safe to retry: the gateway charges at most once per key.
    pub idempotency_key: String,
}

/// A successful charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Charge {
    /// The gateway's id.
    pub id: String,
    /// The amount charged.
    pub amount: Money,
}

/// A request to refund (part of) a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// The charge refunded.
    pub charge_id: String,
    /// The amount.
    pub amount: Money,
    /// Makes the refund safe to retry.
    pub idempotency_key: String,
}

/// A successful refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refund {
    /// The gateway's id.
    pub id: String,
    /// The amount refunded.
    pub amount: Money,
}

/// A verified event from the gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayEvent {
    /// The gateway's event id: events are applied once per id.
    pub id: String,
    /// When the gateway created it (events may arrive in any order).
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// What happened.
    pub kind: GatewayEventKind,
}

/// What a gateway event reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GatewayEventKind {
    /// A hosted checkout was paid (`checkout.session.completed`).
    CheckoutCompleted {
        /// The checkout session's id, as [`CheckoutSession::id`] returned it.
        session: String,
        /// The customer the gateway created or used, when it says.
        customer: Option<String>,
        /// The payment method saved for later charges, when it says.
        payment_method: Option<String>,
    },
    /// A charge succeeded (`invoice.paid`, `payment_intent.succeeded`).
    PaymentSucceeded {
        /// The charge reference (the invoice number).
        reference: String,
        /// The gateway's charge id, when it says.
        charge: Option<String>,
    },
    /// A charge failed (`invoice.payment_failed`, `payment_intent.payment_failed`).
    PaymentFailed {
        /// The charge reference (the invoice number).
        reference: String,
        /// The gateway's reason (`card_declined`…).
        reason: String,
    },
    /// A verified event Tollgate does not act on; acknowledged and recorded.
    Ignored {
        /// The gateway's event type.
        kind: String,
    },
}

/// A payment service provider.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// The gateway's name in `POST /v1/webhooks/{gateway}` (`fake`, `stripe`).
    fn name(&self) -> &'static str;

    /// Keeps the payment method `token` for the account's later charges, creating the
    /// gateway's customer when there is none yet.
    ///
    /// # Errors
    /// [`GatewayError::Rejected`] for a token the gateway does not know or cannot reuse;
    /// [`GatewayError::Declined`] when the card is refused on attaching;
    /// [`GatewayError::Unavailable`] (retry).
    async fn save_payment_method(
        &self,
        request: &PaymentMethodRequest,
    ) -> Result<SavedPaymentMethod, GatewayError>;

    /// Starts a hosted checkout.
    ///
    /// # Errors
    /// [`GatewayError::Unavailable`] (retry) or [`GatewayError::Rejected`].
    async fn checkout(&self, request: &CheckoutRequest) -> Result<CheckoutSession, GatewayError>;

    /// Charges a saved payment method, at most once per idempotency key.
    ///
    /// # Errors
    /// [`GatewayError::Declined`] with the gateway's code, [`GatewayError::Rejected`] or
    /// [`GatewayError::Unavailable`].
    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, GatewayError>;

    /// Refunds a charge, at most once per idempotency key.
    ///
    /// # Errors
    /// [`GatewayError::Declined`], [`GatewayError::Rejected`] or [`GatewayError::Unavailable`].
    async fn refund(&self, request: &RefundRequest) -> Result<Refund, GatewayError>;

    /// Verifies a webhook's `signature` header over the raw `payload` at `now` (Stripe's scheme:
    /// `t=…,v1=…`, HMAC-SHA256 of `t.payload`, any matching `v1`, a 5-minute tolerance) and
    /// parses the event.
    ///
    /// # Errors
    /// [`GatewayError::InvalidSignature`] when the signature does not verify (checked before
    /// anything is parsed); [`GatewayError::Malformed`] for a verified payload that is not an
    /// event.
    fn parse_webhook(
        &self,
        signature: &str,
        payload: &[u8],
        now: OffsetDateTime,
    ) -> Result<GatewayEvent, GatewayError>;
}
