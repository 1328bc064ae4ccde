//! Members of an account and invitations to it.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use tollgate_app::{AppError, Invite};
use tollgate_domain::{MemberRole, UserId};

use crate::HttpState;
use crate::auth::Principal;
use crate::body::Json;
use crate::extract::{AccountPath, Page, RequestOrigin};
use crate::problem::ApiError;

/// `POST /v1/accounts/{key}/members`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddMember {
    email: String,
    #[serde(default = "member")]
    role: MemberRole,
}

fn member() -> MemberRole {
    MemberRole::Member
}

/// `PATCH /v1/accounts/{key}/members/{user_id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeRole {
    role: MemberRole,
}

/// The member addressed by the `{user_id}` segment: a malformed id names no member.
fn member_id(path: &web::Path<(String, String)>) -> Result<UserId, ApiError> {
    UserId::parse(path.1.as_str()).map_err(|_| ApiError::from(AppError::NotFound("member")))
}

pub(crate) async fn list(
    state: web::Data<HttpState>,
    Principal(caller): Principal,
    AccountPath(key): AccountPath,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let members = state.tollgate.members(&caller, &key).await?;
    Ok(HttpResponse::Ok().json(page.answer_all(members, |m| m.email.to_string())))
}

pub(crate) async fn add(
    state: web::Data<HttpState>,
    Principal(caller): Principal,
    RequestOrigin(origin): RequestOrigin,
    AccountPath(key): AccountPath,
    Json(body): Json<AddMember>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .tollgate
        .add_member(&caller, &key, Invite { email: body.email, role: body.role }, &origin)
        .await?;
    let mut response = HttpResponse::Created();
    if let Some(user) = &view.user_id {
        response.insert_header((header::LOCATION, format!("/v1/accounts/{key}/members/{user}")));
    }
    Ok(response.json(view))
}

pub(crate) async fn change_role(
    state: web::Data<HttpState>,
    Principal(caller): Principal,
    RequestOrigin(origin): RequestOrigin,
    AccountPath(key): AccountPath,
    path: web::Path<(String, String)>,
    Json(body): Json<ChangeRole>,
) -> Result<HttpResponse, ApiError> {
    let user = member_id(&path)?;
    state.tollgate.set_member_role(&caller, &key, &user, body.role, &origin).await?;
    Ok(HttpResponse::Ok().json(json!({ "user_id": user, "role": body.role })))
}

pub(crate) async fn remove(
    state: web::Data<HttpState>,
    Principal(caller): Principal,
    RequestOrigin(origin): RequestOrigin,
    AccountPath(key): AccountPath,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let user = member_id(&path)?;
    state.tollgate.remove_member(&caller, &key, &user, &origin).await?;
    Ok(HttpResponse::NoContent().finish())
}
