//! The route a request matched, resolved once for every middleware and handler.

use std::rc::Rc;

use actix_web::HttpMessage;
use actix_web::dev::ServiceRequest;

use crate::openapi::{self, RouteDoc};

/// The route a request matched, resolved once per request (resolving walks the route table;
/// when each middleware did it, it cost a third of a check's CPU).
///
/// It is resolved on the percent-decoded path the router dispatches on, not the raw one: a
/// request whose raw path names no route (`/v1/%61ccounts`) must not pass for unmatched while
/// the router sends it to a handler.
#[derive(Clone)]
pub(crate) struct Matched {
    /// The pattern (`/v1/accounts/{key}/check`), or `None` when no route matches.
    pub(crate) pattern: Option<Rc<str>>,
    /// The route's entry in [`ROUTES`](crate::openapi::ROUTES) for this method, when the pattern
    /// serves it.
    pub(crate) doc: Option<&'static RouteDoc>,
}

/// The route `req` matched (see [`Matched`]).
pub(crate) fn matched_route(req: &ServiceRequest) -> Matched {
    if let Some(matched) = req.extensions().get::<Matched>() {
        return matched.clone();
    }
    let pattern: Option<Rc<str>> =
        req.resource_map().match_pattern(req.match_info().as_str()).map(Into::into);
    let doc = pattern.as_deref().and_then(|p| openapi::policy(req.method().as_str(), p));
    let matched = Matched { pattern, doc };
    req.extensions_mut().insert(matched.clone());
    matched
}

/// The `{name}` segment of `path`, a path that matched `pattern`. The router fills a request's
/// match info only once the app-wide middleware has run, so the middleware reads the segment
/// itself (before, the account of an account-scoped route was never found there, and the route
/// went unauthorized); the path matched the pattern, so their segments line up.
pub(crate) fn path_segment<'a>(pattern: &str, path: &'a str, name: &str) -> Option<&'a str> {
    let wanted = format!("{{{name}}}");
    let index = pattern.split('/').position(|segment| segment == wanted)?;
    path.split('/').nth(index)
}
