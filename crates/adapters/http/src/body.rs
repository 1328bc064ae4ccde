//! Request bodies: at most [`MAX_BODY`] bytes, JSON parsed with the path of any failing field.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::{Payload, ServiceRequest};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;

use crate::problem::{ApiError, Detail, ProblemCode, json_error};

/// The largest request body accepted: 64 KiB.
pub const MAX_BODY: usize = 64 * 1024;

fn too_large() -> ApiError {
    ApiError::new(ProblemCode::PayloadTooLarge, Detail::PayloadTooLarge(MAX_BODY / 1024))
}

async fn read_payload(req: &HttpRequest, payload: &mut Payload) -> Result<Bytes, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    Bytes::from_request(req, payload).await.map_err(|error| match error.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => too_large(),
        _ => ApiError::new(ProblemCode::MalformedBody, Detail::MalformedBody),
    })
}

/// Reads the whole body of a request in a middleware (the caller puts it back).
pub(crate) async fn read(req: &mut ServiceRequest) -> Result<Bytes, ApiError> {
    let (http_request, mut payload) = (req.request().clone(), req.take_payload());
    read_payload(&http_request, &mut payload).await
}

/// A JSON request body of type `T`: 413 past [`MAX_BODY`], 415 for a non-JSON content type,
/// 400 `malformed_json` for invalid JSON, 422 `invalid_body` naming the field for a wrong type,
/// an unknown or missing field, or an invalid value.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            if let Some(content_type) = req.headers().get(header::CONTENT_TYPE) {
                let essence = content_type.to_str().unwrap_or("").split(';').next().unwrap_or("").trim();
                let json = essence.eq_ignore_ascii_case("application/json")
                    || essence.to_ascii_lowercase().ends_with("+json");
                if !json {
                    return Err(ApiError::new(
                        ProblemCode::UnsupportedMediaType,
                        Detail::UnsupportedMediaType,
                    ));
                }
            }
            let bytes = read_payload(&req, &mut payload).await?;
            parse(&bytes).map(Json)
        })
    }
}

/// Parses a JSON document into `T`, reporting the path of any failing field.
///
/// # Errors
/// As [`Json`].
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Syntax first, so that any document that is not JSON is a 400 whatever its content; then
    // the shape, with the path of the failing field.
    let document: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::malformed_json(&e))?;
    // Every body of this API is an object: serde would also read a struct from an array of its
    // fields (`[null, null]` for two optional ones), which no client means.
    if !document.is_object() {
        return Err(ApiError::new(ProblemCode::InvalidBody, Detail::NotAnObject));
    }
    serde_path_to_error::deserialize(document).map_err(|e| json_error(&e))
}

/// A request body as sent, at most [`MAX_BODY`] bytes (413 past it): for what is verified over
/// its exact bytes, such as a signed webhook.
#[derive(Debug)]
pub struct RawBody(pub Bytes);

impl FromRequest for RawBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move { read_payload(&req, &mut payload).await.map(RawBody) })
    }
}
