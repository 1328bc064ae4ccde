//! Problems in the request's language: a problem response is written in English where it is
//! raised and written again here, once, in the language of the request's `Accept-Language`.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use tollgate_domain::Locale;

use super::Unlocalized;
use crate::request::request_locale;

/// Writes a problem response again in its request's language (`Accept-Language`), once; any other
/// response is returned as it is. Headers set since the problem was raised are kept.
pub fn localize(mut response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let Some(Unlocalized(problem)) = response.response_mut().extensions_mut().remove::<Unlocalized>() else {
        return response;
    };
    let locale = request_locale(response.request());
    if locale == Locale::En {
        return response;
    }
    let body = serde_json::to_vec(&problem.to_json(locale)).unwrap_or_default();
    response.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(locale.tag()));
    response.map_body(|_, _| BoxBody::new(body))
}

/// The middleware applying [`localize`] to every response of the application.
pub(crate) async fn localize_problems(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    next.call(req).await.map(localize)
}
