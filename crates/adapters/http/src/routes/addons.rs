//! The add-on catalog: the public list and publication by platform admins.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;
use tollgate_domain::{AddOnCode, AddOnDraft};

use super::admin::bad_parameter;
use crate::HttpState;
use crate::body::Json;
use crate::extract::{Admin, Page, RequestOrigin};
use crate::problem::{ApiError, json_error};

/// `GET /v1/addons`: every add-on by code, a page at a time (the cursor is the last code of the
/// previous page).
pub(crate) async fn list(state: web::Data<HttpState>, page: Page) -> Result<HttpResponse, ApiError> {
    let addons: Vec<_> = state
        .tollgate
        .addons()
        .await?
        .into_iter()
        .filter(|addon| page.cursor.as_deref().is_none_or(|after| addon.code().as_str() > after))
        .take(page.limit + 1)
        .collect();
    Ok(HttpResponse::Ok().json(page.answer(addons, |addon| addon.code().to_string())))
}

/// `PUT /v1/admin/addons/{code}`: the add-on's JSON, its `code` the path's when left out.
pub(crate) async fn put(
    state: web::Data<HttpState>,
    Admin(caller): Admin,
    RequestOrigin(origin): RequestOrigin,
    req: HttpRequest,
    Json(mut body): Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let code = AddOnCode::parse(req.match_info().get("code").unwrap_or_default())
        .map_err(|e| bad_parameter("code", e))?;
    if let Value::Object(fields) = &mut body {
        fields.entry("code").or_insert_with(|| Value::String(code.to_string()));
    }
    let draft: AddOnDraft = serde_path_to_error::deserialize(body).map_err(|e| json_error(&e))?;
    let (addon, created) =
        state.tollgate.put_addon(&caller, &origin, &code, draft).await.map_err(ApiError::app_body)?;
    Ok(if created { HttpResponse::Created().json(addon) } else { HttpResponse::Ok().json(addon) })
}
