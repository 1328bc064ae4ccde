//! Route registration: every route of the table with its handler.

mod accounts;
mod api_keys;
mod decision;
mod enforcement;
mod ops;
mod plans;

use actix_web::http::Method;
use actix_web::{Route, web};

use crate::openapi::{ROUTES, RouteDoc};

/// The methods [`crate::openapi::ROUTES`] declares for a route pattern, uppercase.
pub(crate) fn declared_methods(pattern: Option<&str>) -> Vec<String> {
    pattern.map_or_else(Vec::new, |pattern| {
        crate::openapi::routes_of(pattern).map(|route| route.method.to_ascii_uppercase()).collect()
    })
}

/// A resource whose other methods answer 405 as a problem.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(ops::method_not_allowed))
}

/// The handler of an operation of [`ROUTES`], by its id; `None` for an id without one (a test
/// requests every route of the table, so a missing handler cannot go unnoticed).
fn endpoint(doc: &RouteDoc) -> Option<Route> {
    let method = Method::from_bytes(doc.method.to_ascii_uppercase().as_bytes()).ok()?;
    let route = web::method(method);
    Some(match doc.operation_id {
        "live" => route.to(ops::live),
        "ready" => route.to(ops::ready),
        "metrics" => route.to(ops::metrics),
        "openapi" => route.to(ops::openapi),
        "list_plans" => route.to(plans::list),
        "get_plan" => route.to(plans::get),
        "create_account" => route.to(accounts::create),
        "get_account" => route.to(accounts::get),
        "get_subscription" => route.to(accounts::subscription),
        "change_subscription" => route.to(accounts::change_subscription),
        "cancel_subscription" => route.to(accounts::cancel),
        "resume_subscription" => route.to(accounts::resume),
        "check" => route.to(enforcement::check),
        "consume" => route.to(enforcement::consume),
        "release" => route.to(enforcement::release),
        "usage" => route.to(enforcement::usage),
        "create_api_key" => route.to(api_keys::create),
        "list_api_keys" => route.to(api_keys::list),
        "revoke_api_key" => route.to(api_keys::revoke),
        "suspend_account" => route.to(accounts::suspend),
        "activate_account" => route.to(accounts::activate),
        "mark_account_past_due" => route.to(accounts::past_due),
        _ => return None,
    })
}

/// Registers every route of [`ROUTES`], one resource per path with a route per method; what
/// each route requires is applied by the middleware from the same table.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    let mut paths: Vec<&str> = Vec::new();
    for doc in ROUTES {
        if !paths.contains(&doc.path) {
            paths.push(doc.path);
        }
    }
    for path in paths {
        let mut resource = resource(path);
        for doc in ROUTES.iter().filter(|d| d.path == path) {
            match endpoint(doc) {
                Some(route) => resource = resource.route(route),
                None => tracing::error!(operation = doc.operation_id, "a route of the table has no handler"),
            }
        }
        cfg.service(resource);
    }
    cfg.default_service(web::to(ops::not_found));
}
