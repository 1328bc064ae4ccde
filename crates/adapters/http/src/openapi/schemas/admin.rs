//! The schemas of the platform admins' routes, and the query parameters of their searches.

use serde_json::{Map, Value, json};

use super::PLAN_CODE;
use crate::openapi::schema;

fn list_of(item: &str) -> Value {
    json!({
        "type": "object", "required": ["data", "next_cursor"],
        "properties": { "data": { "type": "array", "items": schema(item) }, "next_cursor": { "type": ["string", "null"] } }
    })
}

fn text(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } })
}

/// The filters a search route reads besides `limit` and `cursor`.
pub(in crate::openapi) fn query_parameters(operation_id: &str) -> Vec<Value> {
    match operation_id {
        "list_admin_accounts" => vec![
            text("q", "Within the key, name or e-mail, case-insensitively."),
            json!({
                "name": "status", "in": "query", "required": false,
                "description": "The subscription's status as last stored.",
                "schema": { "enum": ["trialing", "active", "past_due", "suspended", "cancelled", "expired"] }
            }),
            json!({
                "name": "plan", "in": "query", "required": false, "description": "The plan's code.",
                "schema": { "type": "string", "pattern": PLAN_CODE }
            }),
        ],
        "list_admin_users" => vec![text("q", "Within the e-mail or name, case-insensitively.")],
        "list_audit_events" => vec![
            text("actor", "The actor's id (a user's or an API key's, or system)."),
            text("target", "The target's id or key."),
            text("action", "The action, such as user.login or account.suspended."),
            json!({
                "name": "since", "in": "query", "required": false, "description": "Events at or after this instant.",
                "schema": { "type": "string", "format": "date-time" }
            }),
        ],
        _ => Vec::new(),
    }
}

/// The admin schemas, by name.
pub(super) fn schemas() -> Map<String, Value> {
    let timestamp = json!({ "type": "string", "format": "date-time" });
    let nullable_timestamp = json!({ "type": ["string", "null"], "format": "date-time" });
    let party = json!({
        "type": "object", "required": ["type", "id"],
        "properties": { "type": { "type": "string" }, "id": { "type": "string" } }
    });
    let counts = json!({ "type": "object", "additionalProperties": { "type": "integer", "minimum": 0 } });
    let value = json!({
        "AccountList": list_of("Account"),
        "AdminUser": {
            "type": "object",
            "required": ["id", "email", "name", "email_verified", "totp_enabled", "platform_admin", "created_at", "deleted_at"],
            "properties": {
                "id": { "type": "string" }, "email": { "type": "string" }, "name": { "type": "string" },
                "email_verified": { "type": "boolean" }, "totp_enabled": { "type": "boolean" },
                "platform_admin": { "type": "boolean" }, "created_at": timestamp,
                "deleted_at": nullable_timestamp
            }
        },
        "AdminUserList": list_of("AdminUser"),
        "Impersonation": {
            "type": "object",
            "required": ["access_token", "token_type", "expires_in", "session_id", "user_id", "impersonator"],
            "description": "No refresh token: an impersonation lasts one access token; ask again for more.",
            "properties": {
                "access_token": { "type": "string" }, "token_type": { "const": "Bearer" },
                "expires_in": { "type": "integer", "minimum": 1 }, "session_id": { "type": "string" },
                "user_id": { "type": "string" }, "impersonator": { "type": "string" }
            }
        },
        "AdminStats": {
            "type": "object",
            "required": ["accounts", "monthly_recurring_revenue", "usage"],
            "properties": {
                "accounts": {
                    "type": "object", "required": ["total", "by_plan", "by_status", "without_subscription"],
                    "properties": {
                        "total": { "type": "integer", "minimum": 0 }, "by_plan": counts.clone(),
                        "by_status": counts.clone(), "without_subscription": { "type": "integer", "minimum": 0 }
                    }
                },
                "monthly_recurring_revenue": {
                    "type": "array", "items": schema("Money"),
                    "description": "Per currency: monthly price of every active or past-due subscription, \
                                    times its seats on a per-seat plan."
                },
                "usage": counts
            }
        },
        "AuditEvent": {
            "type": "object",
            "required": ["id", "at", "action", "actor", "impersonator", "target", "ip", "request_id"],
            "properties": {
                "id": { "type": "string" }, "at": timestamp, "action": { "type": "string" },
                "actor": party.clone(), "impersonator": { "type": ["string", "null"] }, "target": party,
                "ip": { "type": ["string", "null"] }, "request_id": { "type": ["string", "null"] }
            }
        },
        "AuditEventList": list_of("AuditEvent"),
        "OverLimits": {
            "type": "object", "required": ["account", "metrics"],
            "properties": {
                "account": { "type": "string" },
                "metrics": { "type": "object", "additionalProperties": schema("UsageLine") }
            }
        },
        "OverLimitsList": list_of("OverLimits"),
        "PlanTerms": {
            "type": "object", "required": ["name", "price", "interval"], "additionalProperties": false,
            "description": "A plan's JSON; `code`, when given, must be the path's.",
            "properties": {
                "code": { "type": "string", "pattern": PLAN_CODE }, "name": { "type": "string" },
                "description": { "type": "string" }, "price": schema("Money"),
                "interval": { "enum": ["month", "year"] }, "trial_days": { "type": "integer", "minimum": 0 },
                "per_seat": { "type": "boolean" }, "active": { "type": "boolean" },
                "features": { "type": "object", "additionalProperties": { "type": "boolean" } },
                "limits": { "type": "object", "additionalProperties": schema("Limit") },
                "addons": {
                    "type": "array", "items": { "type": "string", "pattern": PLAN_CODE },
                    "description": "Codes of add-ons already in the catalog (422 naming `addons` otherwise)."
                }
            }
        }
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
