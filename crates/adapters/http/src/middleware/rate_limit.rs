//! Rate limits, after authentication: the app counts the request against its caller's limit
//! ([`tollgate_app::Tollgate::rate_limit`]); past it the answer is 429 `rate_limited` with
//! `Retry-After`, and every answer to a limited caller carries `RateLimit-Limit` (requests per
//! minute), `RateLimit-Remaining` (requests that may be sent now) and `RateLimit-Reset` (seconds
//! until the whole burst is back), as the IETF draft on rate limit headers reads them.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use tollgate_app::RateStatus;
use tollgate_domain::Caller;

use super::route::{matched_route, path_account};
use crate::HttpState;
use crate::openapi::Access;
use crate::problem::{ApiError, Detail, ProblemCode};

const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// Counts every authenticated request of a caller that can be limited (see the module). A
/// request without a caller (a public route) or of a caller nothing limits goes on untouched: a
/// platform key while `server.rate_limit_per_minute` is 0 costs one look at the request's
/// extensions, no lock and no lookup.
pub(crate) async fn rate_limit(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<HttpState>>().cloned() else {
        return next.call(req).await;
    };
    let Some(caller) = limited_caller(&req, &state) else {
        return next.call(req).await;
    };
    // The path's account counts only on an account route (`{key}` is then the account).
    let matched = matched_route(&req);
    let on_account = matched.doc.is_some_and(|doc| matches!(doc.access, Access::Account(_)));
    let path_account = if on_account { path_account(&req, &matched) } else { None };
    let status = match state.tollgate.rate_limit(&caller, path_account).await {
        Ok(Some(status)) => status,
        Ok(None) => return next.call(req).await,
        Err(error) => return Ok(req.error_response(ApiError::app(error))),
    };
    if !status.allowed {
        let problem = ApiError::new(ProblemCode::RateLimited, Detail::RateLimited(status.retry_after))
            .retry_after(status.retry_after);
        let mut response = req.error_response(problem);
        describe(response.headers_mut(), status);
        return Ok(response);
    }
    // Handlers' and extractors' errors are responses by now; an `Err` (none of ours) goes out
    // bare, since the request cannot be kept to answer it here (routing needs it unshared).
    let mut response = next.call(req).await?;
    describe(response.headers_mut(), status);
    Ok(response)
}

/// The request's caller when something may limit it.
fn limited_caller(req: &ServiceRequest, state: &HttpState) -> Option<Caller> {
    let extensions = req.extensions();
    let caller = extensions.get::<Caller>()?;
    state.tollgate.may_rate_limit(caller).then(|| caller.clone())
}

/// The `RateLimit-*` headers of `status`.
fn describe(headers: &mut HeaderMap, status: RateStatus) {
    headers.insert(LIMIT, HeaderValue::from(status.limit));
    headers.insert(REMAINING, HeaderValue::from(status.remaining));
    headers.insert(RESET, HeaderValue::from(status.reset));
}
