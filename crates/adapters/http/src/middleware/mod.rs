//! The middleware around every route, outermost first: [`observe`] (request id, span, metrics),
//! the problems' localisation, [`authenticate`], [`rate_limit`], [`idempotency`], then the router.

mod authenticate;
mod idempotency;
mod observe;
mod rate_limit;
mod route;

pub(crate) use self::authenticate::authenticate;
pub(crate) use self::idempotency::middleware as idempotency;
pub(crate) use self::observe::observe;
pub use self::observe::{REQUEST_ID, RequestId};
pub(crate) use self::rate_limit::rate_limit;
pub(crate) use self::route::Matched;
