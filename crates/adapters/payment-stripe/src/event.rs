//! Stripe events (`{"id", "type", "created", "data": {"object": {…}}}`) read into the port's
//! [`GatewayEvent`]. Only the fields Tollgate acts on are read; the rest of Stripe's objects may
//! change freely.

use serde::Deserialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use tollgate_ports::{GatewayError, GatewayEvent, GatewayEventKind};

use crate::signature::{self, TOLERANCE};

/// The metadata key that carries a charge's reference (the invoice number).
pub const REFERENCE_KEY: &str = "tollgate_reference";

/// The reason of a failed payment whose object names none.
const DEFAULT_FAILURE: &str = "payment_failed";

#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created: i64,
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    object: Map<String, Value>,
}

/// Reads a verified Stripe event.
///
/// `checkout.session.completed` becomes [`GatewayEventKind::CheckoutCompleted`];
/// `invoice.paid` and `payment_intent.succeeded` [`GatewayEventKind::PaymentSucceeded`];
/// `invoice.payment_failed` and `payment_intent.payment_failed`
/// [`GatewayEventKind::PaymentFailed`]; every other type [`GatewayEventKind::Ignored`]. Payments
/// are matched by the object's `metadata.tollgate_reference`.
///
/// # Errors
/// [`GatewayError::Malformed`] when the payload is not an event, or when an event Tollgate acts
/// on lacks what it needs (the session id, the reference).
pub fn parse_event(payload: &[u8]) -> Result<GatewayEvent, GatewayError> {
    let envelope: Envelope =
        serde_json::from_slice(payload).map_err(|e| GatewayError::Malformed(format!("not an event: {e}")))?;
    let created = OffsetDateTime::from_unix_timestamp(envelope.created)
        .map_err(|_| GatewayError::Malformed(format!("created {} is out of range", envelope.created)))?;
    let object = &envelope.data.object;
    let kind = match envelope.kind.as_str() {
        "checkout.session.completed" => GatewayEventKind::CheckoutCompleted {
            session: string(object, "id")
                .ok_or_else(|| missing(&envelope.kind, "data.object.id"))?
                .to_owned(),
            customer: id_of(object.get("customer")),
            payment_method: string(object, "payment_method").map(str::to_owned),
        },
        "invoice.paid" | "payment_intent.succeeded" => GatewayEventKind::PaymentSucceeded {
            reference: reference(object, &envelope.kind)?,
            charge: ["latest_charge", "charge", "id"]
                .into_iter()
                .find_map(|field| string(object, field))
                .map(str::to_owned),
        },
        "invoice.payment_failed" | "payment_intent.payment_failed" => GatewayEventKind::PaymentFailed {
            reference: reference(object, &envelope.kind)?,
            reason: failure_reason(object),
        },
        _ => GatewayEventKind::Ignored { kind: envelope.kind.clone() },
    };
    Ok(GatewayEvent { id: envelope.id, created, kind })
}

/// Verifies a webhook with Stripe's scheme (5-minute tolerance), then reads its event.
pub(crate) fn verified_event(
    secret: &str,
    header: &str,
    payload: &[u8],
    now: OffsetDateTime,
) -> Result<GatewayEvent, GatewayError> {
    signature::verify(header, payload, secret, now, TOLERANCE).map_err(|e| {
        tracing::debug!(reason = %e, "webhook signature refused");
        GatewayError::InvalidSignature
    })?;
    parse_event(payload)
}

/// A non-empty string field.
fn string<'a>(object: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    object.get(field).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The id of a field that holds an id, or the expanded object carrying it.
fn id_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(id) if !id.is_empty() => Some(id.clone()),
        Value::Object(expanded) => string(expanded, "id").map(str::to_owned),
        _ => None,
    }
}

fn reference(object: &Map<String, Value>, kind: &str) -> Result<String, GatewayError> {
    object
        .get("metadata")
        .and_then(Value::as_object)
        .and_then(|metadata| string(metadata, REFERENCE_KEY))
        .map(str::to_owned)
        .ok_or_else(|| missing(kind, "data.object.metadata.tollgate_reference"))
}

/// The most precise reason the object gives: the issuer's decline code, then Stripe's error code,
/// then the charge's failure code.
fn failure_reason(object: &Map<String, Value>) -> String {
    let error = object.get("last_payment_error").and_then(Value::as_object);
    error
        .and_then(|e| string(e, "decline_code").or_else(|| string(e, "code")))
        .or_else(|| string(object, "failure_code"))
        .unwrap_or(DEFAULT_FAILURE)
        .to_owned()
}

fn missing(kind: &str, field: &str) -> GatewayError {
    GatewayError::Malformed(format!("{kind} event without {field}"))
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
