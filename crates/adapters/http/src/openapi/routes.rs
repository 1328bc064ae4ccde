//! The route table, by theme, and the lookups the middleware and the router make in it.

pub(super) mod addons;
pub(super) mod admin;
pub(super) mod billing;
pub(super) mod core;
pub(super) mod identity;

use std::collections::HashMap;
use std::sync::LazyLock;

use super::table::{Access, RouteDoc};

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

/// Every route the API serves: the table of each theme, in order.
pub static ROUTES: LazyLock<Vec<RouteDoc>> = LazyLock::new(|| {
    [core::ROUTES, identity::ROUTES, billing::ROUTES, addons::ROUTES, admin::ROUTES].concat()
});
