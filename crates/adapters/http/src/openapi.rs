//! The OpenAPI 3.1 document, written by hand from one table of routes ([`ROUTES`]) so that every
//! served route is described (a test requests each one and checks it is routed).

mod schemas;

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use self::schemas::{cursor_schema, idempotency_key_schema, path_parameter_schema, schemas};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// Any valid API key.
    Key,
    /// An admin API key.
    Admin,
}

/// What a route does with the `Idempotency-Key` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Not a mutation: the header is not read.
    None,
    /// Optional; the first response is recorded and replayed (the idempotency middleware).
    Recorded,
    /// Optional and validated, but nothing is recorded: the route changes nothing (`check`).
    Accepted,
    /// Required (400 without it); the usage ledger itself makes the route exactly-once
    /// (`consume`, `release`: the handler takes the key).
    Ledger,
}

/// One operation of the API.
#[derive(Debug, Clone, Copy)]
pub struct RouteDoc {
    /// The HTTP method, lowercase.
    pub method: &'static str,
    /// The path template.
    pub path: &'static str,
    /// A unique operation id.
    pub operation_id: &'static str,
    /// One line.
    pub summary: &'static str,
    /// The group.
    pub tag: &'static str,
    /// Who may call it.
    pub access: Access,
    /// The `Idempotency-Key` header.
    pub idempotency: Idempotency,
    /// The request body schema.
    pub request: Option<&'static str>,
    /// The success status.
    pub status: u16,
    /// The success body schema (`None`: `text/plain`).
    pub response: Option<&'static str>,
}

const fn route(
    method: &'static str,
    path: &'static str,
    operation_id: &'static str,
    summary: &'static str,
    tag: &'static str,
    access: Access,
) -> RouteDoc {
    RouteDoc {
        method,
        path,
        operation_id,
        summary,
        tag,
        access,
        idempotency: Idempotency::None,
        request: None,
        status: 200,
        response: None,
    }
}

impl RouteDoc {
    const fn body(mut self, schema: &'static str, idempotency: Idempotency) -> Self {
        self.request = Some(schema);
        self.idempotency = idempotency;
        self
    }

    const fn returns(mut self, status: u16, schema: &'static str) -> Self {
        self.status = status;
        self.response = Some(schema);
        self
    }

    const fn idempotent(mut self) -> Self {
        self.idempotency = Idempotency::Recorded;
        self
    }
}

/// The routes of the table on `path`, one per method.
pub fn routes_of(path: &str) -> impl Iterator<Item = &'static RouteDoc> + '_ {
    ROUTES.iter().filter(move |r| r.path == path)
}

/// Whether every route of `path` is public (a path of the table).
pub fn public_path(path: &str) -> bool {
    let mut routes = routes_of(path).peekable();
    routes.peek().is_some() && routes.all(|r| r.access == Access::Public)
}

/// The route a request's method and matched pattern name, if any: the policy (access,
/// idempotency) the middleware applies comes from here, nowhere else.
pub fn policy(method: &str, pattern: &str) -> Option<&'static RouteDoc> {
    static INDEX: LazyLock<HashMap<(&'static str, &'static str), &'static RouteDoc>> =
        LazyLock::new(|| ROUTES.iter().map(|r| ((r.method, r.path), r)).collect());
    // The table spells methods in lowercase; the methods it serves are these (no allocation on
    // the hot path). Any other method names no route of the table.
    let method = match method {
        "GET" => "get",
        "POST" => "post",
        "PUT" => "put",
        "PATCH" => "patch",
        "DELETE" => "delete",
        _ => return None,
    };
    INDEX.get(&(method, pattern)).copied()
}

use Access::{Admin, Key, Public};
use Idempotency::{Accepted, Ledger, Recorded};

/// Every route the API serves.
pub const ROUTES: &[RouteDoc] = &[
    route("get", "/health/live", "live", "Liveness: the process answers", "operations", Public)
        .returns(200, "Health"),
    route("get", "/health/ready", "ready", "Readiness: the database answers", "operations", Public)
        .returns(200, "Health"),
    route("get", "/metrics", "metrics", "Prometheus metrics (text exposition format)", "operations", Public),
    route("get", "/openapi.json", "openapi", "This document", "operations", Public).returns(200, "OpenApi"),
    route("get", "/v1/plans", "list_plans", "Active plans", "plans", Public).returns(200, "PlanList"),
    route("get", "/v1/plans/{code}", "get_plan", "One plan (its latest version)", "plans", Public)
        .returns(200, "Plan"),
    route("post", "/v1/accounts", "create_account", "Create an account on a plan", "accounts", Key)
        .body("CreateAccount", Recorded)
        .returns(201, "Account"),
    route("get", "/v1/accounts/{key}", "get_account", "An account with its subscription", "accounts", Key)
        .returns(200, "Account"),
    route("get", "/v1/accounts/{key}/subscription", "get_subscription", "The subscription", "accounts", Key)
        .returns(200, "Subscription"),
    route(
        "put",
        "/v1/accounts/{key}/subscription",
        "change_subscription",
        "Change plan or seats",
        "accounts",
        Key,
    )
    .body("UpdateSubscription", Recorded)
    .returns(200, "Subscription"),
    route(
        "post",
        "/v1/accounts/{key}/subscription/cancel",
        "cancel_subscription",
        "Cancel now or at period end",
        "accounts",
        Key,
    )
    .body("Cancel", Recorded)
    .returns(200, "Subscription"),
    route(
        "post",
        "/v1/accounts/{key}/subscription/resume",
        "resume_subscription",
        "Withdraw a cancellation scheduled at period end",
        "accounts",
        Key,
    )
    .idempotent()
    .returns(200, "Subscription"),
    route(
        "post",
        "/v1/accounts/{key}/check",
        "check",
        "May the account do this? Records nothing",
        "enforcement",
        Key,
    )
    .body("Check", Accepted)
    .returns(200, "Decision"),
    route(
        "post",
        "/v1/accounts/{key}/consume",
        "consume",
        "Record units only if allowed, atomically",
        "enforcement",
        Key,
    )
    .body("UsageRequest", Ledger)
    .returns(200, "Decision"),
    route("post", "/v1/accounts/{key}/release", "release", "Give units of a gauge back", "enforcement", Key)
        .body("UsageRequest", Ledger)
        .returns(200, "Decision"),
    route(
        "get",
        "/v1/accounts/{key}/usage",
        "usage",
        "Usage of every metric in its current window",
        "enforcement",
        Key,
    )
    .returns(200, "UsageReport"),
    route(
        "post",
        "/v1/api-keys",
        "create_api_key",
        "Create an API key (its secret is shown once)",
        "api-keys",
        Admin,
    )
    .body("CreateApiKey", Recorded)
    .returns(201, "CreatedApiKey"),
    route("get", "/v1/api-keys", "list_api_keys", "API keys, by id", "api-keys", Admin)
        .returns(200, "ApiKeyList"),
    route("delete", "/v1/api-keys/{id}", "revoke_api_key", "Revoke an API key", "api-keys", Admin)
        .returns(200, "ApiKey"),
    route(
        "post",
        "/v1/admin/accounts/{key}/suspend",
        "suspend_account",
        "Suspend the subscription: every decision answers subscription_suspended until activated",
        "admin",
        Admin,
    )
    .idempotent()
    .returns(200, "Subscription"),
    route(
        "post",
        "/v1/admin/accounts/{key}/activate",
        "activate_account",
        "Activate the subscription: lift a suspension, clear past due, or convert a trial",
        "admin",
        Admin,
    )
    .idempotent()
    .returns(200, "Subscription"),
    route(
        "post",
        "/v1/admin/accounts/{key}/past_due",
        "mark_account_past_due",
        "Record a payment that failed outside the gateway: the subscription is past due, decisions \
         stay allowed through billing.past_due_grace_days, then answer payment_required until activated",
        "admin",
        Admin,
    )
    .idempotent()
    .returns(200, "Subscription"),
];

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn problem_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/problem+json": { "schema": schema("Problem") } } })
}

fn operation(route: &RouteDoc) -> Value {
    let mut parameters = Vec::new();
    for segment in route.path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let description = match name {
                "key" => "The account's key: [A-Za-z0-9._:@-]{1,128}.",
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
    let success = match route.response {
        Some(name) => {
            json!({ "description": "Success", "content": { "application/json": { "schema": schema(name) } } })
        }
        None => {
            json!({ "description": "Success", "content": { "text/plain": { "schema": { "type": "string" } } } })
        }
    };
    let mut responses = Map::new();
    responses.insert(route.status.to_string(), success);
    if route.access != Access::Public {
        responses.insert("401".into(), problem_response("Missing or invalid credential (unauthorized)"));
    }
    if route.access == Access::Admin {
        responses.insert("403".into(), problem_response("Not an admin key (forbidden)"));
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
    for route in ROUTES {
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
                "bearer": { "type": "http", "scheme": "bearer", "description": "An API key (tg_…)." }
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
        for route in ROUTES {
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
