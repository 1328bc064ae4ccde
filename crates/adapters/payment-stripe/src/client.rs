//! Stripe over its REST API: customers, payment methods, payment intents, checkout sessions and
//! refunds, with the webhook secret to verify its events.

mod http;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use time::OffsetDateTime;
use tollgate_ports::{
    Charge, ChargeRequest, CheckoutRequest, CheckoutSession, GatewayError, GatewayEvent, PaymentGateway,
    PaymentMethodRequest, Refund, RefundRequest, SavedPaymentMethod,
};

pub use self::http::STRIPE_VERSION;
use self::http::{Form, amount, field, id, path_id, post};
use crate::event::{REFERENCE_KEY, verified_event};

/// Stripe's API.
pub const API_BASE: &str = "https://api.stripe.com";

/// How long one call to Stripe may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The metadata key naming the Tollgate account on Stripe's objects.
const ACCOUNT_KEY: &str = "tollgate_account";

/// Where Stripe is and the secrets to speak to it. `Debug` shows neither secret.
#[derive(Clone, Deserialize)]
pub struct StripeSettings {
    /// The API's base URL ([`API_BASE`] unless a test or a proxy stands in).
    #[serde(default = "api_base")]
    pub base_url: String,
    /// The secret API key (`sk_live_…`, `sk_test_…`, or a restricted `rk_…`).
    pub secret_key: String,
    /// The signing secret of the webhook endpoint (`whsec_…`).
    pub webhook_secret: String,
}

fn api_base() -> String {
    API_BASE.to_owned()
}

impl fmt::Debug for StripeSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeSettings")
            .field("base_url", &self.base_url)
            .field("secret_key", &"[redacted]")
            .field("webhook_secret", &"[redacted]")
            .finish()
    }
}

/// Why the Stripe gateway cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The base URL is not an absolute `http` or `https` URL.
    #[error("the Stripe base URL {0:?} is not an http(s) URL")]
    BaseUrl(String),
    /// The secret key is empty or not printable ASCII (it travels in a header).
    #[error("the Stripe secret key is empty or not printable ASCII")]
    SecretKey,
    /// The webhook secret is empty: every event would be refused.
    #[error("the Stripe webhook secret is empty")]
    WebhookSecret,
    /// The HTTP client could not be built.
    #[error("the HTTP client for Stripe cannot start: {0}")]
    Client(String),
}

/// The Stripe payment gateway. Every POST carries an idempotency key derived from the port's,
/// so a retried operation is applied once at Stripe.
pub struct StripeGateway {
    base_url: String,
    secret_key: String,
    webhook_secret: String,
    client: reqwest::Client,
}

impl fmt::Debug for StripeGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeGateway").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl StripeGateway {
    /// A gateway whose calls time out after [`TIMEOUT`].
    ///
    /// # Errors
    /// [`SetupError`] for settings that cannot work, or an HTTP client that cannot start.
    pub fn new(settings: StripeSettings) -> Result<Self, SetupError> {
        Self::with_timeout(settings, TIMEOUT)
    }

    /// A gateway whose calls time out after `timeout`.
    ///
    /// # Errors
    /// As [`StripeGateway::new`].
    pub fn with_timeout(settings: StripeSettings, timeout: Duration) -> Result<Self, SetupError> {
        let base_url = settings.base_url.trim_end_matches('/').to_owned();
        let parsed =
            reqwest::Url::parse(&base_url).map_err(|_| SetupError::BaseUrl(settings.base_url.clone()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.cannot_be_a_base() {
            return Err(SetupError::BaseUrl(settings.base_url));
        }
        let key = &settings.secret_key;
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(SetupError::SecretKey);
        }
        if settings.webhook_secret.is_empty() {
            return Err(SetupError::WebhookSecret);
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("tollgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SetupError::Client(e.to_string()))?;
        Ok(Self {
            base_url,
            secret_key: settings.secret_key,
            webhook_secret: settings.webhook_secret,
            client,
        })
    }

    async fn post(
        &self,
        path: &str,
        idempotency_key: &str,
        form: &Form,
    ) -> Result<serde_json::Value, GatewayError> {
        let url = format!("{}{path}", self.base_url);
        post(&self.client, &url, &self.secret_key, idempotency_key, form).await
    }
}

#[async_trait]
impl PaymentGateway for StripeGateway {
    fn name(&self) -> &'static str {
        "stripe"
    }

    async fn save_payment_method(
        &self,
        request: &PaymentMethodRequest,
    ) -> Result<SavedPaymentMethod, GatewayError> {
        let token = path_id(&request.token, "PaymentMethod")?;
        let key = &request.idempotency_key;
        let customer = match &request.customer {
            Some(customer) => path_id(customer, "customer")?.to_owned(),
            None => {
                let form =
                    Form::default().field(&format!("metadata[{ACCOUNT_KEY}]"), request.account.as_str());
                id(&self.post("/v1/customers", &format!("{key}-customer"), &form).await?)?
            }
        };
        let form = Form::default().field("customer", &customer);
        let attached = self
            .post(&format!("/v1/payment_methods/{token}/attach"), &format!("{key}-attach"), &form)
            .await?;
        // A test token (`pm_card_visa`) attaches as a new payment method: keep the one Stripe made.
        let payment_method = id(&attached)?;
        let form = Form::default().field("invoice_settings[default_payment_method]", &payment_method);
        let path = format!("/v1/customers/{}", path_id(&customer, "customer")?);
        self.post(&path, &format!("{key}-default"), &form).await?;
        Ok(SavedPaymentMethod { customer, payment_method })
    }

    async fn checkout(&self, request: &CheckoutRequest) -> Result<CheckoutSession, GatewayError> {
        let (unit_amount, currency) = amount(&request.amount)?;
        let form = Form::default()
            .field("mode", "payment")
            .field("line_items[0][price_data][currency]", currency)
            .field("line_items[0][price_data][unit_amount]", unit_amount)
            .field("line_items[0][price_data][product_data][name]", &request.description)
            .field("line_items[0][quantity]", "1")
            .field("success_url", &request.success_url)
            .field("cancel_url", &request.cancel_url)
            .field("client_reference_id", request.account.as_str());
        let form = match &request.customer {
            Some(customer) => form.field("customer", customer),
            None => form.field("customer_creation", "always"),
        };
        let form = form
            .field("payment_intent_data[setup_future_usage]", "off_session")
            .field(&format!("metadata[{ACCOUNT_KEY}]"), request.account.as_str())
            .field("metadata[tollgate_plan]", request.plan.as_str());
        let session = self.post("/v1/checkout/sessions", &request.idempotency_key, &form).await?;
        let url = field(&session, "url").ok_or_else(|| {
            GatewayError::Unavailable("the payment gateway gave a checkout without a URL".into())
        })?;
        Ok(CheckoutSession { url: url.to_owned(), id: id(&session)? })
    }

    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, GatewayError> {
        let (minor_units, currency) = amount(&request.amount)?;
        let form = Form::default()
            .field("amount", minor_units)
            .field("currency", currency)
            .field("customer", &request.customer)
            .field("payment_method", &request.payment_method)
            .field("confirm", "true")
            .field("off_session", "true")
            .field(&format!("metadata[{REFERENCE_KEY}]"), &request.reference)
            .field(&format!("metadata[{ACCOUNT_KEY}]"), request.account.as_str());
        let intent = self.post("/v1/payment_intents", &request.idempotency_key, &form).await?;
        match field(&intent, "status") {
            // The charge, not the intent, is what a refund names.
            Some("succeeded") => {
                let id = field(&intent, "latest_charge")
                    .map_or_else(|| id(&intent), |charge| Ok(charge.to_owned()))?;
                Ok(Charge { id, amount: request.amount })
            }
            // Off-session payments that need the customer cannot complete without them.
            Some("requires_action") => Err(GatewayError::Declined("authentication_required".into())),
            Some("requires_payment_method") => Err(GatewayError::Declined(failure_reason(&intent))),
            Some("processing") => Err(GatewayError::Unavailable(
                "the payment is processing; its outcome arrives as an event".into(),
            )),
            other => {
                tracing::warn!(status = ?other, "stripe answered a payment intent in an unexpected status");
                Err(GatewayError::Unavailable("the payment gateway left the payment unfinished".into()))
            }
        }
    }

    async fn refund(&self, request: &RefundRequest) -> Result<Refund, GatewayError> {
        let (minor_units, _) = amount(&request.amount)?;
        // A charge id, or a payment intent's when a charge was reported by its intent.
        let target = if request.charge_id.starts_with("pi_") { "payment_intent" } else { "charge" };
        let form = Form::default().field(target, &request.charge_id).field("amount", minor_units);
        let refund = self.post("/v1/refunds", &request.idempotency_key, &form).await?;
        if let Some("failed" | "canceled") = field(&refund, "status") {
            return Err(GatewayError::Declined(
                field(&refund, "failure_reason").unwrap_or("refund_failed").to_owned(),
            ));
        }
        Ok(Refund { id: id(&refund)?, amount: request.amount })
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

/// A declined intent's reason: the issuer's decline code, else Stripe's error code.
fn failure_reason(intent: &serde_json::Value) -> String {
    let error = intent.get("last_payment_error").unwrap_or(&serde_json::Value::Null);
    field(error, "decline_code").or_else(|| field(error, "code")).unwrap_or("payment_failed").to_owned()
}

#[cfg(test)]
mod stub;
#[cfg(test)]
mod tests;
