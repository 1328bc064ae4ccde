//! Accounts and their subscription.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use tollgate_app::NewAccount;
use tollgate_domain::{AccountKey, Email, PlanCode};

use super::billing::ChangeBody;
use crate::HttpState;
use crate::auth::Principal;
use crate::body::Json;
use crate::extract::{AccountPath, Admin, RequestOrigin};
use crate::problem::ApiError;

/// `POST /v1/accounts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateAccount {
    key: AccountKey,
    name: String,
    #[serde(default)]
    email: Option<Email>,
    #[serde(default)]
    plan: Option<PlanCode>,
    #[serde(default)]
    seats: Option<u32>,
}

/// `POST /v1/accounts/{key}/subscription/cancel`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Cancel {
    at_period_end: bool,
}

pub(crate) async fn create(
    _caller: Principal,
    state: web::Data<HttpState>,
    Json(body): Json<CreateAccount>,
) -> Result<HttpResponse, ApiError> {
    let request =
        NewAccount { key: body.key, name: body.name, email: body.email, plan: body.plan, seats: body.seats };
    let account = state.tollgate.provision(request).await.map_err(ApiError::app_body)?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/accounts/{}", account.key)))
        .json(account))
}

pub(crate) async fn get(
    _caller: Principal,
    state: web::Data<HttpState>,
    AccountPath(key): AccountPath,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.tollgate.account(&key).await?))
}

pub(crate) async fn subscription(
    _caller: Principal,
    state: web::Data<HttpState>,
    AccountPath(key): AccountPath,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.tollgate.subscription(&key).await?))
}

pub(crate) async fn change_subscription(
    Principal(caller): Principal,
    state: web::Data<HttpState>,
    RequestOrigin(origin): RequestOrigin,
    AccountPath(key): AccountPath,
    Json(body): Json<ChangeBody>,
) -> Result<HttpResponse, ApiError> {
    let change = body.into_change();
    let view =
        state.tollgate.change_plan(&caller, &origin, &key, change).await.map_err(ApiError::app_body)?;
    Ok(HttpResponse::Ok().json(view))
}

pub(crate) async fn cancel(
    _caller: Principal,
    state: web::Data<HttpState>,
    AccountPath(key): AccountPath,
    Json(body): Json<Cancel>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.tollgate.cancel(&key, body.at_period_end).await?))
}

pub(crate) async fn resume(
    _caller: Principal,
    state: web::Data<HttpState>,
    AccountPath(key): AccountPath,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.tollgate.resume(&key).await?))
}

/// `POST /v1/admin/accounts/{key}/suspend` (operator only).
pub(crate) async fn suspend(
    Admin(caller): Admin,
    state: web::Data<HttpState>,
    RequestOrigin(origin): RequestOrigin,
    AccountPath(key): AccountPath,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.tollgate.suspend(&caller, &origin, &key).await?))
}

/// `POST /v1/admin/accounts/{key}/activate` (operator only).
pub(crate) async fn activate(
    Admin(caller): Admin,
    state: web::Data<HttpState>,
    RequestOrigin(origin): RequestOrigin,
    AccountPath(key): AccountPath,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.tollgate.activate(&caller, &origin, &key).await?))
}

/// `POST /v1/admin/accounts/{key}/past_due` (operator only): a payment failed outside the
/// gateway, so dunning starts; `activate` ends it.
pub(crate) async fn past_due(
    Admin(caller): Admin,
    state: web::Data<HttpState>,
    RequestOrigin(origin): RequestOrigin,
    AccountPath(key): AccountPath,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.tollgate.mark_past_due(&caller, &origin, &key).await?))
}
