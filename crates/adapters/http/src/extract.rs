//! Extractors shared by the handlers: the caller, the account in the path, the language, the
//! page of a list.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use tollgate_app::Origin;
use tollgate_domain::{AccountKey, Caller, IdempotencyKey, Locale, PlanCode};

use crate::HttpState;
use crate::auth::{Principal, Refusal};
use crate::problem::{ApiError, Detail, ProblemCode};
use crate::request::{IDEMPOTENCY_KEY, request_locale};

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Caller>()
                .cloned()
                .map(Principal)
                .ok_or_else(|| ApiError::unauthorized(Refusal::Missing)),
        )
    }
}

/// A caller with the admin role; others get 403 `forbidden`.
#[derive(Debug, Clone)]
pub struct Admin(pub Principal);

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready(match Principal::from_request(req, payload).into_inner() {
            Ok(principal) if principal.is_platform_admin() => Ok(Admin(principal)),
            Ok(_) => Err(ApiError::new(ProblemCode::Forbidden, Detail::AdminOnly)),
            Err(error) => Err(error),
        })
    }
}

/// Where the request came from, for the audit log and the login throttle: the client's address
/// (the peer's, or behind trusted proxies the one they forwarded; see [`TrustedProxies`](crate::TrustedProxies)) and the
/// request's id.
#[derive(Debug, Clone)]
pub struct RequestOrigin(pub Origin);

impl FromRequest for RequestOrigin {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let peer = req.peer_addr().map(|addr| addr.ip());
        let ip = match req.app_data::<web::Data<HttpState>>() {
            Some(state) => state.trusted_proxies.client(peer, req.headers()),
            None => peer,
        };
        let ip = ip.map(|ip| ip.to_string());
        let request_id = req.extensions().get::<crate::RequestId>().map(|id| id.0.clone());
        ready(Ok(RequestOrigin(Origin { ip, request_id })))
    }
}

/// The account addressed by the `{key}` path segment. A key that is not well formed names no
/// account: 404 `account_not_found`.
#[derive(Debug, Clone)]
pub struct AccountPath(pub AccountKey);

impl FromRequest for AccountPath {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = req.match_info().get("key").and_then(|k| AccountKey::parse(k).ok());
        ready(
            key.map(AccountPath)
                .ok_or_else(|| ApiError::new(ProblemCode::AccountNotFound, Detail::AccountNotFound)),
        )
    }
}

/// The plan addressed by the `{code}` path segment (404 `plan_not_found` when not well formed).
#[derive(Debug, Clone)]
pub struct PlanPath(pub PlanCode);

impl FromRequest for PlanPath {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let code = req.match_info().get("code").and_then(|c| PlanCode::parse(c).ok());
        ready(
            code.map(PlanPath)
                .ok_or_else(|| ApiError::new(ProblemCode::PlanNotFound, Detail::PlanNotFound(None))),
        )
    }
}

/// The language negotiated from `Accept-Language` (English by default).
#[derive(Debug, Clone, Copy)]
pub struct Lang(pub Locale);

impl FromRequest for Lang {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Lang(request_locale(req))))
    }
}

/// The request's `Idempotency-Key`, required: 400 `idempotency_key_required` without one,
/// 400 `invalid_idempotency_key` when malformed. The routes whose exactness rests on the key
/// (consume, release) take it here, so no routing or middleware mistake can run them without.
#[derive(Debug, Clone)]
pub struct RequiredIdempotencyKey(pub IdempotencyKey);

impl FromRequest for RequiredIdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_key(req.headers()).and_then(|key| {
            key.map(RequiredIdempotencyKey).ok_or_else(|| {
                ApiError::new(ProblemCode::IdempotencyKeyRequired, Detail::IdempotencyKeyRequired)
                    .param("Idempotency-Key")
            })
        }))
    }
}

/// The page a list request asks for: `?limit=` (1 to 100, default 20) and `?cursor=` (the
/// `next_cursor` of the previous page). Other query parameters are ignored.
#[derive(Debug, Clone)]
pub struct Page {
    /// Most items to answer.
    pub limit: usize,
    /// Answer the items after this one.
    pub cursor: Option<String>,
}

#[derive(serde::Deserialize)]
struct PageQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

impl Page {
    /// The list answer: the first `limit` of `items` (fetched with one more, to know whether a
    /// page follows) and the cursor of the next page, `id` of the last item answered.
    pub fn answer<T: serde::Serialize>(
        &self,
        mut items: Vec<T>,
        id: impl Fn(&T) -> String,
    ) -> serde_json::Value {
        let more = items.len() > self.limit;
        items.truncate(self.limit);
        let next_cursor = if more { items.last().map(id) } else { None };
        serde_json::json!({ "data": items, "next_cursor": next_cursor })
    }

    /// The page of a list read whole (short lists: members, sessions): the items after the one
    /// whose `id` is the cursor (none when no item has it), then as [`Page::answer`].
    pub fn answer_all<T: serde::Serialize>(
        &self,
        items: Vec<T>,
        id: impl Fn(&T) -> String,
    ) -> serde_json::Value {
        let start = match &self.cursor {
            None => 0,
            Some(cursor) => items.iter().position(|item| id(item) == *cursor).map_or(items.len(), |i| i + 1),
        };
        let page: Vec<T> = items.into_iter().skip(start).take(self.limit + 1).collect();
        self.answer(page, id)
    }
}

/// Whether `cursor` could be a `next_cursor` (ids and codes: printable ASCII without spaces, at
/// most 255 bytes). Anything else is refused before it reaches a store: PostgreSQL cannot even
/// bind a NUL in text, which made such a cursor a 500 (found by schemathesis).
fn valid_cursor(cursor: &str) -> bool {
    cursor.len() <= 255 && cursor.bytes().all(|b| b.is_ascii_graphic())
}

impl FromRequest for Page {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let page = actix_web::web::Query::<PageQuery>::from_query(req.query_string())
            .map_err(|e| ApiError::new(ProblemCode::InvalidParameter, Detail::InvalidQuery(e.to_string())))
            .and_then(|query| {
                let query = query.into_inner();
                let limit = query.limit.unwrap_or(20);
                if !(1..=100).contains(&limit) {
                    return Err(
                        ApiError::new(ProblemCode::InvalidParameter, Detail::LimitOutOfRange).param("limit")
                    );
                }
                if query.cursor.as_deref().is_some_and(|cursor| !valid_cursor(cursor)) {
                    return Err(
                        ApiError::new(ProblemCode::InvalidParameter, Detail::InvalidCursor).param("cursor")
                    );
                }
                Ok(Page { limit: limit as usize, cursor: query.cursor })
            });
        ready(page)
    }
}

/// The request's `Idempotency-Key`, when present: `Ok(None)` without one, a 400
/// `invalid_idempotency_key` problem when malformed.
pub(crate) fn parse_key(headers: &header::HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    match headers.get(IDEMPOTENCY_KEY) {
        None => Ok(None),
        Some(value) => {
            value.to_str().ok().and_then(|v| IdempotencyKey::parse(v).ok()).map(Some).ok_or_else(|| {
                ApiError::new(ProblemCode::InvalidIdempotencyKey, Detail::InvalidIdempotencyKey)
                    .param("Idempotency-Key")
            })
        }
    }
}
