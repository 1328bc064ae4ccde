//! The schemas of add-ons: the catalog's as listed and as an admin publishes them, and those an
//! account buys and holds.

use serde_json::{Map, Value, json};

use super::PLAN_CODE;
use crate::openapi::schema;

/// The add-on schemas, by name.
pub(super) fn schemas() -> Map<String, Value> {
    let value = json!({
        "AddOnLimit": {
            "type": "object", "required": ["max"], "additionalProperties": false,
            "properties": { "max": { "type": "integer", "minimum": 0, "description": "Added to the plan's max per unit bought." } }
        },
        "AddOn": {
            "type": "object", "required": ["code", "name", "price", "interval", "limits", "features"],
            "properties": {
                "code": { "type": "string", "pattern": PLAN_CODE }, "name": { "type": "string" },
                "price": schema("Money"), "interval": { "enum": ["month", "year"] },
                "limits": { "type": "object", "additionalProperties": schema("AddOnLimit") },
                "features": { "type": "object", "additionalProperties": { "type": "boolean" } }
            }
        },
        "AddOnList": {
            "type": "object", "required": ["data", "next_cursor"],
            "properties": { "data": { "type": "array", "items": schema("AddOn") }, "next_cursor": { "type": ["string", "null"] } }
        },
        "BuyAddOn": {
            "type": "object", "required": ["addon", "quantity"], "additionalProperties": false,
            "properties": {
                "addon": { "type": "string", "pattern": PLAN_CODE, "description": "An add-on of the catalog the account's plan allows." },
                "quantity": { "type": "integer", "minimum": 1, "maximum": 1000, "description": "The units to hold (replaces the quantity held)." }
            }
        },
        "AccountAddOn": {
            "type": "object", "required": ["addon", "quantity", "limits", "features"],
            "properties": {
                "addon": { "type": "string" }, "quantity": { "type": "integer", "minimum": 1 },
                "limits": { "type": "object", "additionalProperties": { "type": "integer", "minimum": 0 },
                            "description": "Added to the plan's max per unit held, as the terms said when bought." },
                "features": { "type": "array", "items": { "type": "string" } }
            }
        },
        "AccountAddOnList": {
            "type": "object", "required": ["data", "next_cursor"],
            "properties": { "data": { "type": "array", "items": schema("AccountAddOn") }, "next_cursor": { "type": "null" } }
        },
        "AddOnPurchase": {
            "type": "object", "required": ["add_ons", "invoice"],
            "properties": {
                "add_ons": { "type": "array", "items": schema("AccountAddOn") },
                "invoice": { "oneOf": [schema("Invoice"), { "type": "null" }],
                             "description": "The units added, prorated for the rest of the period; null when nothing is charged." }
            }
        },
        "AddOnTerms": {
            "type": "object", "required": ["name", "price", "interval"], "additionalProperties": false,
            "description": "An add-on's JSON; `code`, when given, must be the path's. At least one limit or feature.",
            "anyOf": [
                { "required": ["limits"], "properties": { "limits": { "minProperties": 1 } } },
                { "required": ["features"], "properties": { "features": { "minProperties": 1 } } }
            ],
            "properties": {
                "code": { "type": "string", "pattern": PLAN_CODE }, "name": super::name(),
                "price": schema("Money"), "interval": { "enum": ["month", "year"] },
                "limits": { "type": "object", "additionalProperties": schema("AddOnLimit") },
                "features": { "type": "object", "additionalProperties": { "type": "boolean" } }
            }
        }
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
