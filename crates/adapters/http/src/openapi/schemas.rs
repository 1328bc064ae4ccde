//! The schemas of the OpenAPI document, and the rules of the values in paths, headers and bodies,
//! written to match what the server accepts: a request the document allows is never refused as
//! malformed, and one it forbids is refused (checked by `scripts/schemathesis.sh`).

use serde_json::{Value, json};

mod addons;
mod admin;
mod billing;
mod identity;

pub(super) use admin::query_parameters;

use super::schema;
use crate::problem::ProblemCode;

/// An account key (`AccountKey`).
pub(super) const ACCOUNT_KEY: &str = "^[A-Za-z0-9._:@-]{1,128}$";
/// A plan code (`PlanCode`).
const PLAN_CODE: &str = "^[a-z0-9][a-z0-9_-]{0,63}$";
/// A metric or feature name (`MetricName`, `FeatureName`).
const NAME_RULE: &str = "^[a-z][a-z0-9_]{0,63}$";
/// An e-mail address (`Email`): printable ASCII, 1 to 64 characters before the one `@`, a domain
/// with a dot that neither starts nor ends it.
pub(super) const EMAIL: &str = r"^[!-?A-~]{1,64}@[!-\-/-?A-~][!-?A-~]*\.[!-?A-~]*[!-\-/-?A-~]$";
/// A display name: no control characters (C0, DEL, C1) and something besides white space.
const DISPLAY_NAME: &str =
    r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$";
/// An `Idempotency-Key`: printable ASCII that starts and ends with a visible character (HTTP
/// trims the white space around a header value).
const IDEMPOTENCY_KEY: &str = r"^[!-~]([ -~]{0,253}[!-~])?$";

/// The schema of a path parameter.
pub(super) fn path_parameter_schema(name: &str) -> Value {
    match name {
        "key" => json!({ "type": "string", "pattern": ACCOUNT_KEY, "example": "acme-free" }),
        "code" => json!({ "type": "string", "pattern": PLAN_CODE, "example": "pro" }),
        "number" => {
            json!({ "type": "string", "pattern": "^TG-[0-9]{4}-[0-9]{6,}$", "example": "TG-2026-000001" })
        }
        "gateway" => {
            json!({ "enum": ["fake", "stripe"], "description": "The configured gateway; the other answers 404." })
        }
        _ => json!({ "type": "string", "minLength": 1 }),
    }
}

/// The schema of the `Idempotency-Key` header.
pub(super) fn idempotency_key_schema() -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": 255, "pattern": IDEMPOTENCY_KEY })
}

/// The schema of a list's `cursor`: the `next_cursor` of the previous page.
pub(super) fn cursor_schema() -> Value {
    json!({ "type": "string", "pattern": "^[!-~]{0,255}$", "description": "The next_cursor of the previous page." })
}

/// A display name: 1 to 200 characters once trimmed, no control characters.
pub(super) fn name() -> Value {
    json!({
        "type": "string", "minLength": 1, "maxLength": 200, "pattern": DISPLAY_NAME,
        "description": "1 to 200 characters once trimmed; no control characters."
    })
}

fn plan_code(description: &str) -> Value {
    json!({ "type": "string", "pattern": PLAN_CODE, "description": description })
}

fn name_rule(description: &str) -> Value {
    json!({ "type": "string", "pattern": NAME_RULE, "description": description })
}

fn quantity() -> Value {
    json!({ "type": "integer", "minimum": 1, "maximum": 1_000_000_000_000_u64 })
}

/// `schema` where `null` is also accepted (an optional field sent as null means omitted).
pub(super) fn nullable(mut schema: Value) -> Value {
    if let Some(kind) = schema.get("type").cloned() {
        schema["type"] = json!([kind, "null"]);
    }
    schema
}

fn seats() -> Value {
    json!({ "type": "integer", "minimum": 1, "maximum": u32::MAX })
}

pub(super) fn schemas() -> Value {
    let mut all = core_schemas();
    if let Value::Object(map) = &mut all {
        map.extend(identity::schemas());
        map.extend(admin::schemas());
        map.extend(addons::schemas());
        map.extend(billing::schemas());
    }
    all
}

fn core_schemas() -> Value {
    let timestamp = json!({ "type": "string", "format": "date-time" });
    let nullable_timestamp = json!({ "type": ["string", "null"], "format": "date-time" });
    let expiry = json!({
        "type": ["string", "null"], "format": "date-time",
        "description": "When the key stops working; in the future (422 otherwise). Omitted or null: never."
    });
    let decision_codes: Vec<_> = tollgate_domain::DecisionCode::ALL.iter().map(|c| c.as_str()).collect();
    let problem_codes: Vec<_> = ProblemCode::ALL.iter().map(|code| code.as_str()).collect();
    let problem_table: Vec<_> = ProblemCode::ALL
        .iter()
        .map(|code| code.spec())
        .map(|spec| json!({ "code": spec.code, "status": spec.status, "title": spec.en }))
        .collect();
    json!({
        "Money": {
            "type": "object", "required": ["amount", "currency"],
            "properties": {
                "amount": { "type": "string", "description": "A decimal string, never a float.", "example": "45.00" },
                "currency": { "type": "string", "description": "ISO 4217 code.", "example": "USD" }
            }
        },
        "Limit": {
            "type": "object", "required": ["reset"],
            "properties": {
                "max": { "type": ["integer", "null"], "minimum": 0, "description": "null: unlimited" },
                "reset": { "enum": ["never", "day", "month", "billing_period"] },
                "enforcement": { "enum": ["hard", "soft"], "default": "hard" }
            }
        },
        "RateLimit": {
            "type": "object", "required": ["per_minute", "burst"], "additionalProperties": false,
            "description": "How fast the account's users and account keys may call the API (GCRA, per \
                            instance: see the README). Absent: no limit.",
            "properties": {
                "per_minute": { "type": "integer", "minimum": 1, "maximum": 1_000_000, "description": "Requests per minute, sustained." },
                "burst": { "type": "integer", "minimum": 1, "maximum": 1_000_000, "description": "Requests that may arrive at once." }
            }
        },
        "Plan": {
            "type": "object",
            "required": ["code", "name", "price", "interval", "trial_days", "per_seat", "active", "features", "limits", "version"],
            "properties": {
                "code": { "type": "string" }, "name": { "type": "string" }, "description": { "type": "string" },
                "price": schema("Money"), "interval": { "enum": ["month", "year"] },
                "trial_days": { "type": "integer", "minimum": 0 }, "per_seat": { "type": "boolean" },
                "active": { "type": "boolean" },
                "features": { "type": "object", "additionalProperties": { "type": "boolean" } },
                "limits": { "type": "object", "additionalProperties": schema("Limit") },
                "rate_limit": schema("RateLimit"),
                "addons": {
                    "type": "array", "items": { "type": "string", "pattern": PLAN_CODE },
                    "description": "The codes of the catalog add-ons subscribers may buy; absent: none."
                },
                "version": { "type": "integer", "minimum": 1 }
            }
        },
        "PlanList": {
            "type": "object", "required": ["data", "next_cursor"],
            "properties": { "data": { "type": "array", "items": schema("Plan") }, "next_cursor": { "type": ["string", "null"] } }
        },
        "CreateAccount": {
            "type": "object", "required": ["key", "name"], "additionalProperties": false,
            "properties": {
                "key": { "type": "string", "pattern": ACCOUNT_KEY },
                "name": name(),
                "email": nullable(json!({
                    "type": "string", "maxLength": 254, "pattern": EMAIL,
                    "description": "Checked for shape only: one @, a dotted domain, printable ASCII."
                })),
                "plan": nullable(plan_code("Omitted or null: the configured default plan.")),
                "seats": nullable(seats())
            }
        },
        "Subscription": {
            "type": "object",
            "properties": {
                "plan": { "type": "string" }, "plan_version": { "type": "integer" },
                "status": { "enum": ["trialing", "active", "past_due", "suspended", "cancelled", "expired"] },
                "seats": { "type": "integer" }, "started_at": timestamp,
                "current_period_start": nullable_timestamp, "current_period_end": nullable_timestamp,
                "trial_ends_at": nullable_timestamp, "cancel_at_period_end": { "type": "boolean" },
                "ended_at": nullable_timestamp,
                "scheduled_change": {
                    "description": "A change waiting for the period's end (a downgrade), or null.",
                    "oneOf": [{ "type": "null" }, {
                        "type": "object", "required": ["plan", "plan_version", "interval", "seats", "at"],
                        "properties": {
                            "plan": { "type": "string" }, "plan_version": { "type": "integer" },
                            "interval": { "enum": ["month", "year"] }, "seats": { "type": "integer" },
                            "at": { "type": "string", "format": "date-time" }
                        }
                    }]
                }
            }
        },
        "Account": {
            "type": "object", "required": ["key", "name", "created_at", "subscription"],
            "properties": {
                "key": { "type": "string" }, "name": { "type": "string" },
                "email": { "type": ["string", "null"] }, "created_at": timestamp,
                "subscription": { "oneOf": [schema("Subscription"), { "type": "null" }] }
            }
        },
        "UpdateSubscription": {
            "type": "object", "additionalProperties": false,
            "properties": {
                "plan": nullable(plan_code("The new plan; omitted or null: unchanged.")),
                "seats": nullable(seats()),
                "interval": nullable(json!({
                    "enum": ["month", "year"],
                    "description": "A check: the plan's own billing interval (another interval is another plan)."
                })),
                "at": nullable(json!({
                    "enum": ["now", "period_end"],
                    "description": "When the change applies. Default: an upgrade now (prorated charge), a \
                                    downgrade at period end; `now` for a downgrade gives a credit."
                }))
            }
        },
        "Cancel": {
            "type": "object", "required": ["at_period_end"], "additionalProperties": false,
            "properties": { "at_period_end": { "type": "boolean" } }
        },
        "Check": {
            "description": "Either metric and quantity, or feature.",
            "oneOf": [
                {
                    "type": "object", "required": ["metric", "quantity"], "additionalProperties": false,
                    "properties": { "metric": name_rule("The metric."), "quantity": quantity() }
                },
                {
                    "type": "object", "required": ["feature"], "additionalProperties": false,
                    "properties": { "feature": name_rule("The feature.") }
                }
            ]
        },
        "UsageRequest": {
            "type": "object", "required": ["metric", "quantity"], "additionalProperties": false,
            "properties": {
                "metric": name_rule("The metric."),
                "quantity": quantity()
            }
        },
        "Upgrade": {
            "type": "object",
            "properties": { "plan": { "type": "string" }, "name": { "type": "string" }, "limit": { "type": ["integer", "null"] } }
        },
        "Decision": {
            "type": "object", "required": ["allowed", "code", "message"],
            "properties": {
                "allowed": { "type": "boolean" }, "code": { "enum": decision_codes },
                "metric": { "type": "string" }, "feature": { "type": "string" },
                "used": { "type": ["integer", "null"] }, "limit": { "type": ["integer", "null"] },
                "remaining": { "type": ["integer", "null"] }, "resets_at": nullable_timestamp,
                "message": { "type": "string" },
                "upgrade": { "oneOf": [schema("Upgrade"), { "type": "null" }] }
            }
        },
        "Period": {
            "type": "object", "properties": { "start": timestamp, "end": timestamp }
        },
        "UsageLine": {
            "type": "object",
            "properties": {
                "metric": { "type": "string" }, "current": { "type": "integer" },
                "max": { "type": ["integer", "null"] }, "percentage": { "type": ["number", "null"] },
                "available": { "type": ["integer", "null"] }, "resets_at": nullable_timestamp
            }
        },
        "UsageReport": {
            "type": "object",
            "properties": {
                "account": { "type": "string" },
                "period": { "oneOf": [schema("Period"), { "type": "null" }] },
                "metrics": { "type": "object", "additionalProperties": schema("UsageLine") }
            }
        },
        "CreateApiKey": {
            "type": "object", "required": ["name"], "additionalProperties": false,
            "properties": {
                "name": name(), "role": { "enum": ["admin", "service", "enforce"], "default": "service" },
                "expires_at": expiry
            }
        },
        "CreateAccountApiKey": {
            "type": "object", "required": ["name", "scopes"], "additionalProperties": false,
            "properties": {
                "name": name(),
                "scopes": { "type": "array", "minItems": 1, "items": schema("Scope"),
                            "description": "enforce: check, consume, release, usage; read: every GET of the account; manage: what an account admin may do." },
                "expires_at": expiry
            }
        },
        "Scope": { "enum": ["enforce", "read", "manage"] },
        "ApiKey": {
            "type": "object", "required": ["id", "name", "account", "prefix", "created_at"],
            "properties": {
                "id": { "type": "string" }, "name": { "type": "string" },
                "role": { "enum": ["admin", "service", "enforce"], "description": "A platform key's role." },
                "account": { "type": ["string", "null"], "description": "An account key's account; null for a platform key." },
                "scopes": { "type": "array", "items": schema("Scope"), "description": "An account key's scopes." },
                "prefix": { "type": "string" }, "created_at": timestamp, "expires_at": nullable_timestamp,
                "revoked_at": nullable_timestamp,
                "last_used_at": { "type": ["string", "null"], "format": "date-time", "description": "To about a minute." }
            }
        },
        "CreatedApiKey": {
            "allOf": [schema("ApiKey"), {
                "type": "object", "required": ["secret"],
                "properties": { "secret": { "type": "string", "description": "tg_…, shown only once." } }
            }]
        },
        "ApiKeyList": {
            "type": "object", "required": ["data", "next_cursor"],
            "properties": { "data": { "type": "array", "items": schema("ApiKey") }, "next_cursor": { "type": ["string", "null"] } }
        },
        "Health": {
            "type": "object", "properties": { "status": { "type": "string" }, "checks": { "type": "object" } }
        },
        "OpenApi": { "type": "object" },
        "Problem": {
            "type": "object", "required": ["type", "title", "status", "detail", "code"],
            "description": "RFC 9457 problem details. Extra members carry specifics, such as `param`. \
                            `title` and `detail` follow Accept-Language (en by default, fr; the \
                            Content-Language header says which); `type`, `status`, `code` and `param` \
                            do not.",
            "properties": {
                "type": { "type": "string", "format": "uri" }, "title": { "type": "string" },
                "status": { "type": "integer" }, "detail": { "type": "string" },
                "code": { "enum": problem_codes },
                "param": { "type": "string", "description": "The offending field or header." }
            },
            "x-problem-codes": problem_table
        }
    })
}
