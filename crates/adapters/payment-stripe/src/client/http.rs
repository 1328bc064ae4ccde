//! One call to Stripe's REST API: a form-encoded POST with the secret key, a pinned API
//! version and an idempotency key, and the translation of what comes back into the port's errors.

use serde::Deserialize;
use serde_json::Value;
use tollgate_domain::Money;
use tollgate_ports::GatewayError;

/// The API version every request pins, so Stripe's answers keep the shape read here (the one
/// the pinned `stripe` Python package of the interop tests speaks).
pub const STRIPE_VERSION: &str = "2026-10-28.endive";

/// A form body: Stripe's nested parameters are flat keys such as `metadata[tollgate_account]`.
#[derive(Debug, Default)]
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    pub(crate) fn field(mut self, key: &str, value: impl Into<String>) -> Self {
        self.0.push((key.to_owned(), value.into()));
        self
    }
}

/// An amount as Stripe takes it: a positive integer of minor units and a lowercase currency.
pub(crate) fn amount(money: &Money) -> Result<(String, String), GatewayError> {
    match money.to_minor_units() {
        Ok(units) if units > 0 => Ok((units.to_string(), money.currency().code().to_ascii_lowercase())),
        Ok(_) => Err(GatewayError::Rejected(format!("the amount {money} is not positive"))),
        Err(e) => Err(GatewayError::Rejected(format!("the amount {money} cannot be charged: {e}"))),
    }
}

/// An id that goes into a URL path: Stripe's ids are ASCII letters, digits and underscores, and
/// anything else (a slash, a dot) could address another resource.
pub(crate) fn path_id<'a>(id: &'a str, what: &str) -> Result<&'a str, GatewayError> {
    let plain =
        !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if plain {
        return Ok(id);
    }
    let shown: String = id.chars().take(64).collect();
    Err(GatewayError::Rejected(format!("No such {what}: '{}'", shown.escape_debug())))
}

#[derive(Deserialize)]
struct ErrorBody {
    error: StripeError,
}

/// Stripe's error object (`{"error": {"type", "code", "decline_code", "message"}}`).
#[derive(Deserialize, Default)]
struct StripeError {
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<String>,
    decline_code: Option<String>,
    message: Option<String>,
}

/// POSTs `form` to `url`; the JSON answer of a 2xx.
pub(crate) async fn post(
    client: &reqwest::Client,
    url: &str,
    secret_key: &str,
    idempotency_key: &str,
    form: &Form,
) -> Result<Value, GatewayError> {
    let response = client
        .post(url)
        .bearer_auth(secret_key)
        .header("Stripe-Version", STRIPE_VERSION)
        .header("Idempotency-Key", idempotency_key)
        .form(&form.0)
        .send()
        .await
        .map_err(|e| unavailable(url, &e))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| unavailable(url, &e))?;
    tracing::debug!(url, status = status.as_u16(), "stripe answered");
    if status.is_success() {
        return serde_json::from_slice(&body).map_err(|e| {
            tracing::warn!(url, error = %e, "stripe answered a success that is not JSON");
            GatewayError::Unavailable("the payment gateway gave an unreadable answer".into())
        });
    }
    let error = serde_json::from_slice::<ErrorBody>(&body).map(|b| b.error).unwrap_or_default();
    Err(failure(url, status.as_u16(), error))
}

fn unavailable(url: &str, error: &reqwest::Error) -> GatewayError {
    let why = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    tracing::warn!(url, error = %error, "a call to the payment gateway {why}");
    GatewayError::Unavailable(format!("the payment gateway {why}"))
}

/// Stripe's error statuses in the port's terms.
fn failure(url: &str, status: u16, error: StripeError) -> GatewayError {
    let message = error.message.clone().unwrap_or_else(|| format!("the payment gateway answered {status}"));
    match status {
        402 if error.kind.as_deref() == Some("card_error") => GatewayError::Declined(
            error.decline_code.or(error.code).unwrap_or_else(|| "card_declined".into()),
        ),
        // Credentials the operator set wrong are not the client's to fix.
        401 | 403 => {
            tracing::error!(url, status, message, "stripe refused Tollgate's secret key");
            GatewayError::Unavailable("the payment gateway refused Tollgate's credentials".into())
        }
        // A concurrent request with the same idempotency key, or rate limiting: retry later.
        409 | 429 => GatewayError::Unavailable(message),
        400..=499 => GatewayError::Rejected(message),
        _ => {
            tracing::warn!(url, status, message, "stripe failed");
            GatewayError::Unavailable(format!("the payment gateway answered {status}"))
        }
    }
}

/// A string field of an answer.
pub(crate) fn field<'a>(answer: &'a Value, name: &str) -> Option<&'a str> {
    answer.get(name).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The `id` of an answer, which every object Stripe creates has.
pub(crate) fn id(answer: &Value) -> Result<String, GatewayError> {
    field(answer, "id").map(str::to_owned).ok_or_else(|| {
        tracing::warn!("stripe answered an object without an id");
        GatewayError::Unavailable("the payment gateway gave an unreadable answer".into())
    })
}
