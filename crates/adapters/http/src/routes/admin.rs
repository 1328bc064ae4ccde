//! The platform admins' back office: account search, figures, the audit log, the accounts over
//! their limits, plan publication and archival. Users are in [`super::admin_users`].

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tollgate_domain::{AccountKey, PlanCode, PlanDraft, Status};
use tollgate_ports::{AccountFilter, AuditFilter};

use crate::HttpState;
use crate::body::Json;
use crate::extract::{Admin, Page, PlanPath, RequestOrigin};
use crate::problem::{ApiError, Detail, ProblemCode, json_error};

/// The query of a search: its filters, beside `limit` and `cursor` (read by [`Page`]).
pub(super) fn filters<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    // No filter matches a control character, and PostgreSQL cannot even bind a NUL in text (a
    // 500 found by schemathesis): refused by name before any store sees it.
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|e| ApiError::new(ProblemCode::InvalidParameter, Detail::InvalidQuery(e.to_string())))?;
    if let Some((name, _)) = pairs.iter().find(|(_, value)| value.chars().any(char::is_control)) {
        return Err(bad_parameter(name, "text cannot contain control characters"));
    }
    web::Query::<T>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ApiError::new(ProblemCode::InvalidParameter, Detail::InvalidQuery(e.to_string())))
}

/// A `?name=` value the route cannot use: 400 `invalid_parameter` naming it.
pub(super) fn bad_parameter(name: &str, why: impl ToString) -> ApiError {
    ApiError::new(ProblemCode::InvalidParameter, Detail::InvalidQuery(why.to_string())).param(name)
}

/// A cursor this list never handed out.
pub(super) fn bad_cursor() -> ApiError {
    ApiError::new(ProblemCode::InvalidParameter, Detail::InvalidCursor).param("cursor")
}

fn account_cursor(page: &Page) -> Result<Option<AccountKey>, ApiError> {
    page.cursor.as_deref().map(AccountKey::parse).transpose().map_err(|_| bad_cursor())
}

/// `GET /v1/admin/accounts`.
#[derive(Debug, Deserialize)]
struct AccountsQuery {
    q: Option<String>,
    status: Option<String>,
    plan: Option<String>,
}

pub(crate) async fn accounts(
    state: web::Data<HttpState>,
    Admin(caller): Admin,
    page: Page,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query: AccountsQuery = filters(&req)?;
    let filter = AccountFilter {
        query: query.q.filter(|q| !q.is_empty()),
        status: query
            .status
            .map(|s| Status::parse(&s))
            .transpose()
            .map_err(|e| bad_parameter("status", e))?,
        plan: query.plan.map(PlanCode::parse).transpose().map_err(|e| bad_parameter("plan", e))?,
    };
    let after = account_cursor(&page)?;
    let found = state.tollgate.search_accounts(&caller, &filter, after, page.limit as u32 + 1).await?;
    Ok(HttpResponse::Ok().json(page.answer(found, |a| a.key.to_string())))
}

pub(crate) async fn stats(
    state: web::Data<HttpState>,
    Admin(caller): Admin,
) -> Result<HttpResponse, ApiError> {
    let stats = state.tollgate.stats(&caller).await?;
    Ok(HttpResponse::Ok().json(json!({
        "accounts": {
            "total": stats.accounts,
            "by_plan": stats.by_plan,
            "by_status": stats.by_status,
            "without_subscription": stats.without_subscription,
        },
        "monthly_recurring_revenue": stats.monthly_recurring_revenue,
        "usage": stats.usage,
    })))
}

/// `GET /v1/admin/audit`.
#[derive(Debug, Deserialize)]
struct AuditQuery {
    actor: Option<String>,
    target: Option<String>,
    action: Option<String>,
    since: Option<String>,
}

pub(crate) async fn audit(
    state: web::Data<HttpState>,
    Admin(caller): Admin,
    page: Page,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query: AuditQuery = filters(&req)?;
    let since = query
        .since
        .map(|s| OffsetDateTime::parse(&s, &Rfc3339))
        .transpose()
        .map_err(|e| bad_parameter("since", e))?;
    let filter = AuditFilter { actor: query.actor, target: query.target, action: query.action, since };
    let events =
        state.tollgate.audit_log(&caller, &filter, page.cursor.clone(), page.limit as u32 + 1).await?;
    Ok(HttpResponse::Ok().json(page.answer(events, |e| e.id.clone())))
}

pub(crate) async fn over_limits(
    state: web::Data<HttpState>,
    Admin(caller): Admin,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let after = account_cursor(&page)?;
    let found = state.tollgate.accounts_over_limits(&caller, after, page.limit as u32 + 1).await?;
    Ok(HttpResponse::Ok().json(page.answer(found, |o| o.account.to_string())))
}

/// `PUT /v1/admin/plans/{code}`: the plan's JSON, its `code` the path's when left out.
pub(crate) async fn put_plan(
    state: web::Data<HttpState>,
    Admin(caller): Admin,
    RequestOrigin(origin): RequestOrigin,
    PlanPath(code): PlanPath,
    Json(mut body): Json<Value>,
) -> Result<HttpResponse, ApiError> {
    if let Value::Object(fields) = &mut body {
        fields.entry("code").or_insert_with(|| Value::String(code.to_string()));
    }
    let terms: PlanDraft = serde_path_to_error::deserialize(body).map_err(|e| json_error(&e))?;
    let (plan, created) =
        state.tollgate.put_plan(&caller, &origin, &code, terms).await.map_err(ApiError::app_body)?;
    Ok(if created {
        HttpResponse::Created().insert_header((header::LOCATION, format!("/v1/plans/{code}"))).json(plan)
    } else {
        HttpResponse::Ok().json(plan)
    })
}

pub(crate) async fn archive_plan(
    state: web::Data<HttpState>,
    Admin(caller): Admin,
    RequestOrigin(origin): RequestOrigin,
    PlanPath(code): PlanPath,
) -> Result<HttpResponse, ApiError> {
    state.tollgate.archive_plan(&caller, &origin, &code).await?;
    Ok(HttpResponse::NoContent().finish())
}
