//! The schemas of billing: quotes, invoices, payment methods, checkouts and webhooks.

use serde_json::{Map, Value, json};

use super::PLAN_CODE;
use crate::openapi::schema;

/// A URL a payer returns to: absolute http(s), RFC 3986 characters only.
fn return_url() -> Value {
    json!({
        "type": "string", "maxLength": 2048,
        "pattern": "^https?://[A-Za-z0-9._~:@!$&'()*+,;=%\\[\\]-][A-Za-z0-9._~:/?#@!$&'()*+,;=%\\[\\]-]*$"
    })
}

/// The billing schemas, by name.
pub(super) fn schemas() -> Map<String, Value> {
    let timestamp = json!({ "type": "string", "format": "date-time" });
    let nullable_timestamp = json!({ "type": ["string", "null"], "format": "date-time" });
    let value = json!({
        "InvoiceLine": {
            "type": "object", "required": ["description", "amount", "period_start", "period_end"],
            "properties": {
                "description": { "type": "string" },
                "amount": schema("Money"),
                "period_start": nullable_timestamp, "period_end": nullable_timestamp
            }
        },
        "ChangePreview": {
            "type": "object", "required": ["lines", "total", "effective_at", "at"],
            "properties": {
                "lines": { "type": "array", "items": schema("InvoiceLine") },
                "total": schema("Money"),
                "effective_at": timestamp,
                "at": { "enum": ["now", "period_end"] }
            }
        },
        "Invoice": {
            "type": "object",
            "required": ["number", "status", "reason", "lines", "subtotal", "total", "currency", "issued_at",
                         "due_at", "paid_at", "attempts", "next_attempt_at"],
            "properties": {
                "number": { "type": "string", "pattern": "^TG-[0-9]{4}-[0-9]{6,}$", "example": "TG-2026-000123" },
                "status": { "enum": ["draft", "open", "paid", "void", "uncollectible"] },
                "reason": { "enum": ["subscription", "proration", "add_on", "checkout", "manual"] },
                "lines": { "type": "array", "items": schema("InvoiceLine") },
                "subtotal": schema("Money"), "total": schema("Money"),
                "currency": { "type": "string" },
                "plan": { "type": ["string", "null"] },
                "issued_at": timestamp, "due_at": timestamp, "paid_at": nullable_timestamp,
                "attempts": { "type": "integer", "minimum": 0 },
                "next_attempt_at": nullable_timestamp
            }
        },
        "InvoiceList": {
            "type": "object", "required": ["data", "next_cursor"],
            "properties": { "data": { "type": "array", "items": schema("Invoice") }, "next_cursor": { "type": ["string", "null"] } }
        },
        "SubscriptionChange": {
            "description": "The subscription after the change, and the invoice it issued (an upgrade's proration) or null.",
            "allOf": [
                schema("Subscription"),
                { "type": "object", "required": ["invoice"],
                  "properties": { "invoice": { "oneOf": [schema("Invoice"), { "type": "null" }] } } }
            ]
        },
        "PaymentMethod": {
            "type": "object", "required": ["token"], "additionalProperties": false,
            "properties": {
                "token": {
                    "type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$",
                    "description": "The gateway's reusable token (`pm_card_visa` on the fake gateway); never card data."
                }
            }
        },
        "PaymentMethodSaved": {
            "type": "object", "required": ["payment_method"],
            "properties": { "payment_method": { "type": "string" } }
        },
        "Checkout": {
            "type": "object", "required": ["plan", "success_url", "cancel_url"], "additionalProperties": false,
            "properties": {
                "plan": { "type": "string", "pattern": PLAN_CODE },
                "success_url": return_url(),
                "cancel_url": return_url()
            }
        },
        "CheckoutSession": {
            "type": "object", "required": ["url", "session_id"],
            "properties": { "url": { "type": "string" }, "session_id": { "type": "string" } }
        },
        "GatewayEvent": {
            "type": "object", "required": ["id", "type"],
            "description": "A Stripe event (`{\"id\", \"type\", \"created\", \"data\": {\"object\": …}}`), verified over its \
                            raw bytes with the `Stripe-Signature` header.",
            "properties": { "id": { "type": "string" }, "type": { "type": "string" } }
        },
        "WebhookReceived": {
            "type": "object", "required": ["received"],
            "properties": { "received": { "const": true } }
        }
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
