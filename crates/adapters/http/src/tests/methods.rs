//! Methods a route does not declare, found by schemathesis (`scripts/schemathesis.sh`): a 405
//! lists the allowed methods, and nothing else about such a request is judged first.

use actix_web::http::Method;
use actix_web::test::{self, TestRequest};
use serde_json::json;

use super::{admin, read, state};
use crate::app;

#[actix_web::test]
async fn a_405_lists_the_methods_the_route_allows() {
    let (state, _) = state().await;
    let service = test::init_service(app(state)).await;
    for (method, uri, allowed) in [
        (Method::POST, "/v1/plans", "GET"),
        (Method::TRACE, "/health/live", "GET"),
        (Method::DELETE, "/v1/accounts/acme/subscription", "GET, PUT"),
        (Method::PATCH, "/v1/api-keys", "POST, GET"),
    ] {
        let req = admin(TestRequest::default().method(method.clone()).uri(uri)).to_request();
        let response = test::call_service(&service, req).await;
        let header = response.headers().get("allow").map(|v| v.to_str().unwrap_or("").to_owned());
        let (status, body) = read(response).await;
        assert_eq!((status.as_u16(), body["code"].as_str()), (405, Some("method_not_allowed")), "{uri}");
        assert_eq!(header.as_deref(), Some(allowed), "{method} {uri}");
    }
}

#[actix_web::test]
async fn an_undeclared_method_is_a_405_whatever_its_idempotency_key() {
    let (state, _) = state().await;
    let service = test::init_service(app(state)).await;
    let first = admin(TestRequest::post().uri("/v1/accounts"))
        .insert_header(("Idempotency-Key", "k1"))
        .set_json(json!({"key": "acme", "name": "Acme"}))
        .to_request();
    assert_eq!(test::call_service(&service, first).await.status().as_u16(), 201);
    let too_long = "k".repeat(256);
    for (method, key) in [(Method::PATCH, "k1"), (Method::PUT, "k1"), (Method::PATCH, too_long.as_str())] {
        let req = admin(TestRequest::default().method(method.clone()).uri("/v1/accounts"))
            .insert_header(("Idempotency-Key", key))
            .set_json(json!({"key": "other", "name": "Other"}))
            .to_request();
        let (status, body) = read(test::call_service(&service, req).await).await;
        assert_eq!((status.as_u16(), body["code"].as_str()), (405, Some("method_not_allowed")), "{method}");
    }
}
