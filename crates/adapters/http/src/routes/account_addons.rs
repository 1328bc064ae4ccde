//! An account's add-ons: bought (billed with the subscription), listed, removed.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use tollgate_app::AppError;
use tollgate_domain::AddOnCode;

use crate::HttpState;
use crate::auth::Principal;
use crate::body::Json;
use crate::extract::{AccountPath, Page, RequestOrigin};
use crate::problem::ApiError;

/// `POST /v1/accounts/{key}/addons`. An ill-formed code names no add-on of the catalog either,
/// so both are refused naming `addon` by the use case's rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BuyBody {
    addon: String,
    quantity: u32,
}

/// The add-on code of a body or path; one that cannot be a code is no add-on of the catalog.
fn addon_code(text: &str) -> Result<AddOnCode, AppError> {
    AddOnCode::parse(text).map_err(|_| {
        AppError::Invalid(tollgate_domain::InvalidValue::new("addon", tollgate_domain::Rule::NoSuchAddOn))
    })
}

pub(crate) async fn list(
    _caller: Principal,
    state: web::Data<HttpState>,
    AccountPath(key): AccountPath,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let add_ons = state.tollgate.account_addons(&key).await?;
    Ok(HttpResponse::Ok().json(page.answer_all(add_ons, |view| view.addon.to_string())))
}

pub(crate) async fn buy(
    Principal(caller): Principal,
    state: web::Data<HttpState>,
    RequestOrigin(origin): RequestOrigin,
    AccountPath(key): AccountPath,
    Json(body): Json<BuyBody>,
) -> Result<HttpResponse, ApiError> {
    let code = addon_code(&body.addon)?;
    let outcome = state.tollgate.buy_addon(&caller, &origin, &key, &code, body.quantity).await?;
    Ok(if outcome.created { HttpResponse::Created() } else { HttpResponse::Ok() }.json(outcome))
}

pub(crate) async fn remove(
    Principal(caller): Principal,
    state: web::Data<HttpState>,
    RequestOrigin(origin): RequestOrigin,
    AccountPath(key): AccountPath,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    // A code that cannot be one names no add-on the account holds.
    let code = AddOnCode::parse(req.match_info().get("code").unwrap_or_default())
        .map_err(|_| ApiError::from(AppError::NotFound("addon")))?;
    state.tollgate.remove_addon(&caller, &origin, &key, &code).await?;
    Ok(HttpResponse::NoContent().finish())
}
