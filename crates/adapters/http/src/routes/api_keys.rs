//! API keys: create (the secret is shown once), list, revoke. Platform keys by a platform admin;
//! an account's keys by those who manage the account (the route table's access says so).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tollgate_app::NewApiKey;
use tollgate_domain::{AccountKey, ApiKey, ApiKeyId, Role, Scope};

use crate::HttpState;
use crate::auth::Principal;
use crate::body::Json;
use crate::extract::{AccountPath, Admin, Page, RequestOrigin};
use crate::problem::{ApiError, Detail, ProblemCode};

/// `POST /v1/api-keys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateKey {
    name: String,
    #[serde(default = "service")]
    role: Role,
    #[serde(default, with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
}

fn service() -> Role {
    Role::Service
}

/// `POST /v1/accounts/{key}/api-keys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateAccountKey {
    name: String,
    scopes: Vec<Scope>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
}

/// An API key as listed: never its secret nor its hash. A platform key shows its `role`, an
/// account key its `scopes`.
#[derive(Debug, Serialize)]
pub(crate) struct KeyView {
    id: ApiKeyId,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<Role>,
    account: Option<AccountKey>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<Scope>>,
    prefix: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    revoked_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    last_used_at: Option<OffsetDateTime>,
}

impl From<ApiKey> for KeyView {
    fn from(key: ApiKey) -> Self {
        let platform = key.account.is_none();
        Self {
            id: key.id,
            name: key.name,
            role: platform.then_some(key.role),
            account: key.account,
            scopes: (!platform).then_some(key.scopes),
            prefix: key.prefix,
            created_at: key.created_at,
            expires_at: key.expires_at,
            revoked_at: key.revoked_at,
            last_used_at: key.last_used_at,
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

fn created(key: ApiKey, secret: &tollgate_ports::Secret) -> HttpResponse {
    HttpResponse::Created().json(CreatedKey { key: key.into(), secret: secret.expose().to_owned() })
}

/// The `cursor` of a key list: every cursor such a list hands out is a key id.
fn after(page: &Page) -> Result<Option<ApiKeyId>, ApiError> {
    page.cursor
        .as_deref()
        .map(ApiKeyId::parse)
        .transpose()
        .map_err(|_| ApiError::new(ProblemCode::InvalidParameter, Detail::InvalidCursor).param("cursor"))
}

fn listed(page: &Page, keys: Vec<ApiKey>) -> HttpResponse {
    let keys: Vec<KeyView> = keys.into_iter().map(KeyView::from).collect();
    HttpResponse::Ok().json(page.answer(keys, |k| k.id.to_string()))
}

/// The key named by a path segment: an id that is not well formed names no key.
fn key_id(id: &str) -> Result<ApiKeyId, ApiError> {
    ApiKeyId::parse(id).map_err(|_| ApiError::new(ProblemCode::ApiKeyNotFound, Detail::ApiKeyNotFound))
}

pub(crate) async fn create(
    state: web::Data<HttpState>,
    Admin(Principal(caller)): Admin,
    RequestOrigin(origin): RequestOrigin,
    Json(body): Json<CreateKey>,
) -> Result<HttpResponse, ApiError> {
    let new = NewApiKey { name: body.name, expires_at: body.expires_at };
    let (key, secret) = state.tollgate.create_api_key(&caller, new, body.role, &origin).await?;
    Ok(created(key, &secret))
}

pub(crate) async fn list(
    state: web::Data<HttpState>,
    _admin: Admin,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let keys = state.tollgate.list_api_keys(after(&page)?, page.limit as u32 + 1).await?;
    Ok(listed(&page, keys))
}

pub(crate) async fn revoke(
    state: web::Data<HttpState>,
    Admin(Principal(caller)): Admin,
    RequestOrigin(origin): RequestOrigin,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.tollgate.revoke_api_key(&caller, &key_id(&id)?, &origin).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn create_for_account(
    state: web::Data<HttpState>,
    Principal(caller): Principal,
    RequestOrigin(origin): RequestOrigin,
    AccountPath(account): AccountPath,
    Json(body): Json<CreateAccountKey>,
) -> Result<HttpResponse, ApiError> {
    let new = NewApiKey { name: body.name, expires_at: body.expires_at };
    let (key, secret) =
        state.tollgate.create_account_api_key(&caller, &account, new, body.scopes, &origin).await?;
    Ok(created(key, &secret))
}

pub(crate) async fn list_for_account(
    state: web::Data<HttpState>,
    Principal(caller): Principal,
    AccountPath(account): AccountPath,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let limit = page.limit as u32 + 1;
    let keys = state.tollgate.list_account_api_keys(&caller, &account, after(&page)?, limit).await?;
    Ok(listed(&page, keys))
}

pub(crate) async fn revoke_for_account(
    state: web::Data<HttpState>,
    Principal(caller): Principal,
    RequestOrigin(origin): RequestOrigin,
    AccountPath(account): AccountPath,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    state.tollgate.revoke_account_api_key(&caller, &account, &key_id(&path.1)?, &origin).await?;
    Ok(HttpResponse::NoContent().finish())
}
