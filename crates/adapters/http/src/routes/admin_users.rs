//! Users as platform admins manage them: search, revoking sessions, soft deletion,
//! impersonation.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tollgate_app::AppError;
use tollgate_domain::{User, UserId};

use super::admin::{bad_cursor, filters};
use crate::HttpState;
use crate::extract::{Admin, Page, RequestOrigin};
use crate::problem::ApiError;

/// A user as the back office lists them: never a hash nor a secret.
#[derive(Debug, Serialize)]
struct AdminUserView {
    id: String,
    email: String,
    name: String,
    email_verified: bool,
    totp_enabled: bool,
    platform_admin: bool,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    deleted_at: Option<OffsetDateTime>,
}

impl From<&User> for AdminUserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.to_string(),
            name: user.name.to_string(),
            email_verified: user.email_verified,
            totp_enabled: user.totp_enabled(),
            platform_admin: user.platform_admin,
            created_at: user.created_at,
            deleted_at: user.deleted_at,
        }
    }
}

/// An impersonation token as answered (no `Debug`: it holds the token).
#[derive(Serialize)]
struct ImpersonationView {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    session_id: String,
    user_id: String,
    impersonator: String,
}

/// `GET /v1/admin/users`.
#[derive(Debug, Deserialize)]
struct UsersQuery {
    q: Option<String>,
}

/// The user of the `{id}` segment: a malformed id names no user.
fn user_id(id: &web::Path<String>) -> Result<UserId, ApiError> {
    UserId::parse(id.as_str()).map_err(|_| ApiError::from(AppError::NotFound("user")))
}

pub(crate) async fn list(
    state: web::Data<HttpState>,
    Admin(caller): Admin,
    page: Page,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query: UsersQuery = filters(&req)?;
    let after = page.cursor.as_deref().map(UserId::parse).transpose().map_err(|_| bad_cursor())?;
    let query = query.q.filter(|q| !q.is_empty());
    let users = state.tollgate.search_users(&caller, query, after, page.limit as u32 + 1).await?;
    let users: Vec<AdminUserView> = users.iter().map(AdminUserView::from).collect();
    Ok(HttpResponse::Ok().json(page.answer(users, |u| u.id.clone())))
}

pub(crate) async fn revoke_sessions(
    state: web::Data<HttpState>,
    Admin(caller): Admin,
    RequestOrigin(origin): RequestOrigin,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.tollgate.revoke_user_sessions(&caller, &origin, &user_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn delete(
    state: web::Data<HttpState>,
    Admin(caller): Admin,
    RequestOrigin(origin): RequestOrigin,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.tollgate.delete_user(&caller, &origin, &user_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn impersonate(
    state: web::Data<HttpState>,
    Admin(caller): Admin,
    RequestOrigin(origin): RequestOrigin,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let granted = state.tollgate.impersonate(&caller, &origin, &user_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(ImpersonationView {
        access_token: granted.access_token.expose().to_owned(),
        token_type: "Bearer",
        expires_in: granted.expires_in,
        session_id: granted.session_id.to_string(),
        user_id: granted.user.to_string(),
        impersonator: granted.impersonator.to_string(),
    }))
}
