//! API keys: create (the secret is shown once), list, revoke. Admin only.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tollgate_domain::Name;

use crate::HttpState;
use tollgate_domain::{ApiKey, Role};

use crate::auth::{display_prefix, generate_secret, hash_secret};
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
    id: String,
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
    let name = Name::parse(&body.name)
        .map_err(|invalid| ApiError::new(ProblemCode::ValidationFailed, Detail::Rule(invalid)).param("name"))?
        .into_string();
    let secret = generate_secret().map_err(ApiError::internal)?;
    let key = ApiKey {
        id: state.ids.generate("key"),
        name,
        role: body.role,
        prefix: display_prefix(secret.expose()),
        secret_hash: hash_secret(secret.expose()),
        created_at: state.clock.now(),
        revoked_at: None,
    };
    state.auth.keys().insert(&key).await.map_err(ApiError::store)?;
    tracing::info!(key_id = %key.id, role = key.role.as_str(), "api key created");
    let created = CreatedKey { key: key.into(), secret: secret.expose().to_owned() };
    Ok(HttpResponse::Created().json(created))
}

pub(crate) async fn list(
    state: web::Data<HttpState>,
    _admin: Admin,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let keys = state
        .auth
        .keys()
        .list(page.cursor.as_deref(), page.limit as u32 + 1)
        .await
        .map_err(ApiError::store)?;
    let keys: Vec<KeyView> = keys.into_iter().map(KeyView::from).collect();
    Ok(HttpResponse::Ok().json(page.answer(keys, |k| k.id.clone())))
}

pub(crate) async fn revoke(
    state: web::Data<HttpState>,
    _admin: Admin,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let revoked = state.auth.keys().revoke(&id, state.clock.now()).await.map_err(ApiError::store)?;
    match revoked {
        Some(key) => {
            state.auth.revoked(&key);
            tracing::info!(key_id = %key.id, "api key revoked");
            Ok(HttpResponse::Ok().json(KeyView::from(key)))
        }
        None => Err(ApiError::new(ProblemCode::ApiKeyNotFound, Detail::ApiKeyNotFound)),
    }
}
