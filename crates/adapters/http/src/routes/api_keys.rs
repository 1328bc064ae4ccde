//! API keys: create (the secret is shown once), list, revoke. Admin only.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tollgate_domain::{ApiKey, ApiKeyId, Role};

use crate::HttpState;
use crate::body::Json;
use crate::extract::{Admin, Page};
use crate::problem::{ApiError, Detail, ProblemCode};

/// `POST /v1/api-keys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateKey {
    name: String,
    #[serde(default = "service")]
    role: Role,
}

fn service() -> Role {
    Role::Service
}

/// An API key as listed: never its secret nor its hash.
#[derive(Debug, Serialize)]
pub(crate) struct KeyView {
    id: ApiKeyId,
    name: String,
    role: Role,
    prefix: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    revoked_at: Option<OffsetDateTime>,
}

impl From<ApiKey> for KeyView {
    fn from(key: ApiKey) -> Self {
        Self {
            id: key.id,
            name: key.name,
            role: key.role,
            prefix: key.prefix,
            created_at: key.created_at,
            revoked_at: key.revoked_at,
        }
    }
}

/// A new key with its secret, shown this once (no `Debug`: the secret must never be logged).
#[derive(Serialize)]
struct CreatedKey {
    #[serde(flatten)]
    key: KeyView,
    secret: String,
}

pub(crate) async fn create(
    state: web::Data<HttpState>,
    _admin: Admin,
    Json(body): Json<CreateKey>,
) -> Result<HttpResponse, ApiError> {
    let (key, secret) = state.tollgate.create_api_key(&body.name, body.role).await?;
    let created = CreatedKey { key: key.into(), secret: secret.expose().to_owned() };
    Ok(HttpResponse::Created().json(created))
}

pub(crate) async fn list(
    state: web::Data<HttpState>,
    _admin: Admin,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    // Every cursor this list hands out is a key id; anything else is a bad cursor.
    let after =
        page.cursor.as_deref().map(ApiKeyId::parse).transpose().map_err(|_| {
            ApiError::new(ProblemCode::InvalidParameter, Detail::InvalidCursor).param("cursor")
        })?;
    let keys = state.tollgate.list_api_keys(after, page.limit as u32 + 1).await?;
    let keys: Vec<KeyView> = keys.into_iter().map(KeyView::from).collect();
    Ok(HttpResponse::Ok().json(page.answer(keys, |k| k.id.to_string())))
}

pub(crate) async fn revoke(
    state: web::Data<HttpState>,
    _admin: Admin,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // An id that is not well formed names no key.
    let id = ApiKeyId::parse(id.into_inner())
        .map_err(|_| ApiError::new(ProblemCode::ApiKeyNotFound, Detail::ApiKeyNotFound))?;
    let key = state.tollgate.revoke_api_key(&id).await?;
    Ok(HttpResponse::Ok().json(KeyView::from(key)))
}
