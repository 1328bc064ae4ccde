//! The hot path: check, consume, release, usage.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use tollgate_domain::{FeatureName, MetricName, Quantity, Request};

use crate::HttpState;
use crate::auth::Principal;
use crate::body::Json;
use crate::decision::DecisionBody;
use crate::extract::{AccountPath, Lang, RequiredIdempotencyKey};
use crate::metrics::Operation;
use crate::problem::{ApiError, Detail, ProblemCode};

/// `POST /v1/accounts/{key}/check`: a metric and quantity, or a feature.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Check {
    #[serde(default)]
    metric: Option<MetricName>,
    #[serde(default)]
    quantity: Option<Quantity>,
    #[serde(default)]
    feature: Option<FeatureName>,
}

impl Check {
    fn into_request(self) -> Result<Request, ApiError> {
        match (self.metric, self.quantity, self.feature) {
            (Some(metric), Some(quantity), None) => Ok(Request::Metric { metric, quantity }),
            (None, None, Some(feature)) => Ok(Request::Feature(feature)),
            (Some(_), None, None) => Err(missing("quantity")),
            (None, Some(_), None) => Err(missing("metric")),
            (None, None, None) => {
                Err(ApiError::new(ProblemCode::InvalidBody, Detail::MetricOrFeature).param("metric"))
            }
            (_, _, Some(_)) => {
                Err(ApiError::new(ProblemCode::InvalidBody, Detail::MetricAndFeature).param("feature"))
            }
        }
    }
}

/// 422 `invalid_body` for a field a check needs, worded as serde words it for the other bodies.
fn missing(field: &'static str) -> ApiError {
    let message = format!("missing field `{field}`");
    ApiError::new(ProblemCode::InvalidBody, Detail::InvalidField { param: Some(field.to_owned()), message })
        .param(field)
}

/// `POST /v1/accounts/{key}/consume` and `…/release`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Usage {
    metric: MetricName,
    quantity: Quantity,
}

pub(crate) async fn check(
    _caller: Principal,
    state: web::Data<HttpState>,
    AccountPath(key): AccountPath,
    Lang(locale): Lang,
    Json(body): Json<Check>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_request()?;
    let decision = state.tollgate.check(&key, &request).await?;
    state.metrics.decision(Operation::Check, decision.code);
    Ok(HttpResponse::Ok().json(DecisionBody::new(&decision, locale)))
}

pub(crate) async fn consume(
    caller: Principal,
    state: web::Data<HttpState>,
    req: HttpRequest,
    key: AccountPath,
    lang: Lang,
    idempotency_key: RequiredIdempotencyKey,
    body: Json<Usage>,
) -> Result<HttpResponse, ApiError> {
    record(Operation::Consume, caller, state, req, key, lang, idempotency_key, body).await
}

pub(crate) async fn release(
    caller: Principal,
    state: web::Data<HttpState>,
    req: HttpRequest,
    key: AccountPath,
    lang: Lang,
    idempotency_key: RequiredIdempotencyKey,
    body: Json<Usage>,
) -> Result<HttpResponse, ApiError> {
    record(Operation::Release, caller, state, req, key, lang, idempotency_key, body).await
}

#[allow(clippy::too_many_arguments)]
async fn record(
    operation: Operation,
    _caller: Principal,
    state: web::Data<HttpState>,
    req: HttpRequest,
    AccountPath(key): AccountPath,
    Lang(locale): Lang,
    RequiredIdempotencyKey(idempotency_key): RequiredIdempotencyKey,
    Json(body): Json<Usage>,
) -> Result<HttpResponse, ApiError> {
    // The usage ledger makes the key exactly-once; what remains is the contract's 409 for a key
    // whose first request is still running, which this instance knows of its own requests
    // (across instances both get the one outcome). The path names the account and operation.
    let Some(_claim) = state.usage_claims.claim(req.path().to_owned(), idempotency_key.to_string()) else {
        return Err(ApiError::new(ProblemCode::IdempotencyKeyInUse, Detail::IdempotencyKeyInUse));
    };
    let tollgate = &state.tollgate;
    let key_given = Some(idempotency_key);
    let decision = match operation {
        Operation::Release => tollgate.release(&key, &body.metric, body.quantity, key_given).await?,
        _ => tollgate.consume(&key, &body.metric, body.quantity, key_given).await?,
    };
    state.metrics.decision(operation, decision.code);
    Ok(HttpResponse::Ok().json(DecisionBody::new(&decision, locale)))
}

pub(crate) async fn usage(
    _caller: Principal,
    state: web::Data<HttpState>,
    AccountPath(key): AccountPath,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.tollgate.usage(&key).await?))
}
