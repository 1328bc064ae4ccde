//! Authentication, failing closed, from the route table's policy.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use super::route::{Matched, matched_route, path_segment};
use tollgate_domain::{AccountKey, Caller};

use crate::HttpState;
use crate::auth::{Refusal, bearer};
use crate::openapi::{self, Access};
use crate::problem::{ApiError, Detail, ProblemCode};

/// Whether `path` (percent-decoded) is under the versioned API, where nothing is public unless
/// its route says so.
fn under_api(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
}

/// Authenticates every request that is not explicitly public, failing closed. A request goes
/// through without a credential only when its route's entry says `Public` (or, for a method its
/// path does not serve, when every route of the path is public: the answer is a 405), or when it
/// matches no route outside `/v1` (the answer is a 404). Everything else needs a valid key (401
/// otherwise) and the access its entry says (403, or 404 for an account the caller may not see);
/// the [`Caller`] goes into the request's extensions, where handlers take it from.
pub(crate) async fn authenticate(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Matched { pattern, doc } = matched_route(&req);
    let public = match (doc, pattern.as_deref()) {
        (Some(doc), _) => doc.access == Access::Public,
        // A method the path does not serve: its answer is a 405, public where the path is.
        (None, Some(pattern)) => openapi::public_path(pattern),
        (None, None) => !under_api(req.match_info().as_str()),
    };
    if public {
        return next.call(req).await;
    }
    let Some(state) = req.app_data::<web::Data<HttpState>>().cloned() else {
        return Ok(req.error_response(ApiError::internal("the HTTP state is not registered")));
    };
    let authorization = req.headers().get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or(""));
    let credential = match bearer(authorization) {
        Ok(credential) => credential,
        Err(refusal) => return Ok(req.error_response(ApiError::unauthorized(refusal))),
    };
    match state.tollgate.authenticate(credential).await {
        Ok(Some(caller)) => {
            if let Some(doc) = doc
                && let Err(problem) = permit(&state, &req, pattern.as_deref(), &caller, doc.access).await
            {
                return Ok(req.error_response(problem));
            }
            req.extensions_mut().insert(caller);
            next.call(req).await
        }
        Ok(None) => {
            let refusal =
                if tollgate_app::is_jwt(credential) { Refusal::InvalidToken } else { Refusal::Unknown };
            Ok(req.error_response(ApiError::unauthorized(refusal)))
        }
        Err(error) => Ok(req.error_response(ApiError::app(error))),
    }
}

/// Whether `caller` may call a route with `access`: the platform routes by the caller's kind,
/// the account routes by the app's one policy ([`tollgate_app::Tollgate::authorize`]) on the
/// path's account.
async fn permit(
    state: &HttpState,
    req: &ServiceRequest,
    pattern: Option<&str>,
    caller: &Caller,
    access: Access,
) -> Result<(), ApiError> {
    match access {
        Access::Public | Access::Caller => Ok(()),
        Access::Platform if caller.is_platform_service() => Ok(()),
        Access::Admin if caller.is_platform_admin() => Ok(()),
        Access::Platform => Err(ApiError::new(ProblemCode::Forbidden, Detail::PlatformOnly)),
        Access::Admin => Err(ApiError::new(ProblemCode::Forbidden, Detail::AdminOnly)),
        Access::Account(right) => {
            // A key that is not well formed names no account: the handler answers 404.
            let path = req.match_info().as_str();
            let key = pattern.and_then(|pattern| path_segment(pattern, path, "key"));
            let Some(key) = key.and_then(|k| AccountKey::parse(k).ok()) else {
                return Ok(());
            };
            state.tollgate.authorize(caller, &key, right).await.map_err(ApiError::app)
        }
    }
}
