//! Route registration: every route of the table with its handler.

mod account_addons;
mod accounts;
mod addons;
mod admin;
mod admin_users;
mod api_keys;
mod auth;
mod billing;
mod enforcement;
mod me;
mod members;
mod ops;
mod plans;
mod views;

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
        "list_addons" => route.to(addons::list),
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
        "create_account_api_key" => route.to(api_keys::create_for_account),
        "list_account_api_keys" => route.to(api_keys::list_for_account),
        "revoke_account_api_key" => route.to(api_keys::revoke_for_account),
        "suspend_account" => route.to(accounts::suspend),
        "activate_account" => route.to(accounts::activate),
        "mark_account_past_due" => route.to(accounts::past_due),
        "register" => route.to(auth::register),
        "login" => route.to(auth::login),
        "refresh" => route.to(auth::refresh),
        "logout" => route.to(auth::logout),
        "forgot_password" => route.to(auth::forgot_password),
        "reset_password" => route.to(auth::reset_password),
        "verify_email" => route.to(auth::verify_email),
        "accept_invitation" => route.to(auth::accept_invitation),
        "me" => route.to(me::me),
        "list_sessions" => route.to(me::sessions),
        "revoke_session" => route.to(me::revoke_session),
        "resend_verification" => route.to(me::resend_verification),
        "begin_totp" => route.to(me::begin_totp),
        "confirm_totp" => route.to(me::confirm_totp),
        "disable_totp" => route.to(me::disable_totp),
        "list_members" => route.to(members::list),
        "add_member" => route.to(members::add),
        "change_member_role" => route.to(members::change_role),
        "remove_member" => route.to(members::remove),
        "list_admin_accounts" => route.to(admin::accounts),
        "list_admin_users" => route.to(admin_users::list),
        "revoke_user_sessions" => route.to(admin_users::revoke_sessions),
        "delete_user" => route.to(admin_users::delete),
        "impersonate_user" => route.to(admin_users::impersonate),
        "admin_stats" => route.to(admin::stats),
        "list_audit_events" => route.to(admin::audit),
        "list_accounts_over_limits" => route.to(admin::over_limits),
        "put_plan" => route.to(admin::put_plan),
        "archive_plan" => route.to(admin::archive_plan),
        "put_addon" => route.to(addons::put),
        "preview_subscription_change" => route.to(billing::preview),
        "set_payment_method" => route.to(billing::set_payment_method),
        "list_invoices" => route.to(billing::invoices),
        "get_invoice" => route.to(billing::invoice),
        "pay_invoice" => route.to(billing::pay),
        "create_checkout" => route.to(billing::checkout),
        "receive_webhook" => route.to(billing::webhook),
        "list_account_addons" => route.to(account_addons::list),
        "buy_addon" => route.to(account_addons::buy),
        "remove_addon" => route.to(account_addons::remove),
        _ => return None,
    })
}

/// Registers every route of [`ROUTES`], one resource per path with a route per method; what
/// each route requires is applied by the middleware from the same table.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    let mut paths: Vec<&str> = Vec::new();
    for doc in ROUTES.iter() {
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
