//! The public plan catalogue.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::HttpState;
use crate::extract::PlanPath;
use crate::problem::ApiError;

pub(crate) async fn list(state: web::Data<HttpState>) -> Result<HttpResponse, ApiError> {
    let plans = state.tollgate.plans(false).await?;
    Ok(HttpResponse::Ok().json(json!({ "data": plans, "next_cursor": null })))
}

pub(crate) async fn get(
    state: web::Data<HttpState>,
    PlanPath(code): PlanPath,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.tollgate.plan(&code).await?))
}
