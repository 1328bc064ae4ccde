//! The OpenAPI 3.1 document, written by hand from one table of routes ([`ROUTES`]) so that every
//! served route is described (a test requests each one and checks it is routed).

mod routes;
mod schemas;
mod table;

use serde_json::{Map, Value, json};

pub use self::routes::{ROUTES, policy, public_path, routes_of};
use self::schemas::{
    cursor_schema, idempotency_key_schema, path_parameter_schema, query_parameters, schemas,
};
pub use self::table::{Access, Idempotency, RouteDoc};

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn problem_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/problem+json": { "schema": schema("Problem") } } })
}

/// The headers of an answer to a rate-limited caller (a plan's `rate_limit`, or a platform key
/// under `server.rate_limit_per_minute`); with `Retry-After` on a 429.
fn rate_limit_headers(refused: bool) -> Value {
    let integer = json!({ "type": "integer", "minimum": 0 });
    let mut headers = json!({
        "RateLimit-Limit": { "description": "Requests per minute of the caller's rate limit.", "schema": integer },
        "RateLimit-Remaining": { "description": "Requests that may be sent right now (at most the burst).", "schema": integer },
        "RateLimit-Reset": { "description": "Seconds until the whole burst is available again.", "schema": integer }
    });
    if refused {
        headers["Retry-After"] =
            json!({ "description": "Seconds until the next request is let through.", "schema": integer });
    }
    headers
}

fn operation(route: &RouteDoc) -> Value {
    let mut parameters = Vec::new();
    for segment in route.path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let description = match name {
                "key" => "The account's key: [A-Za-z0-9._:@-]{1,128}.",
                "code" if route.path.contains("/addons/") => "The add-on's code.",
                "code" => "The plan's code.",
                _ => "The identifier.",
            };
            parameters.push(json!({
                "name": name, "in": "path", "required": true, "description": description,
                "schema": path_parameter_schema(name)
            }));
        }
    }
    if route.idempotency != Idempotency::None {
        parameters.push(json!({
            "name": "Idempotency-Key", "in": "header",
            "required": route.idempotency == Idempotency::Ledger,
            "description": "1 to 255 printable ASCII characters. The same key and body within 24 h replays \
                            the first response; another body is 422 idempotency_key_reused; a key still \
                            in flight is 409 idempotency_key_in_use.",
            "schema": idempotency_key_schema()
        }));
    }
    let language = if matches!(route.operation_id, "check" | "consume" | "release") {
        "The language of the decision's message and of a problem's title and detail: en (default) or fr."
    } else {
        "The language of a problem's title and detail: en (default) or fr."
    };
    parameters.push(json!({
        "name": "Accept-Language", "in": "header", "required": false, "description": language,
        "schema": { "type": "string" }
    }));
    if route.operation_id.starts_with("list_") {
        parameters.push(json!({ "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100, "default": 20 } }));
        parameters.push(json!({ "name": "cursor", "in": "query", "schema": cursor_schema() }));
    }
    parameters.extend(query_parameters(route.operation_id));
    let success = match route.response {
        None if route.is_empty() => json!({ "description": "Done; no body" }),
        Some(name) => {
            json!({ "description": "Success", "content": { "application/json": { "schema": schema(name) } } })
        }
        None => {
            json!({ "description": "Success", "content": { "text/plain": { "schema": { "type": "string" } } } })
        }
    };
    let mut responses = Map::new();
    if route.access == Access::Public {
        responses.insert(route.status.to_string(), success);
    } else {
        let mut success = success;
        success["headers"] = rate_limit_headers(false);
        responses.insert(route.status.to_string(), success);
        responses.insert("401".into(), problem_response("Missing or invalid credential (unauthorized)"));
        let mut limited = problem_response("Past the caller's rate limit (rate_limited)");
        limited["headers"] = rate_limit_headers(true);
        responses.insert("429".into(), limited);
    }
    match route.access {
        Access::Admin | Access::Platform => {
            responses
                .insert("403".into(), problem_response("Not a platform admin or service key (forbidden)"));
        }
        Access::Caller => {
            responses.insert("403".into(), problem_response("Not a signed-in user (forbidden)"));
        }
        Access::Account(_) => {
            responses
                .insert("403".into(), problem_response("Sees the account but lacks the right (forbidden)"));
            responses
                .insert("404".into(), problem_response("No such account, or one the caller may not see"));
        }
        Access::Public => {}
    }
    responses.insert("default".into(), problem_response("A problem; `code` says which (see Problem)"));
    let mut op = json!({
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": parameters,
        "responses": responses,
        "security": if route.access == Access::Public { json!([]) } else { json!([{ "bearer": [] }]) },
    });
    if let Some(name) = route.request {
        op["requestBody"] =
            json!({ "required": true, "content": { "application/json": { "schema": schema(name) } } });
    }
    op
}

/// The OpenAPI document of every route in [`ROUTES`].
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES.iter() {
        let item = paths.entry(route.path.to_owned()).or_insert_with(|| json!({}));
        item[route.method] = operation(route);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Tollgate",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Subscription-plan enforcement: plans, accounts, subscriptions, and atomic \
                            check / consume / release of quota."
        },
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "An API key (tg_…) or a user's access token (a JWT from /v1/auth/login)." }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_describes_every_route_once_and_every_schema_it_references() {
        let doc = document();
        for route in ROUTES.iter() {
            assert!(doc["paths"][route.path][route.method].is_object(), "{} {}", route.method, route.path);
        }
        let ids: std::collections::BTreeSet<_> = ROUTES.iter().map(|r| r.operation_id).collect();
        assert_eq!(ids.len(), ROUTES.len(), "operation ids are unique");
        let text = doc.to_string();
        for reference in text.split("#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(doc["components"]["schemas"][name].is_object(), "schema {name} is defined");
        }
    }
}
