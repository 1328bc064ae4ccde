//! The signed-in user: profile, sessions, e-mail verification, two-factor.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tollgate_domain::{Caller, SessionId};

use crate::HttpState;
use crate::auth::Principal;
use crate::body::Json;
use crate::extract::{Page, RequestOrigin};
use crate::problem::ApiError;
use crate::routes::views::{SessionView, UserView};

/// `POST /v1/me/totp/confirm`, `DELETE /v1/me/totp`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Code {
    code: String,
}

#[derive(Serialize)]
struct Enrolment {
    secret: String,
    otpauth_url: String,
}

pub(crate) async fn me(
    state: web::Data<HttpState>,
    Principal(caller): Principal,
) -> Result<HttpResponse, ApiError> {
    let (user, memberships) = state.tollgate.me(&caller).await?;
    Ok(HttpResponse::Ok().json(UserView::with(&user, &memberships)))
}

pub(crate) async fn sessions(
    state: web::Data<HttpState>,
    Principal(caller): Principal,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let current = match &caller {
        Caller::User { session, .. } => Some(session.clone()),
        _ => None,
    };
    let sessions = state.tollgate.my_sessions(&caller).await?;
    let data: Vec<SessionView> =
        sessions.iter().map(|s| SessionView::new(s, current.as_ref() == Some(&s.id))).collect();
    Ok(HttpResponse::Ok().json(page.answer_all(data, SessionView::id)))
}

pub(crate) async fn revoke_session(
    state: web::Data<HttpState>,
    Principal(caller): Principal,
    RequestOrigin(origin): RequestOrigin,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // A malformed id names no session of the caller's.
    let id = SessionId::parse(id.into_inner())
        .map_err(|_| ApiError::from(tollgate_app::AppError::NotFound("session")))?;
    state.tollgate.revoke_my_session(&caller, &id, &origin).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn resend_verification(
    state: web::Data<HttpState>,
    Principal(caller): Principal,
) -> Result<HttpResponse, ApiError> {
    state.tollgate.resend_verification(&caller).await?;
    Ok(HttpResponse::Accepted().finish())
}

pub(crate) async fn begin_totp(
    state: web::Data<HttpState>,
    Principal(caller): Principal,
    RequestOrigin(origin): RequestOrigin,
) -> Result<HttpResponse, ApiError> {
    let enrolment = state.tollgate.begin_totp(&caller, &origin).await?;
    Ok(HttpResponse::Ok()
        .json(Enrolment { secret: enrolment.secret.expose().to_owned(), otpauth_url: enrolment.otpauth_url }))
}

pub(crate) async fn confirm_totp(
    state: web::Data<HttpState>,
    Principal(caller): Principal,
    RequestOrigin(origin): RequestOrigin,
    Json(body): Json<Code>,
) -> Result<HttpResponse, ApiError> {
    let codes = state.tollgate.confirm_totp(&caller, &body.code, &origin).await?;
    let codes: Vec<&str> = codes.iter().map(|c| c.expose()).collect();
    Ok(HttpResponse::Ok().json(json!({ "recovery_codes": codes })))
}

pub(crate) async fn disable_totp(
    state: web::Data<HttpState>,
    Principal(caller): Principal,
    RequestOrigin(origin): RequestOrigin,
    Json(body): Json<Code>,
) -> Result<HttpResponse, ApiError> {
    state.tollgate.disable_totp(&caller, &body.code, &origin).await?;
    Ok(HttpResponse::NoContent().finish())
}
