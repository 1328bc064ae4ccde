//! The schemas of identity and access: sign-up, sign-in, tokens, the user, members.

use serde_json::{Map, Value, json};

use super::{ACCOUNT_KEY, EMAIL, name, nullable};
use crate::openapi::schema;

fn password() -> Value {
    json!({ "type": "string", "minLength": 10, "maxLength": 128, "description": "10 to 128 characters." })
}

fn token() -> Value {
    json!({ "type": "string", "minLength": 1, "description": "The token of the e-mailed message." })
}

fn email() -> Value {
    json!({ "type": "string", "pattern": EMAIL, "description": "Trimmed and lowercased before use." })
}

fn list_of(item: &str) -> Value {
    json!({
        "type": "object", "required": ["data", "next_cursor"],
        "properties": { "data": { "type": "array", "items": schema(item) }, "next_cursor": { "type": ["string", "null"] } }
    })
}

/// The identity schemas, by name.
pub(super) fn schemas() -> Map<String, Value> {
    let timestamp = json!({ "type": "string", "format": "date-time" });
    let role = json!({ "enum": ["owner", "admin", "member"] });
    let membership = json!({
        "type": "object", "required": ["account", "role"],
        "properties": { "account": { "type": "string" }, "role": role }
    });
    let user = json!({
        "type": "object",
        "required": ["id", "email", "name", "email_verified", "totp_enabled", "platform_admin", "memberships"],
        "properties": {
            "id": { "type": "string" }, "email": { "type": "string" }, "name": { "type": "string" },
            "email_verified": { "type": "boolean" }, "totp_enabled": { "type": "boolean" },
            "platform_admin": { "type": "boolean" }, "memberships": { "type": "array", "items": membership.clone() }
        }
    });
    let value = json!({
        "Register": {
            "type": "object", "required": ["email", "password", "name"], "additionalProperties": false,
            "properties": {
                "email": email(), "password": password(), "name": name(),
                "account": nullable(json!({
                    "type": "object", "required": ["key", "name"], "additionalProperties": false,
                    "properties": { "key": { "type": "string", "pattern": ACCOUNT_KEY }, "name": name() },
                    "description": "Omitted or null: a key is generated."
                }))
            }
        },
        "Registered": {
            "type": "object", "required": ["user", "account"],
            "properties": { "user": schema("User"), "account": schema("Account") }
        },
        "Login": {
            "type": "object", "required": ["email", "password"], "additionalProperties": false,
            "properties": {
                "email": { "type": "string" }, "password": { "type": "string" },
                "totp": { "type": ["string", "null"], "description": "A 6-digit code, or a recovery code (once)." }
            }
        },
        "TokenPair": {
            "type": "object",
            "required": ["access_token", "token_type", "expires_in", "refresh_token", "session_id"],
            "properties": {
                "access_token": { "type": "string" }, "token_type": { "const": "Bearer" },
                "expires_in": { "type": "integer", "description": "Seconds." },
                "refresh_token": { "type": "string" }, "session_id": { "type": "string" }
            }
        },
        "Refresh": {
            "type": "object", "required": ["refresh_token"], "additionalProperties": false,
            "properties": { "refresh_token": { "type": "string" } }
        },
        "Forgot": {
            "type": "object", "required": ["email"], "additionalProperties": false,
            "properties": { "email": { "type": "string" } }
        },
        "ResetPassword": {
            "type": "object", "required": ["token", "password"], "additionalProperties": false,
            "properties": { "token": token(), "password": password() }
        },
        "Token": {
            "type": "object", "required": ["token"], "additionalProperties": false,
            "properties": { "token": token() }
        },
        "AcceptInvitation": {
            "type": "object", "required": ["token"], "additionalProperties": false,
            "description": "`name` and `password` are required when the invited address has no user yet (they \
                create it), and refused (422 naming the field) when it has one: that user joins as they are.",
            "properties": { "token": token(), "name": name(), "password": password() }
        },
        "Joined": {
            "type": "object", "required": ["user", "account"],
            "properties": { "user": schema("User"), "account": membership }
        },
        "User": user,
        "Session": {
            "type": "object", "required": ["id", "created_at", "refreshed_at", "expires_at", "current"],
            "properties": {
                "id": { "type": "string" }, "created_at": timestamp, "refreshed_at": timestamp,
                "expires_at": timestamp, "ip": { "type": ["string", "null"] },
                "impersonated": { "type": "boolean" }, "current": { "type": "boolean" }
            }
        },
        "SessionList": list_of("Session"),
        "TotpEnrolment": {
            "type": "object", "required": ["secret", "otpauth_url"],
            "properties": { "secret": { "type": "string" }, "otpauth_url": { "type": "string" } }
        },
        "TotpCode": {
            "type": "object", "required": ["code"], "additionalProperties": false,
            "properties": { "code": { "type": "string", "minLength": 1 } }
        },
        "RecoveryCodes": {
            "type": "object", "required": ["recovery_codes"],
            "properties": { "recovery_codes": { "type": "array", "items": { "type": "string" } } }
        },
        "Member": {
            "type": "object", "required": ["user_id", "email", "role", "status", "created_at"],
            "properties": {
                "user_id": { "type": ["string", "null"] }, "email": { "type": "string" },
                "name": { "type": ["string", "null"] }, "role": role,
                "status": { "enum": ["active", "invited"] }, "created_at": timestamp
            }
        },
        "MemberList": list_of("Member"),
        "AddMember": {
            "type": "object", "required": ["email"], "additionalProperties": false,
            "properties": { "email": email(), "role": { "enum": ["owner", "admin", "member"], "default": "member" } }
        },
        "ChangeRole": {
            "type": "object", "required": ["role"], "additionalProperties": false,
            "properties": { "role": { "enum": ["owner", "admin", "member"] } }
        },
        "MemberRole": {
            "type": "object", "required": ["user_id", "role"],
            "properties": { "user_id": { "type": "string" }, "role": { "enum": ["owner", "admin", "member"] } }
        }
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
