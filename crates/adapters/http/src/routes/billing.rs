//! Billing: the price of a change, payment methods, invoices and their payment, hosted
//! checkouts, and the gateway's webhooks.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use tollgate_app::{AppError, ChangePlan};
use tollgate_domain::{ChangeTiming, Interval, InvoiceNumber, PaymentToken, PlanCode, ReturnUrl};

use super::admin::bad_cursor;
use crate::HttpState;
use crate::auth::Principal;
use crate::body::{Json, RawBody};
use crate::extract::{AccountPath, Page, RequestOrigin};
use crate::problem::ApiError;

/// `PUT /v1/accounts/{key}/subscription` and `POST …/subscription/preview`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeBody {
    #[serde(default)]
    plan: Option<PlanCode>,
    #[serde(default)]
    seats: Option<u32>,
    #[serde(default)]
    interval: Option<Interval>,
    #[serde(default)]
    at: Option<ChangeTiming>,
}

impl ChangeBody {
    pub(crate) fn into_change(self) -> ChangePlan {
        ChangePlan { plan: self.plan, seats: self.seats, interval: self.interval, at: self.at }
    }
}

/// `PUT /v1/accounts/{key}/payment-method`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PaymentMethodBody {
    token: String,
}

/// `POST /v1/accounts/{key}/checkout`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckoutBody {
    plan: PlanCode,
    success_url: String,
    cancel_url: String,
}

pub(crate) async fn preview(
    _caller: Principal,
    state: web::Data<HttpState>,
    AccountPath(key): AccountPath,
    Json(body): Json<ChangeBody>,
) -> Result<HttpResponse, ApiError> {
    let quote = state.tollgate.preview_change(&key, &body.into_change()).await.map_err(ApiError::app_body)?;
    Ok(HttpResponse::Ok().json(quote))
}

pub(crate) async fn set_payment_method(
    Principal(caller): Principal,
    state: web::Data<HttpState>,
    RequestOrigin(origin): RequestOrigin,
    AccountPath(key): AccountPath,
    Json(body): Json<PaymentMethodBody>,
) -> Result<HttpResponse, ApiError> {
    let token = PaymentToken::parse(body.token).map_err(|e| ApiError::from(AppError::Invalid(e)))?;
    let saved = state.tollgate.set_payment_method(&caller, &origin, &key, token).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "payment_method": saved })))
}

/// The invoice number of the path; one that cannot be a number names no invoice.
fn number(req: &HttpRequest) -> Result<InvoiceNumber, ApiError> {
    InvoiceNumber::parse(req.match_info().get("number").unwrap_or_default())
        .map_err(|_| ApiError::from(AppError::NotFound("invoice")))
}

pub(crate) async fn invoices(
    _caller: Principal,
    state: web::Data<HttpState>,
    AccountPath(key): AccountPath,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let before = page.cursor.as_deref().map(InvoiceNumber::parse).transpose().map_err(|_| bad_cursor())?;
    let limit = u32::try_from(page.limit + 1).unwrap_or(101);
    let invoices = state.tollgate.invoices(&key, before, limit).await?;
    Ok(HttpResponse::Ok().json(page.answer(invoices, |invoice| invoice.number.clone())))
}

pub(crate) async fn invoice(
    _caller: Principal,
    state: web::Data<HttpState>,
    AccountPath(key): AccountPath,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.tollgate.invoice(&key, &number(&req)?).await?))
}

pub(crate) async fn pay(
    Principal(caller): Principal,
    state: web::Data<HttpState>,
    RequestOrigin(origin): RequestOrigin,
    AccountPath(key): AccountPath,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let number = number(&req)?;
    Ok(HttpResponse::Ok().json(state.tollgate.pay_invoice(&caller, &origin, &key, &number).await?))
}

pub(crate) async fn checkout(
    Principal(caller): Principal,
    state: web::Data<HttpState>,
    RequestOrigin(origin): RequestOrigin,
    AccountPath(key): AccountPath,
    Json(body): Json<CheckoutBody>,
) -> Result<HttpResponse, ApiError> {
    let invalid = |e| ApiError::from(AppError::Invalid(e));
    let success_url = ReturnUrl::parse("success_url", body.success_url).map_err(invalid)?;
    let cancel_url = ReturnUrl::parse("cancel_url", body.cancel_url).map_err(invalid)?;
    let session = state
        .tollgate
        .checkout(&caller, &origin, &key, &body.plan, success_url, cancel_url)
        .await
        .map_err(ApiError::app_body)?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "url": session.url, "session_id": session.id })))
}

/// `POST /v1/webhooks/{gateway}`: the raw body, as signed, with its `Stripe-Signature`.
pub(crate) async fn webhook(
    state: web::Data<HttpState>,
    RequestOrigin(origin): RequestOrigin,
    req: HttpRequest,
    RawBody(payload): RawBody,
) -> Result<HttpResponse, ApiError> {
    let gateway = req.match_info().get("gateway").unwrap_or_default();
    let signature = req.headers().get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    state.tollgate.receive_webhook(gateway, signature, &payload, &origin).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "received": true })))
}
