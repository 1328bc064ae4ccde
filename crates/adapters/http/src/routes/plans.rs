//! The public plan catalogue.

use actix_web::{HttpResponse, web};

use crate::HttpState;
use crate::extract::{Page, PlanPath};
use crate::problem::ApiError;

/// Active plans by code, a page at a time (the cursor is the last code of the previous page).
pub(crate) async fn list(state: web::Data<HttpState>, page: Page) -> Result<HttpResponse, ApiError> {
    let plans: Vec<_> = state
        .tollgate
        .plans(false)
        .await?
        .into_iter()
        .filter(|plan| page.cursor.as_deref().is_none_or(|after| plan.code().as_str() > after))
        .take(page.limit + 1)
        .collect();
    Ok(HttpResponse::Ok().json(page.answer(plans, |plan| plan.code().to_string())))
}

pub(crate) async fn get(
    state: web::Data<HttpState>,
    PlanPath(code): PlanPath,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.tollgate.plan(&code).await?))
}
