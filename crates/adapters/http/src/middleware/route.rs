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

/// The path's account, the `{key}` segment of the matched pattern. Middleware runs before the
/// router fills `match_info`, so it is read here from the pattern and the path the router
/// dispatches on; `None` when the pattern has no `{key}`.
pub(crate) fn path_account<'a>(req: &'a ServiceRequest, matched: &Matched) -> Option<&'a str> {
    path_param(matched.pattern.as_deref()?, req.match_info().as_str(), "{key}")
}

/// The segment of `path` where `pattern` has `placeholder` (patterns of the table have plain
/// `{name}` segments, one per slash).
fn path_param<'a>(pattern: &str, path: &'a str, placeholder: &str) -> Option<&'a str> {
    let index = pattern.split('/').position(|segment| segment == placeholder)?;
    let value = path.split('/').nth(index)?;
    (pattern.split('/').count() == path.split('/').count()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::path_param;

    #[test]
    fn a_path_parameter_is_the_segment_where_the_pattern_names_it() {
        let pattern = "/v1/accounts/{key}/check";
        assert_eq!(path_param(pattern, "/v1/accounts/acme/check", "{key}"), Some("acme"));
        assert_eq!(path_param("/v1/accounts/{key}", "/v1/accounts/a.b@c", "{key}"), Some("a.b@c"));
        assert_eq!(path_param(pattern, "/v1/accounts/acme/check", "{code}"), None);
        assert_eq!(path_param(pattern, "/v1/accounts/acme", "{key}"), None, "another shape");
        assert_eq!(path_param("/v1/me", "/v1/me", "{key}"), None);
    }
}
